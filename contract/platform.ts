// Workflows, versions, credentials, webhooks and schedules on the wire.
import { z } from 'zod';
import { MAX_ALLOWED_HOSTS } from '../core/credentials/hosts.ts';
import { NODE_TYPES } from '../workflows/graph/registry.ts';
import { answer, IsoDate, page, PageQuery, request } from './common.ts';

export const Priority = z.int().min(1).max(5).describe('1 (first) to 5');

// ---- graphs (the language itself: docs/graph-reference.md; validated by workflows/graph/validate.ts)
export const WireNode = answer(
  'Node',
  z.object({
    id: z.string(),
    type: z.enum(NODE_TYPES),
    label: z.string().optional(),
    position: z.object({ x: z.number(), y: z.number() }).optional(),
    retry: z.record(z.string(), z.unknown()).optional().describe('{maxAttempts, initialInterval, backoffCoefficient, maxInterval}'),
    timeout: z.string().optional().describe('a duration such as 30s or 5m'),
    onError: z.enum(['fail', 'continue', 'route']).optional(),
    config: z.record(z.string(), z.unknown()).describe("the node type's settings (docs/graph-reference.md)"),
  }),
);
export const WireGraph = answer(
  'Graph',
  z.object({
    nodes: z.array(WireNode),
    edges: z.array(z.object({ from: z.string(), port: z.string().optional(), to: z.string() })),
    settings: z
      .object({ maxAiTokens: z.int().optional(), maxCostUsd: z.number().optional() })
      .optional()
      .describe('Per-run limits: over one, an AI node fails (quota_ai_tokens, budget_exceeded) instead of calling the model.'),
  }),
  'A workflow graph (docs/graph-reference.md).',
);

/** MCP's and the model providers' tool name rule. */
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
export const TOOL_DESCRIPTION_MAX = 1_000;
/** A workflow offered as a tool to MCP clients and agents (the api also checks the input schema's bounds: core/workflows/tool.ts). */
export const WorkflowToolSettings = answer(
  'WorkflowTool',
  z.strictObject({
    name: z.string().regex(TOOL_NAME, 'must be 1 to 64 letters, digits, _ or -'),
    description: z.string().trim().min(1, 'is required (clients and models choose tools by it)').max(TOOL_DESCRIPTION_MAX, `must be at most ${TOOL_DESCRIPTION_MAX} characters`),
    inputSchema: z.record(z.string(), z.unknown()).describe('a JSON Schema of type "object" for the arguments'),
  }),
);
export type WorkflowToolSettings = z.infer<typeof WorkflowToolSettings>;

// ---- requests
export const CreateWorkflowRequest = request(
  'CreateWorkflowRequest',
  z.object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(5_000).optional(),
    graph: z.unknown().refine((g) => g !== undefined, 'graph is required').describe('a graph (docs/graph-reference.md)'),
    /** Offers the workflow as a tool to MCP clients and agents; null or absent: not a tool. */
    tool: WorkflowToolSettings.nullable().optional(),
  }),
);
export const UpdateWorkflowRequest = request(
  'UpdateWorkflowRequest',
  z.object({
    name: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(5_000).optional(),
    graph: z.unknown().optional().describe('a new graph makes version n+1'),
    /** Absent: unchanged; null: no longer a tool. */
    tool: WorkflowToolSettings.nullable().optional(),
  }),
);
export const CreateScheduleRequest = request(
  'CreateScheduleRequest',
  z.object({
    cron: z.string().min(1).max(200),
    timezone: z.string().max(100).optional(),
    input: z.unknown().optional(),
    /** The priority of the runs it starts (1 first, default 3). */
    priority: Priority.optional(),
    /** A pinned version; absent: the workflow's latest when it fires. */
    version: z.int().min(1).optional(),
  }),
);
export const UpdateScheduleRequest = request('UpdateScheduleRequest', z.object({ priority: Priority.optional(), version: z.int().min(1).nullable().optional() }));
/** The priority of the runs a webhook starts (a request may name its own with X-Trellis-Priority). */
export const WebhookRequest = request('WebhookRequest', z.object({ priority: Priority.optional() }));
/** `q` (or its older name `search`): case-insensitive, in the name or the description. */
export const ListWorkflowsQuery = PageQuery.extend({ q: z.string().trim().max(200).optional(), search: z.string().trim().max(200).optional() });

/** What each credential type holds; validated on create. */
export const CredentialData = {
  openai: z.object({ apiKey: z.string().min(1), baseUrl: z.url().optional() }),
  http_header: z.object({ name: z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'must be a header name'), value: z.string().min(1) }),
  http_basic: z.object({ username: z.string().min(1), password: z.string() }),
  http_bearer: z.object({ token: z.string().min(1) }),
} as const;
export const CREDENTIAL_TYPES = Object.keys(CredentialData) as [keyof typeof CredentialData, ...(keyof typeof CredentialData)[]];
export const CredentialType = answer('CredentialType', z.enum(CREDENTIAL_TYPES));
export type CredentialType = z.infer<typeof CredentialType>;
const AllowedHosts = z
  .array(z.string().max(300))
  .max(MAX_ALLOWED_HOSTS)
  .describe('Hosts the secret may be sent to: api.example.com, *.example.com (any subdomain) or an IP address. Required for http_* types; openai credentials go only to their baseUrl.');
export const CreateCredential = request(
  'CreateCredentialRequest',
  z.object({ name: z.string().min(1).max(100), type: CredentialType, data: z.record(z.string(), z.unknown()).describe('openai: {apiKey, baseUrl?}; http_header: {name, value}; http_basic: {username, password}; http_bearer: {token}'), allowedHosts: AllowedHosts.optional() }),
);
export type CreateCredential = z.infer<typeof CreateCredential>;
export const UpdateCredentialHosts = request('UpdateCredentialHostsRequest', z.object({ allowedHosts: AllowedHosts.min(1) }));
export type UpdateCredentialHosts = z.infer<typeof UpdateCredentialHosts>;

// ---- answers
export const LastRun = answer('LastRun', z.object({ runId: z.string(), status: z.string(), startedAt: IsoDate, endedAt: IsoDate.nullable() }));
export type LastRun = z.infer<typeof LastRun>;

const workflowFields = {
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  version: z.int(),
  createdAt: IsoDate,
  updatedAt: IsoDate,
  tool: WorkflowToolSettings.nullable().describe('offered to MCP clients and agents; null: not a tool'),
};
export const WorkflowSummary = z.object(workflowFields);
export type WorkflowSummary = z.infer<typeof WorkflowSummary>;
export const Workflow = answer('Workflow', z.object({ ...workflowFields, graph: WireGraph }), 'a workflow at one version, with its graph');
export type Workflow = z.infer<typeof Workflow>;
export const WorkflowListItem = answer('WorkflowListItem', z.object({ ...workflowFields, lastRun: LastRun.nullable().describe('its newest root run') }));
export type WorkflowListItem = z.infer<typeof WorkflowListItem>;
export const WorkflowListPage = page('WorkflowListPage', WorkflowListItem);

export const WorkflowAtVersion = answer(
  'WorkflowAtVersion',
  Workflow.extend({ createdAt: IsoDate.describe('when this version was saved'), createdBy: z.string().nullable().describe('who saved it (user or API key id)') }),
  'a workflow as it was at one version (read-only)',
);
export type WorkflowAtVersion = z.infer<typeof WorkflowAtVersion>;
export const WorkflowVersion = answer('WorkflowVersion', z.object({ version: z.int(), createdAt: IsoDate, createdBy: z.string().nullable() }));
export type WorkflowVersion = z.infer<typeof WorkflowVersion>;
export const WorkflowVersionList = answer('WorkflowVersionList', z.object({ items: z.array(WorkflowVersion) }));

export const Credential = answer(
  'Credential',
  z.object({
    id: z.string(),
    name: z.string(),
    type: CredentialType,
    allowedHosts: z.array(z.string()).nullable().describe('hosts an http credential may be sent to; null: none set (the http node refuses it with credential_host_not_allowed), or an openai credential'),
    createdAt: IsoDate,
  }),
  'a stored credential (its secret is never returned)',
);
export type Credential = z.infer<typeof Credential>;
export const CredentialList = answer('CredentialList', z.object({ items: z.array(Credential) }));

export const Webhook = answer(
  'Webhook',
  z.object({
    id: z.string(),
    url: z.string(),
    workflowId: z.string(),
    priority: Priority.describe('the priority of the runs it starts (a request may name its own)'),
    createdAt: IsoDate,
  }),
);
export type Webhook = z.infer<typeof Webhook>;
export const CreatedWebhook = answer('CreatedWebhook', Webhook.extend({ secret: z.string().describe('the signing secret, shown once') }));
export type CreatedWebhook = z.infer<typeof CreatedWebhook>;
export const WebhookList = answer('WebhookList', z.object({ items: z.array(Webhook) }));

export const Schedule = answer(
  'Schedule',
  z.object({
    id: z.string(),
    workflowId: z.string(),
    cron: z.string(),
    timezone: z.string(),
    input: z.unknown(),
    priority: Priority,
    version: z.int().nullable().describe('a pinned version; null: the latest when it fires'),
    paused: z.boolean(),
    nextRunTimes: z.array(IsoDate),
    createdAt: IsoDate,
  }),
);
export type Schedule = z.infer<typeof Schedule>;
export const ScheduleList = answer('ScheduleList', z.object({ items: z.array(Schedule) }));

// ---- Trellis as an MCP server: what `POST /mcp` takes and answers, one JSON-RPC 2.0 message or a batch of them
const JsonRpcMessage = z.record(z.string(), z.unknown());
export const McpMessage = z.union([JsonRpcMessage, z.array(JsonRpcMessage)]).describe('a JSON-RPC 2.0 request, notification or response, or a batch of them');

// ---- MCP: a remote server's tools, as the designer lists them (POST …/mcp/tools)
export const ListRemoteToolsRequest = request(
  'ListRemoteToolsRequest',
  z.strictObject({
    url: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).max(2_048).describe("the server's Streamable HTTP endpoint"),
    credentialId: z.string().min(1).max(200).optional().describe('an http_bearer or http_header credential bound to its host'),
  }),
);
export type ListRemoteToolsRequest = z.infer<typeof ListRemoteToolsRequest>;
export const McpToolInfo = answer('McpToolInfo', z.object({ name: z.string(), description: z.string(), inputSchema: z.record(z.string(), z.unknown()) }));
export type McpToolInfo = z.infer<typeof McpToolInfo>;
export const RemoteMcpTools = answer('RemoteMcpTools', z.object({ tools: z.array(McpToolInfo) }));
