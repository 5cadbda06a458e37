// The agent node's activities against the fake OpenAI-compatible server (tool calling, streamed
// and not), a local MCP server built with the SDK, a local HTTP target, the expression pool, the
// test Redis and a SQLite database: model turns, the run's budget before a turn, the final
// answer's schema, HTTP tools (templates, SSRF guard, caps) and MCP tools, and tool preparation.
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createAgentActivities, type AgentMessage, type AgentTurnInput, type AgentTurnOutput, type HttpTool, type ToolSpec } from '../../activities/agent.ts';
import { createChatCompletions } from '../../activities/ai-chat.ts';
import { createExpressionPool, type ExpressionPool } from '../../activities/expressions/pool.ts';
import { createHttpActivities, type CredentialStore } from '../../activities/http.ts';
import { createActivities, type Activities } from '../../activities/index.ts';
import { createMcpClient } from '../../activities/mcp-client.ts';
import { MAX_TOOL_RESULT_BYTES } from '../../activities/tool-result.ts';
import { createBlobStore } from '../../core/blobs/store.ts';
import { WorkflowDefinition } from '../../core/workflows/entities.ts';
import { createOrm, migrate, type Orm } from '../../core/db/orm.ts';
import { createRedis } from '../../core/redis/client.ts';
import type { ExpressionContext } from '../../workflows/graph/expressions.ts';
import { testDatabases, testEnv } from '../support/env.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.ts';
import { startHttpTarget } from '../support/http-target.ts';
import { startMcpServer, type FakeMcpServer } from '../support/mcp-server.ts';
import { failureOf } from '../support/failures.ts';

const TEAM = 'team-agent';
let fake: FakeOpenAI;
let mcpServer: FakeMcpServer;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
let redis: Redis;
let orm: Orm;
let expressions: ExpressionPool;
let full: Activities;

const credentials: CredentialStore = {
  async get(teamId, id): ReturnType<CredentialStore['get']> {
    if (teamId !== TEAM) return undefined;
    if (id === 'weather-key') return { type: 'http_bearer', data: { token: 'tok-SECRET-weather' }, allowedHosts: ['127.0.0.1'] };
    return undefined;
  },
};

const logger = pino({ level: 'silent' });
const weatherSchema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };

/** The agent activities with the full worker's template rendering; `stream` as asked. */
function agentActivities(options: { stream?: boolean; allowlist?: string[] } = {}) {
  const allowlist = options.allowlist ?? ['127.0.0.1'];
  return createAgentActivities({
    orm,
    logger,
    chat: createChatCompletions({ openai: { baseUrl: fake.url, apiKey: 'sk-test' }, redis, credentials, logger, stream: options.stream }),
    http: createHttpActivities({ allowlist, credentials, logger }),
    mcp: createMcpClient({ credentials, allowlist, logger }),
    renderTemplate: ({ teamId, runId, value, context }) =>
      full.evaluateIsolated({ owner: { teamId, runId }, mode: 'template', value, context: context as unknown as ExpressionContext }),
  });
}

function callOf(runId = `run_${randomUUID().replaceAll('-', '')}`) {
  return { runId, teamId: TEAM, nodeId: 'agent', iteration: 0 };
}

function run<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  const env = new MockActivityEnvironment({ startToCloseTimeoutMs: 30_000 }, { logger: new DefaultLogger('ERROR') });
  return env.run(fn, ...args);
}

const weatherTool = { name: 'lookup_weather', description: 'The weather in a city today', parameters: weatherSchema };
const noSpend = { spent: { aiTokens: 0, costUsd: 0 } };

function turnInput(messages: AgentMessage[], overrides: Partial<AgentTurnInput> = {}): AgentTurnInput {
  return { config: { model: 'gpt-4o-mini' }, messages, tools: [weatherTool], call: callOf(), spend: noSpend, ...overrides };
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  mcpServer = await startMcpServer();
  target = await startHttpTarget({
    '/weather': (req, res, body) => {
      const url = new URL(req.url ?? '/', 'http://x');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ city: url.searchParams.get('city'), body: body ? (JSON.parse(body) as unknown) : null, forecast: 'rain' }));
    },
    '/big': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('y'.repeat(100_000));
    },
  });
  redis = createRedis(testEnv.redisUrl);
  if (redis.status !== 'ready') await once(redis, 'ready');
  orm = await createOrm(await testDatabases[0]![1]());
  await migrate(orm);
  expressions = createExpressionPool({ processes: 1, cpuMs: 1_000, memoryMb: 192 });
  full = createActivities({
    orm,
    logger,
    redis,
    blobs: createBlobStore(orm, { maxBytes: 10 * 1024 * 1024 }),
    blobThresholdBytes: 65_536,
    httpAllowlist: ['127.0.0.1'],
    openai: { baseUrl: fake.url, apiKey: 'sk-test' },
    credentials,
    expressions,
  });
});

afterAll(async () => {
  await fake.close();
  await mcpServer.close();
  await target.close();
  await expressions.close();
  await orm.close();
  redis.disconnect();
});

beforeEach(() => {
  fake.reset();
  mcpServer.reset();
  target.hits.length = 0;
});

describe('agentTurn', () => {
  it.each([
    ['streamed', true],
    ['not streamed', false],
  ])('asks for a tool, then answers with its result (%s)', async (_mode, stream) => {
    const { agentTurn } = agentActivities({ stream });
    const question: AgentMessage[] = [{ role: 'system', content: 'Use tools.' }, { role: 'user', content: 'Weather in Paris? use lookup_weather #args={"city":"Paris"}' }];
    const first = await run(agentTurn, turnInput(question));
    expect(first.toolCalls).toEqual([{ id: expect.any(String), name: 'lookup_weather', arguments: '{"city":"Paris"}' }]);
    expect(first.text).toBe('');
    expect(first.finishReason).toBe('tool_calls');
    expect(first.usage.totalTokens).toBeGreaterThan(0);
    expect(first.costUsd).toBeGreaterThan(0);
    expect(fake.requests[0]!.body.stream ?? false).toBe(stream);
    expect(fake.requests[0]!.body.tools).toEqual([{ type: 'function', function: weatherTool }]);

    const call = first.toolCalls[0]!;
    const followUp: AgentMessage[] = [
      ...question,
      { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }] },
      { role: 'tool', tool_call_id: call.id, content: 'Sunny, 21 °C in Paris' },
    ];
    const second = await run(agentTurn, turnInput(followUp));
    expect(second).toMatchObject({ text: 'Tool results: Sunny, 21 °C in Paris', toolCalls: [], finishReason: 'stop' });
    // The conversation went to the provider as OpenAI messages, tool call and result included.
    expect(fake.requests[1]!.body.messages).toEqual(followUp);
  });

  it("is the worker's registered activity and streams the final text to the run's channel, naming its turn", async () => {
    const call = callOf();
    const subscriber = new Redis(testEnv.redisUrl);
    const texts: string[] = [];
    const steps = new Set<unknown>();
    subscriber.on('message', (_channel, message: string) => {
      const event = JSON.parse(message) as { text: string; step?: number };
      texts.push(event.text);
      steps.add(event.step);
    });
    await subscriber.subscribe(`run:${call.runId}`);
    try {
      const out: AgentTurnOutput = await run(full.agentTurn, turnInput([{ role: 'user', content: 'Just say hello' }], { call, step: 2 }));
      expect(out.text).toBe('You said: Just say hello');
      // Published in batches after the reply: poll for them to arrive.
      const deadline = Date.now() + 5_000;
      while (texts.join('') !== out.text && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(texts.join('')).toBe(out.text);
      expect([...steps]).toEqual([2]);
    } finally {
      subscriber.disconnect();
    }
  });

  it("refuses a turn past the run's AI tokens or budget before asking the model", async () => {
    const { agentTurn } = agentActivities();
    const ask = [{ role: 'user' as const, content: 'use lookup_weather' }];
    const tokens = await failureOf(run(agentTurn, turnInput(ask, { spend: { maxAiTokens: 1_000, spent: { aiTokens: 1_000, costUsd: 0 } } })));
    expect(tokens).toMatchObject({ type: 'quota_ai_tokens', nonRetryable: true });
    const budget = await failureOf(run(agentTurn, turnInput(ask, { spend: { maxCostUsd: 0.01, spent: { aiTokens: 0, costUsd: 0.01 } } })));
    expect(budget).toMatchObject({ type: 'budget_exceeded', nonRetryable: true });
    expect(fake.requests).toHaveLength(0);
    // With room left, the same turn goes to the model.
    await run(agentTurn, turnInput(ask, { spend: { maxCostUsd: 1, spent: { aiTokens: 0, costUsd: 0.01 } } }));
    expect(fake.requests).toHaveLength(1);
  });

  it('validates the final answer against outputSchema, not a turn that calls tools', async () => {
    const { agentTurn } = agentActivities({ stream: false });
    const outputSchema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    const config = { model: 'gpt-4o-mini', outputSchema };
    const final = await run(agentTurn, turnInput([{ role: 'user', content: 'Answer' }], { config, tools: [] }));
    expect(final.json).toEqual({ answer: 'example' });
    expect(fake.requests[0]!.body.response_format).toMatchObject({ type: 'json_schema', json_schema: { schema: outputSchema } });

    const calling = await run(agentTurn, turnInput([{ role: 'user', content: 'use lookup_weather #args={"city":"Rome"}' }], { config }));
    expect(calling.toolCalls).toHaveLength(1);
    expect(calling.json).toBeUndefined();

    fake.script.push({ content: '{"answer": 42}' });
    const wrong = await failureOf(run(agentTurn, turnInput([{ role: 'user', content: 'Answer' }], { config, tools: [] })));
    expect(wrong).toMatchObject({ type: 'AiSchemaMismatch', nonRetryable: true });
    fake.script.push({ content: 'not json' });
    const text = await failureOf(run(agentTurn, turnInput([{ role: 'user', content: 'Answer' }], { config, tools: [] })));
    expect(text).toMatchObject({ type: 'AiInvalidJson', nonRetryable: true });
  });

  it('takes tool calls split across stream chunks, several in one turn', async () => {
    const { agentTurn } = agentActivities({ stream: true });
    fake.script.push({ toolCalls: [{ name: 'lookup_weather', arguments: { city: 'Oslo, Norway' } }, { name: 'lookup_weather', arguments: { city: 'Bergen' }, id: 'call_b' }] });
    const out = await run(agentTurn, turnInput([{ role: 'user', content: 'two cities' }]));
    expect(out.toolCalls).toEqual([
      { id: expect.any(String), name: 'lookup_weather', arguments: '{"city":"Oslo, Norway"}' },
      { id: 'call_b', name: 'lookup_weather', arguments: '{"city":"Bergen"}' },
    ]);
    expect(fake.requests[0]!.chunks).toBeGreaterThanOrEqual(6);
  });
});

describe('agentHttpTool', () => {
  const tool = (overrides: Partial<HttpTool> = {}): HttpTool => ({
    type: 'http',
    name: 'weather_api',
    description: 'Forecast for a city',
    method: 'POST',
    url: `${target.url}/weather?city={{ args.city }}`,
    headers: { 'x-city': '{{ args.city }}' },
    body: { q: '{{ args.city }}', days: 3 },
    inputSchema: weatherSchema,
    requiresApproval: false,
    ...overrides,
  });

  it("renders url, headers and body with the model's arguments and sends the request", async () => {
    const { agentHttpTool } = agentActivities();
    const out = await run(agentHttpTool, { tool: tool({ credentialId: 'weather-key' }), args: { city: 'Lyon' }, call: callOf(), callId: 'call_1' });
    expect(out).toEqual({ status: 200, body: { city: 'Lyon', body: { q: 'Lyon', days: 3 }, forecast: 'rain' } });
    const hit = target.hits[0]!;
    expect(hit.headers['x-city']).toBe('Lyon');
    expect(hit.headers.authorization).toBe('Bearer tok-SECRET-weather');
    expect(hit.headers['idempotency-key']).toMatch(/:call_1$/);
    await run(agentHttpTool, { tool: tool(), args: { city: 'Nice' }, call: callOf(), callId: 'call_2' });
    expect(target.hits[1]!.headers['idempotency-key']).not.toBe(hit.headers['idempotency-key']);
  });

  it("percent-encodes the model's strings in the URL only: an argument cannot add a query parameter or a path", async () => {
    const { agentHttpTool } = agentActivities();
    const city = 'Lyon&admin=1#/../../internal';
    const out = await run(agentHttpTool, { tool: tool(), args: { city }, call: callOf(), callId: 'call_enc' });
    expect(out).toMatchObject({ status: 200, body: { city, body: { q: city, days: 3 } } });
    const hit = target.hits[0]!;
    expect(hit.path).toBe('/weather');
    expect(hit.headers['x-city']).toBe(city);
  });

  it('refuses arguments that do not match the input schema before any request', async () => {
    const { agentHttpTool } = agentActivities();
    const failure = await failureOf(run(agentHttpTool, { tool: tool(), args: { town: 'Lyon' }, call: callOf() }));
    expect(failure).toMatchObject({ type: 'AgentInvalidToolArguments', nonRetryable: true });
    expect(target.hits).toHaveLength(0);
  });

  it('is refused by the SSRF guard for a private or metadata host', async () => {
    const { agentHttpTool } = agentActivities({ allowlist: [] });
    const local = await failureOf(run(agentHttpTool, { tool: tool(), args: { city: 'Lyon' }, call: callOf() }));
    expect(local).toMatchObject({ type: 'HttpDestinationRefused', nonRetryable: true });
    const metadata = await failureOf(run(agentHttpTool, { tool: tool({ url: 'http://169.254.169.254/latest/{{ args.city }}' }), args: { city: 'x' }, call: callOf() }));
    expect(metadata).toMatchObject({ type: 'HttpDestinationRefused', nonRetryable: true });
    expect(target.hits).toHaveLength(0);
  });

  it('cuts a long response for the model, saying so', async () => {
    const { agentHttpTool } = agentActivities();
    const out = await run(agentHttpTool, { tool: tool({ method: 'GET', url: `${target.url}/big`, body: undefined, headers: undefined }), args: { city: 'x' }, call: callOf() });
    const text = out.body as string;
    expect(text.startsWith('y'.repeat(MAX_TOOL_RESULT_BYTES))).toBe(true);
    expect(text).toMatch(/\[cut: the result was 100000 bytes; only the first 65536 are shown\]$/);
  });
});

describe('agentMcpTool', () => {
  it('calls a tool on the MCP server exactly once', async () => {
    const { agentMcpTool } = agentActivities();
    const out = await run(agentMcpTool, { server: { url: mcpServer.url }, name: 'lookup_weather', args: { city: 'Oslo' }, call: callOf() });
    expect(out).toEqual({ content: 'Sunny, 21 °C in Oslo', isError: false });
    expect(mcpServer.calls).toEqual({ lookup_weather: 1 });
  });

  it('refuses a tool outside the allow list without calling the server', async () => {
    const { agentMcpTool } = agentActivities();
    const failure = await failureOf(run(agentMcpTool, { server: { url: mcpServer.url }, name: 'add', args: { a: 1, b: 2 }, call: callOf(), allow: ['lookup_weather'] }));
    expect(failure).toMatchObject({ type: 'mcp_tool_not_allowed', nonRetryable: true });
    expect(mcpServer.requests).toHaveLength(0);
  });
});

describe('agentPrepareTools', () => {
  async function saveWorkflow(tool: WorkflowDefinition['tool'], teamId = TEAM) {
    const id = `wf_${randomUUID().slice(0, 8)}`;
    const em = orm.em.fork();
    const now = new Date();
    em.create(WorkflowDefinition, { id, teamId, name: 'Refund order', description: null, latestVersion: 1, createdAt: now, updatedAt: now, deletedAt: null, tool, toolName: tool?.name ?? null });
    await em.flush();
    return id;
  }

  it('offers workflow, HTTP and allowed MCP tools with their schemas', async () => {
    const { agentPrepareTools } = agentActivities();
    const refundSchema = { type: 'object', properties: { orderId: { type: 'string' } }, required: ['orderId'] };
    const withSettings = await saveWorkflow({ name: 'refund', description: 'Refunds an order', inputSchema: refundSchema });
    const bare = await saveWorkflow(null);
    const specs: ToolSpec[] = await run(agentPrepareTools, {
      tools: [
        { type: 'workflow', workflowId: withSettings, name: 'refund_order', requiresApproval: true },
        { type: 'workflow', workflowId: bare, name: 'bare', description: 'Does it', requiresApproval: false },
        { type: 'http', name: 'weather_api', description: 'Forecast', method: 'GET', url: `${target.url}/weather`, inputSchema: weatherSchema, requiresApproval: false },
        { type: 'mcp', url: mcpServer.url, allow: ['add', 'lookup_weather'], requiresApproval: false },
      ],
      call: callOf(),
    });
    expect(specs).toEqual([
      { name: 'refund_order', description: 'Refunds an order', parameters: refundSchema, source: { type: 'workflow', workflowId: withSettings } },
      { name: 'bare', description: 'Does it', parameters: { type: 'object' }, source: { type: 'workflow', workflowId: bare } },
      { name: 'weather_api', description: 'Forecast', parameters: weatherSchema, source: { type: 'http', index: 2 } },
      { name: 'add', description: 'Adds two numbers', parameters: expect.objectContaining({ type: 'object', required: ['a', 'b'] }), source: { type: 'mcp', index: 3, remoteName: 'add' } },
      { name: 'lookup_weather', description: 'The weather in a city today', parameters: expect.objectContaining({ type: 'object' }), source: { type: 'mcp', index: 3, remoteName: 'lookup_weather' } },
    ]);
    // Listing calls no tool.
    expect(mcpServer.calls).toEqual({});
  });

  it("fails naming an allowed tool the MCP server does not offer, and another team's workflow", async () => {
    const { agentPrepareTools } = agentActivities();
    const missing = await failureOf(run(agentPrepareTools, { tools: [{ type: 'mcp', url: mcpServer.url, allow: ['add', 'send_email'], requiresApproval: false }], call: callOf() }));
    expect(missing).toMatchObject({ type: 'mcp_tool_not_found', nonRetryable: true });
    expect(missing.message).toContain('"send_email"');
    const foreign = await saveWorkflow(null, 'another-team');
    const notFound = await failureOf(run(agentPrepareTools, { tools: [{ type: 'workflow', workflowId: foreign, name: 'steal', requiresApproval: false }], call: callOf() }));
    expect(notFound).toMatchObject({ type: 'workflow_not_found', nonRetryable: true });
  });
});
