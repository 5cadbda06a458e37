// The OpenAPI description of the Credentials, Workflows, Runs and Webhooks endpoints. Request
// bodies come from the zod schemas the routes parse with, so they cannot drift.
import { z } from 'zod';
import { CreateCredential, UpdateCredentialHosts } from '../core/credentials/service.ts';
import { NODE_TYPES } from '../workflows/graph/registry.ts';
import { DecisionRequest, RerunRequest, StartRunRequest } from './routes/runs.ts';
import { CreateScheduleRequest, CreateWorkflowRequest, UpdateScheduleRequest, UpdateWorkflowRequest, WebhookRequest } from './routes/workflows.ts';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const body = (schema: z.ZodType) => ({ required: true, content: json(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' })) });
const ok = (description: string, schema?: unknown) => ({ description, ...(schema ? { content: json(schema) } : {}) });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const param = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const USER_OR_KEY = [{ bearerAuth: [] }, { sessionCookie: [] }];
const teamId = param('teamId', 'a team the caller belongs to (404 for any other team)');
const workflowId = param('id', 'workflow id');
const runId = param('runId', 'run id');
const common = {
  401: problem('no or invalid credentials'),
  403: problem('the role or API key scope does not allow this'),
  404: problem('not found (also for resources of other teams)'),
  429: problem('rate limited or over a plan quota (code says which): Retry-After says when to retry'),
};
const iso = { type: 'string', format: 'date-time' };
const list = (item: string) => ({ type: 'object', properties: { items: { type: 'array', items: ref(item) } } });
const page = (item: string) => ({ type: 'object', properties: { items: { type: 'array', items: ref(item) }, nextCursor: { type: ['string', 'null'] } } });
const op = (tag: string, summary: string, extra: object) => ({ tags: [tag], summary, security: USER_OR_KEY, ...extra });

export const platformSchemas = {
  Graph: {
    type: 'object',
    description: 'A workflow graph (see the graph language in the docs).',
    properties: {
      nodes: { type: 'array', items: { type: 'object', required: ['id', 'type', 'config'], properties: { id: { type: 'string' }, type: { type: 'string', enum: [...NODE_TYPES] }, config: { type: 'object' } } } },
      edges: { type: 'array', items: { type: 'object', required: ['from', 'to'], properties: { from: { type: 'string' }, port: { type: 'string' }, to: { type: 'string' } } } },
      settings: {
        type: 'object',
        description: 'Per-run limits: over one, an AI node fails (quota_ai_tokens, budget_exceeded) instead of calling the model.',
        additionalProperties: false,
        properties: { maxAiTokens: { type: 'integer', minimum: 1 }, maxCostUsd: { type: 'number', exclusiveMinimum: 0 } },
      },
    },
  },
  Workflow: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, description: { type: ['string', 'null'] }, version: { type: 'integer' }, createdAt: iso, updatedAt: iso, tool: { anyOf: [ref('WorkflowTool'), { type: 'null' }] }, graph: ref('Graph') } },
  WorkflowTool: {
    type: 'object',
    description: 'Offers the workflow as a tool to MCP clients (POST /mcp) and agents; the name is unique in the team (409 tool_name_taken)',
    required: ['name', 'description', 'inputSchema'],
    properties: {
      name: { type: 'string', pattern: '^[a-zA-Z0-9_-]{1,64}$' },
      description: { type: 'string', maxLength: 1000 },
      inputSchema: { type: 'object', description: 'a bounded JSON Schema of type "object" (the run input); arguments are validated against it before a run starts' },
    },
  },
  WorkflowVersion: { type: 'object', properties: { version: { type: 'integer' }, createdAt: iso, createdBy: { type: ['string', 'null'] } } },
  Credential: {
    type: 'object',
    properties: {
      id: { type: 'string' }, name: { type: 'string' }, type: { type: 'string' },
      allowedHosts: { type: ['array', 'null'], items: { type: 'string' }, description: 'hosts an http credential may be sent to (api.example.com, *.example.com, an IP); null: none set — the http node refuses it with credential_host_not_allowed — or an openai credential' },
      createdAt: iso,
    },
  },
  Webhook: { type: 'object', properties: { id: { type: 'string' }, url: { type: 'string' }, workflowId: { type: 'string' }, createdAt: iso, secret: { type: 'string', description: 'only in the answer to POST (shown once)' } } },
  Schedule: {
    type: 'object',
    properties: { id: { type: 'string' }, workflowId: { type: 'string' }, cron: { type: 'string' }, timezone: { type: 'string' }, input: {}, priority: { type: 'integer', minimum: 1, maximum: 5 }, version: { type: ['integer', 'null'], description: 'a pinned version; null: the latest when it fires' }, paused: { type: 'boolean' }, nextRunTimes: { type: 'array', items: iso }, createdAt: iso },
  },
  RunSummary: {
    type: 'object',
    properties: { runId: { type: 'string' }, workflowId: { type: 'string' }, version: { type: 'integer' }, status: { type: 'string' }, trigger: { type: 'string' }, startedAt: iso, endedAt: { anyOf: [iso, { type: 'null' }] }, error: { type: ['string', 'null'] }, workflowName: { type: ['string', 'null'], description: 'the workflow\'s name (kept after it is deleted)' }, priority: { type: 'integer', minimum: 1, maximum: 5 }, waitedMs: { type: 'integer', description: 'time spent queued (so far, while queued)' }, queue: ref('QueuePosition') },
  },
  QueuePosition: {
    type: 'object',
    description: 'where a queued run stands in its team\'s queue (1 leaves first)',
    properties: { priority: { type: 'integer' }, position: { type: 'integer' }, enqueuedAt: iso },
  },
  Queue: {
    type: 'object',
    properties: {
      queued: { type: 'integer' }, byPriority: { type: 'array', items: { type: 'object', properties: { priority: { type: 'integer' }, queued: { type: 'integer' } } } },
      oldest: { anyOf: [{ type: 'object', properties: { runId: { type: 'string' }, enqueuedAt: iso, waitedMs: { type: 'integer' } } }, { type: 'null' }] },
      running: { type: 'integer' }, allowed: { type: ['integer', 'null'] },
      next: { type: 'array', items: { type: 'object', properties: { runId: { type: 'string' }, workflowId: { type: 'string' }, priority: { type: 'integer' }, position: { type: 'integer' }, enqueuedAt: iso, waitedMs: { type: 'integer' } } } },
    },
  },
  Run: {
    type: 'object',
    properties: {
      runId: { type: 'string' }, workflowId: { type: 'string' }, version: { type: 'integer' },
      status: { type: 'string', enum: ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'timed_out'] },
      priority: { type: 'integer' }, waitedMs: { type: 'integer' }, queue: ref('QueuePosition'),
      startedAt: iso, endedAt: iso, input: {}, output: {}, outputRef: { type: 'object', description: 'a large output kept in blob storage' },
      error: { type: 'object', properties: { message: { type: 'string' }, nodeId: { type: 'string' } } },
      nodes: { type: 'object', additionalProperties: { type: 'object', properties: { status: { type: 'string' }, attempts: { type: 'integer' }, startedAt: iso, endedAt: iso, output: {}, outputRef: { type: 'object' }, error: { type: 'object' } } } },
      usage: { type: 'object', properties: { aiTokens: { type: 'integer' }, costUsd: { type: 'number' } } },
    },
  },
};

export function platformPaths(): Record<string, unknown> {
  const wf = '/api/v1/teams/{teamId}/workflows';
  return {
    '/api/v1/teams/{teamId}/credentials': {
      post: op('credentials', 'Store a credential (sealed at rest, never returned); http_* types name the hosts it may be sent to (allowedHosts)', { parameters: [teamId], requestBody: body(CreateCredential), responses: { 201: ok('stored', ref('Credential')), 400: problem('invalid data or allowed hosts'), 409: problem('name taken'), ...common } }),
      get: op('credentials', 'List credentials (no secrets)', { parameters: [teamId], responses: { 200: ok('credentials', list('Credential')), ...common } }),
    },
    '/api/v1/teams/{teamId}/credentials/{credentialId}': {
      patch: op('credentials', 'Set the hosts an http credential may be sent to (team admins)', { parameters: [teamId, param('credentialId', 'credential id')], requestBody: body(UpdateCredentialHosts), responses: { 200: ok('updated', ref('Credential')), 400: problem('invalid allowed hosts, or an openai credential'), ...common } }),
      delete: op('credentials', 'Delete a credential', { parameters: [teamId, param('credentialId', 'credential id')], responses: { 204: ok('deleted'), ...common } }),
    },
    [wf]: {
      post: op('workflows', 'Create a workflow (version 1)', { parameters: [teamId], requestBody: body(CreateWorkflowRequest), responses: { 201: ok('created', ref('Workflow')), 400: problem('invalid body or tool settings'), 409: problem('tool_name_taken: another workflow of the team is this tool'), 422: problem('invalid graph: problems lists each {path, message}'), ...common } }),
      get: op('workflows', 'List workflows, each with its last run (lastRun: {runId, status, startedAt, endedAt} or null); q: case-insensitive search in names and descriptions', { parameters: [teamId, { name: 'q', in: 'query', schema: { type: 'string', maxLength: 200 } }, { name: 'search', in: 'query', description: 'older name of q', schema: { type: 'string' } }, { name: 'limit', in: 'query', schema: { type: 'integer' } }, { name: 'cursor', in: 'query', schema: { type: 'string' } }], responses: { 200: ok('a page', page('Workflow')), ...common } }),
    },
    [`${wf}/{id}`]: {
      get: op('workflows', 'The latest version of a workflow', { parameters: [teamId, workflowId], responses: { 200: ok('workflow', ref('Workflow')), ...common } }),
      put: op('workflows', 'Save: a new graph makes version n+1', { parameters: [teamId, workflowId], requestBody: body(UpdateWorkflowRequest), responses: { 200: ok('saved', ref('Workflow')), 400: problem('invalid body or tool settings'), 409: problem('saved concurrently (conflict), or tool_name_taken'), 422: problem('invalid graph, or one through which the workflow can start itself (the problem names the node: graph.nodes.N.config.workflowId)'), ...common } }),
      delete: op('workflows', 'Delete a workflow, its webhooks and schedules', { parameters: [teamId, workflowId], responses: { 204: ok('deleted'), ...common } }),
    },
    [`${wf}/{id}/versions`]: { get: op('workflows', 'Version history', { parameters: [teamId, workflowId], responses: { 200: ok('versions', list('WorkflowVersion')), ...common } }) },
    [`${wf}/{id}/versions/{version}`]: { get: op('workflows', 'One version, read-only', { parameters: [teamId, workflowId, param('version', 'version number')], responses: { 200: ok('workflow at that version', ref('Workflow')), ...common } }) },
    [`${wf}/{id}/webhooks`]: {
      post: op('webhooks', 'Create a signed webhook (the secret is shown once)', { parameters: [teamId, workflowId], requestBody: { required: false, content: json(z.toJSONSchema(WebhookRequest, { io: 'input' })) }, responses: { 201: ok('created', ref('Webhook')), ...common } }),
      get: op('webhooks', 'List webhooks (no secrets)', { parameters: [teamId, workflowId], responses: { 200: ok('webhooks', list('Webhook')), ...common } }),
    },
    [`${wf}/{id}/webhooks/{webhookId}`]: {
      patch: op('webhooks', 'Change the priority of the runs a webhook starts', { parameters: [teamId, workflowId, param('webhookId', 'webhook id')], requestBody: body(WebhookRequest), responses: { 200: ok('updated', ref('Webhook')), ...common } }),
      delete: op('webhooks', 'Delete a webhook', { parameters: [teamId, workflowId, param('webhookId', 'webhook id')], responses: { 204: ok('deleted'), ...common } }),
    },
    [`${wf}/{id}/schedules`]: {
      post: op('schedules', 'Create a cron schedule (overlapping runs are skipped)', { parameters: [teamId, workflowId], requestBody: body(CreateScheduleRequest), responses: { 201: ok('created', ref('Schedule')), 400: problem('invalid cron or time zone'), ...common, 403: problem('quota_schedules: the plan\'s schedules per team are all used; or the role does not allow this') } }),
      get: op('schedules', 'List schedules with their next 5 fire times', { parameters: [teamId, workflowId], responses: { 200: ok('schedules', list('Schedule')), ...common } }),
    },
    [`${wf}/{id}/schedules/{scheduleId}`]: {
      patch: op('schedules', 'Change the priority of the runs a schedule starts, or pin (null: unpin) a version', { parameters: [teamId, workflowId, param('scheduleId', 'schedule id')], requestBody: body(UpdateScheduleRequest), responses: { 200: ok('updated', ref('Schedule')), ...common } }),
      delete: op('schedules', 'Delete a schedule', { parameters: [teamId, workflowId, param('scheduleId', 'schedule id')], responses: { 204: ok('deleted'), ...common } }),
    },
    [`${wf}/{id}/schedules/{scheduleId}/pause`]: { post: op('schedules', 'Pause a schedule', { parameters: [teamId, workflowId, param('scheduleId', 'schedule id')], responses: { 200: ok('paused', ref('Schedule')), ...common } }) },
    [`${wf}/{id}/schedules/{scheduleId}/resume`]: { post: op('schedules', 'Resume a schedule', { parameters: [teamId, workflowId, param('scheduleId', 'schedule id')], responses: { 200: ok('resumed', ref('Schedule')), ...common } }) },
    [`${wf}/{id}/runs`]: {
      post: op('runs', 'Start a run (Idempotency-Key header: the same key returns the same run)', {
        parameters: [teamId, workflowId, { name: 'Idempotency-Key', in: 'header', schema: { type: 'string', maxLength: 200 } }],
        requestBody: body(StartRunRequest),
        responses: { 202: ok('queued (never refused for concurrency within the monthly quota): {runId, status: "queued"|"running"}', { type: 'object', properties: { runId: { type: 'string' }, status: { type: 'string', enum: ['queued', 'running'] } } }), ...common },
      }),
    },
    '/api/v1/teams/{teamId}/runs': {
      get: op('runs', 'List runs, newest first', {
        parameters: [teamId, { name: 'workflowId', in: 'query', schema: { type: 'string' } }, { name: 'status', in: 'query', schema: { type: 'string' } }, { name: 'q', in: 'query', description: 'case-insensitive search in the run id, the error message and the workflow\'s name', schema: { type: 'string', maxLength: 200 } }, { name: 'limit', in: 'query', schema: { type: 'integer' } }, { name: 'cursor', in: 'query', schema: { type: 'string' } }],
        responses: { 200: ok('a page', page('RunSummary')), ...common },
      }),
    },
    '/api/v1/teams/{teamId}/runs/{runId}': { get: op('runs', 'A run with its node states (live while it runs)', { parameters: [teamId, runId], responses: { 200: ok('run', ref('Run')), ...common } }) },
    '/api/v1/teams/{teamId}/runs/{runId}/events': {
      get: op('runs', 'Live events (Server-Sent Events): snapshot, node, token, run (final; the stream then closes), reconnect (the stream reached its maximum lifetime and closes; EventSource reconnects and gets a fresh snapshot)', { parameters: [teamId, runId], responses: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...common, 429: problem('sse_limit: too many streams open for this user/API key or team; or rate limited') } }),
    },
    '/api/v1/teams/{teamId}/runs/{runId}/approvals/{nodeId}': {
      post: op('runs', 'Approve or reject a waiting approval node', { parameters: [teamId, runId, param('nodeId', 'approval node id')], requestBody: body(DecisionRequest), responses: { 200: ok('decided'), 409: problem('the node is not waiting'), 422: problem('the form data does not match the node\'s form'), ...common } }),
    },
    '/api/v1/teams/{teamId}/runs/{runId}/output': { get: op('runs', 'The run\'s whole output ({output}), loaded from blob storage when large', { parameters: [teamId, runId], responses: { 200: ok('output'), ...common } }) },
    '/api/v1/teams/{teamId}/runs/{runId}/nodes/{nodeId}/output': { get: op('runs', 'A node\'s whole output ({nodeId, output}), loaded from blob storage when large', { parameters: [teamId, runId, param('nodeId', 'node id')], responses: { 200: ok('output'), ...common } }) },
    '/api/v1/teams/{teamId}/runs/{runId}/cancel': { post: op('runs', 'Cancel a run (a queued one at once)', { parameters: [teamId, runId], responses: { 202: ok('{runId, status: "cancelled"|"cancelling"}'), ...common } }) },
    '/api/v1/teams/{teamId}/queue': {
      get: op('runs', 'The team\'s queue: queued runs by priority, the oldest one\'s wait, running vs allowed, the next to leave', { parameters: [teamId], responses: { 200: ok('queue', ref('Queue')), ...common } }),
    },
    '/api/v1/teams/{teamId}/runs/{runId}/rerun': {
      post: op('runs', 'Start a new run of the same version and input; from a node, reusing the outputs upstream of it', { parameters: [teamId, runId], requestBody: body(RerunRequest), responses: { 202: ok('started'), ...common } }),
    },
    '/hooks/{webhookId}': {
      post: {
        tags: ['webhooks'],
        summary: 'Deliver to a webhook: X-Trellis-Signature t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>; a signed request starts at most one run (a replay answers with the first run, duplicate: true); X-Trellis-Delivery dedupes re-signed retries; ?wait=true answers with the output',
        security: [],
        parameters: [param('webhookId', 'webhook id'), { name: 'wait', in: 'query', schema: { type: 'boolean' } }, { name: 'X-Trellis-Signature', in: 'header', required: true, schema: { type: 'string' } }, { name: 'X-Trellis-Delivery', in: 'header', schema: { type: 'string' } }, { name: 'X-Trellis-Priority', in: 'header', description: '1 (first) to 5; default: the webhook\'s priority', schema: { type: 'string', pattern: '^[1-5]$' } }],
        requestBody: { content: { 'application/json': { schema: {} } } },
        responses: { 200: ok('the output (with ?wait=true)'), 202: ok('accepted: {runId, duplicate}'), 401: problem('missing, invalid or expired signature'), 404: problem('no such webhook'), 413: problem('body over 1 MB'), 429: problem('rate_limited_webhook: the webhook\'s deliveries per minute are used (charged only for new, verified requests); rate_limited_webhook_refused: too many unsigned or wrongly signed requests from this address') },
      },
    },
  };
}
