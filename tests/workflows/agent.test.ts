// The agent node in real runs: model turns against the fake OpenAI-compatible server (tool
// calling), a workflow tool as a child run, an HTTP tool against a local server and an MCP tool
// on a local SDK-built MCP server, on the real Temporal dev server. Each tool call is asserted to
// happen exactly once.
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { createOrm, migrate, type Orm } from '../../core/db/orm.ts';
import { WorkflowDefinition, WorkflowVersion } from '../../core/workflows/entities.ts';
import { startRun } from '../../core/runs/start-run.ts';
import { createTemporalClient } from '../../core/temporal.ts';
import { Graph } from '../../workflows/graph/schema.ts';
import { getRunState } from '../../workflows/messages.ts';
import type { RunGraphResult } from '../../workflows/run-graph.ts';
import type { AgentStep, RunState } from '../../workflows/interpreter/state.ts';
import { MAX_PARALLEL_TOOL_CALLS } from '../../workflows/interpreter/executors/agent.ts';
import { tempDir, testEnv } from '../support/env.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.ts';
import type { ServerResponse } from 'node:http';
import { json, startHttpTarget, type Route } from '../support/http-target.ts';
import { startMcpServer, type FakeMcpServer } from '../support/mcp-server.ts';
import { startTestWorker } from '../support/worker.ts';
import { recordHistory } from '../support/histories.ts';
import { decideOn } from '../support/decide.ts';

const TEAM = 'team_agent';
let orm: Orm;
let client: Client;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let openai: FakeOpenAI;
let mcp: FakeMcpServer;
let target: Awaited<ReturnType<typeof startHttpTarget>>;

/**
 * A route that holds its requests until `parties` are in flight at once, then answers them all;
 * after `fallbackMs` it answers whatever it holds, so calls made one after another still end
 * (slowly). `most` is the largest number it held at once.
 */
function together(parties: number, fallbackMs: number) {
  const held: ServerResponse[] = [];
  const seen = { most: 0 };
  const release = () => {
    for (const res of held.splice(0)) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ inStock: true }));
  };
  const route: Route = (_req, res) => {
    held.push(res);
    seen.most = Math.max(seen.most, held.length);
    if (held.length >= parties) release();
    else setTimeout(release, fallbackMs);
  };
  return { route, seen };
}
const stock = together(2, 5_000);
const slow = together(2, 10_000); // one call alone: held until the fallback
const many = together(MAX_PARALLEL_TOOL_CALLS + 1, 2_000); // never reached under the cap: released by the fallback

async function saveWorkflow(id: string, graph: unknown, tool: { name: string; description: string; inputSchema: Record<string, unknown> } | null) {
  const em = orm.em.fork();
  const now = new Date();
  em.create(WorkflowDefinition, { id, teamId: TEAM, name: id, description: null, latestVersion: 1, createdAt: now, updatedAt: now, deletedAt: null, tool, toolName: tool?.name ?? null });
  em.create(WorkflowVersion, { workflowId: id, version: 1, graph: Graph.parse(graph), createdAt: now, createdBy: 'test' });
  await em.flush();
}

beforeAll(async () => {
  orm = await createOrm(`sqlite:${join(tempDir('db'), 'app.sqlite')}`);
  await migrate(orm);
  client = await createTemporalClient({ address: testEnv.temporalAddress, namespace: 'default' });
  openai = await startFakeOpenAI();
  mcp = await startMcpServer();
  target = await startHttpTarget({ '/price': json(200, { item: 'tea', priceUsd: 4.5 }), '/stock': stock.route, '/slow': slow.route, '/many': many.route });
  await saveWorkflow('wf_double', {
    nodes: [{ id: 'out', type: 'output', config: { value: '{{ { "doubled": input.n * 2 } }}' } }],
    edges: [],
  }, { name: 'double', description: 'Doubles n', inputSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] } });
  worker = await startTestWorker({ address: testEnv.temporalAddress, orm, openaiBaseUrl: openai.url });
});

afterAll(async () => {
  await worker.stop();
  await Promise.all([client.connection.close(), openai.close(), mcp.close(), target.close()]);
  await orm.close();
});

beforeEach(() => {
  mcp.reset();
  openai.script.length = 0;
});

async function run(graph: unknown, input: unknown = {}) {
  const { runId } = await startRun(client, { taskQueue: worker.taskQueue, blobThresholdBytes: 65_536, maxConcurrency: 10 }, {
    graph: Graph.parse(graph), version: 1, input, teamId: TEAM, workflowId: 'wf_agent', trigger: 'api',
  });
  return client.workflow.getHandle(runId);
}

const tools = () => [
  { type: 'workflow', workflowId: 'wf_double', name: 'double' },
  {
    type: 'http', name: 'price_lookup', description: 'The price of an item', method: 'GET', url: `${target.url}/price?item={{ args.item }}`,
    inputSchema: { type: 'object', properties: { item: { type: 'string' } }, required: ['item'] },
  },
  { type: 'mcp', url: mcp.url, allow: ['lookup_weather'] },
];

async function waitFor(handle: ReturnType<Client['workflow']['getHandle']>, test: (state: RunState) => boolean): Promise<RunState> {
  for (;;) {
    const state = await handle.query(getRunState);
    if (test(state)) return state;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('agent node', () => {
  it('answers with a workflow tool, an HTTP tool and an MCP tool, each called once', async () => {
    openai.script.push({
      toolCalls: [
        { name: 'double', arguments: { n: 21 } },
        { name: 'price_lookup', arguments: { item: 'tea' } },
        { name: 'lookup_weather', arguments: { city: 'Paris' } },
      ],
    });
    const handle = await run({
      nodes: [
        { id: 'agent', type: 'agent', config: { instructions: 'You help.', prompt: 'Question: {{ input.q }}', tools: tools() } },
        { id: 'done', type: 'output', config: { value: '{{ steps.agent.output }}' } },
      ],
      edges: [{ from: 'agent', to: 'done' }],
    }, { q: 'double 21, price of tea, weather in Paris?' });
    const result = (await handle.result()) as RunGraphResult;
    expect(result.status).toBe('succeeded');
    const output = result.output as { text: string; steps: { tool: string; arguments: unknown; result: unknown; status: string }[]; usage: { totalTokens: number } };
    // The second turn quotes the three results it was given back.
    expect(output.text).toContain('"doubled":42');
    expect(output.text).toContain('"priceUsd":4.5');
    expect(output.text).toContain('Sunny, 21 °C in Paris');
    expect(output.steps.map((s) => [s.tool, s.status])).toEqual([['double', 'succeeded'], ['price_lookup', 'succeeded'], ['lookup_weather', 'succeeded']]);
    expect(output.steps[0]?.arguments).toEqual({ n: 21 });
    expect(output.usage.totalTokens).toBeGreaterThan(0);

    // Each tool ran exactly once; the model was asked twice, the first time offered all three tools.
    expect(target.count('/price')).toBe(1);
    expect(mcp.calls).toEqual({ lookup_weather: 1 });
    const asked = openai.requests.filter((r) => r.body.messages?.some((m) => m.content?.includes('Question: double 21')));
    expect(asked).toHaveLength(2);
    expect(asked[0]?.body.tools?.map((t) => t.function.name).sort()).toEqual(['double', 'lookup_weather', 'price_lookup']);
    expect(asked[0]?.body.messages?.[0]).toMatchObject({ role: 'system', content: 'You help.' });

    // The live timeline: model turn, three tool calls, model turn.
    const state = await handle.query(getRunState);
    const steps = state.nodes.agent?.agent?.steps as AgentStep[];
    expect(steps.map((s) => [s.kind, s.tool ?? null, s.status])).toEqual([
      ['model', null, 'succeeded'],
      ['tool', 'double', 'succeeded'],
      ['tool', 'price_lookup', 'succeeded'],
      ['tool', 'lookup_weather', 'succeeded'],
      ['model', null, 'succeeded'],
    ]);
    expect(state.usage.aiTokens).toBe(output.usage.totalTokens);
    // The workflow tool ran as a child run of this run.
    const child = await client.workflow.getHandle(`${handle.workflowId}.agent.0.0`).result() as RunGraphResult;
    expect(child.output).toEqual({ doubled: 42 });
    await recordHistory(handle, 'agent-tools');
  });

  it('runs the tool calls of one turn at the same time, each once, and reports them in the model\'s order', async () => {
    openai.script.push({ toolCalls: [{ name: 'stock_lookup', arguments: { item: 'tea' } }, { name: 'stock_lookup', arguments: { item: 'milk' } }] });
    const stockTool = {
      type: 'http', name: 'stock_lookup', description: 'Whether an item is in stock', method: 'GET', url: `${target.url}/stock?item={{ args.item }}`,
      inputSchema: { type: 'object', properties: { item: { type: 'string' } }, required: ['item'] },
    };
    const handle = await run({ nodes: [{ id: 'agent', type: 'agent', config: { prompt: 'tea and milk in stock?', tools: [stockTool] } }], edges: [] });
    expect(((await handle.result()) as RunGraphResult).status).toBe('succeeded');
    // Both requests were in flight together: one after another, the route would have held one at a time.
    expect(stock.seen.most).toBe(2);
    expect(target.count('/stock')).toBe(2);
    const output = (await handle.query(getRunState)).nodes.agent?.output as { steps: { arguments: unknown; status: string; result: unknown }[] };
    expect(output.steps).toEqual([
      expect.objectContaining({ arguments: { item: 'tea' }, status: 'succeeded', result: { status: 200, body: { inStock: true } } }),
      expect.objectContaining({ arguments: { item: 'milk' }, status: 'succeeded', result: { status: 200, body: { inStock: true } } }),
    ]);
  });

  it(`runs at most ${MAX_PARALLEL_TOOL_CALLS} calls of one turn at once, and every call of it`, async () => {
    const calls = MAX_PARALLEL_TOOL_CALLS + 2;
    openai.script.push({ toolCalls: Array.from({ length: calls }, (_, i) => ({ name: 'count_lookup', arguments: { n: i } })) });
    const countTool = { type: 'http', name: 'count_lookup', description: 'Counts', method: 'GET', url: `${target.url}/many?n={{ args.n }}`, inputSchema: { type: 'object' } };
    const handle = await run({ nodes: [{ id: 'agent', type: 'agent', config: { prompt: 'count a lot', tools: [countTool] } }], edges: [] });
    expect(((await handle.result()) as RunGraphResult).status).toBe('succeeded');
    expect(many.seen.most).toBe(MAX_PARALLEL_TOOL_CALLS);
    expect(target.count('/many')).toBe(calls);
    const output = (await handle.query(getRunState)).nodes.agent?.output as { steps: { arguments: unknown; status: string }[] };
    expect(output.steps.map((step) => step.arguments)).toEqual(Array.from({ length: calls }, (_, n) => ({ n })));
    expect(output.steps.every((step) => step.status === 'succeeded')).toBe(true);
  });

  it('starts a call that needs no approval while another waits for a person, and a cancellation then ends the run cleanly', async () => {
    openai.script.push({ toolCalls: [{ name: 'lookup_weather', arguments: { city: 'Oslo' } }, { name: 'slow_lookup', arguments: {} }] });
    const handle = await run({
      nodes: [{
        id: 'agent', type: 'agent', config: {
          prompt: 'weather and a slow lookup',
          tools: [
            { type: 'mcp', url: mcp.url, allow: ['lookup_weather'], requiresApproval: true },
            { type: 'http', name: 'slow_lookup', description: 'Slow', method: 'GET', url: `${target.url}/slow`, inputSchema: { type: 'object' } },
          ],
        },
      }],
      edges: [],
    });
    // The gated call (first in the model's order) waits for a person; the other is already under way.
    await waitFor(handle, (s) => s.nodes.agent?.status === 'waiting');
    for (let i = 0; i < 200 && target.count('/slow') === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(target.count('/slow')).toBe(1);
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    const state = await handle.query(getRunState);
    expect(state.nodes.agent).toMatchObject({ status: 'cancelled', error: { kind: 'cancelled' } });
    expect(mcp.calls).toEqual({});
  });

  it('pauses before a tool that requires approval; a rejection is told to the model and the tool never runs', async () => {
    openai.script.push({ toolCalls: [{ name: 'lookup_weather', arguments: { city: 'Oslo' } }] });
    const handle = await run({
      nodes: [{ id: 'agent', type: 'agent', config: { prompt: 'weather?', tools: [{ type: 'mcp', url: mcp.url, allow: ['lookup_weather'], requiresApproval: true }] } }],
      edges: [],
    });
    const waiting = await waitFor(handle, (s) => s.nodes.agent?.status === 'waiting');
    expect(waiting.nodes.agent?.waiting?.message).toBe('Call lookup_weather with {"city":"Oslo"}?');
    expect(waiting.status).toBe('waiting');
    expect(waiting.nodes.agent?.agent?.steps.at(-1)).toMatchObject({ kind: 'tool', tool: 'lookup_weather', status: 'waiting' });
    await decideOn(handle, { nodeId: 'agent', decision: 'reject', comment: 'not today', actor: 'user_1' });
    const result = (await handle.result()) as RunGraphResult;
    expect(result.status).toBe('succeeded');
    const state = await handle.query(getRunState);
    const output = state.nodes.agent?.output as { text: string; steps: { status: string; result: unknown }[] };
    expect(output.steps).toEqual([expect.objectContaining({ tool: 'lookup_weather', status: 'rejected', result: { error: 'a person rejected this call: not today' } })]);
    expect(output.text).toContain('a person rejected this call');
    expect(mcp.calls).toEqual({});
  });

  it('approves gated calls one after another', async () => {
    openai.script.push({ toolCalls: [{ name: 'lookup_weather', arguments: { city: 'Rome' } }] }, { toolCalls: [{ name: 'lookup_weather', arguments: { city: 'Bern' } }] });
    const handle = await run({
      nodes: [{ id: 'agent', type: 'agent', config: { prompt: 'weather twice', tools: [{ type: 'mcp', url: mcp.url, allow: ['lookup_weather'], requiresApproval: true }] } }],
      edges: [],
    });
    for (const city of ['Rome', 'Bern']) {
      await waitFor(handle, (s) => s.nodes.agent?.waiting?.message === `Call lookup_weather with {"city":"${city}"}?`);
      await decideOn(handle, { nodeId: 'agent', decision: 'approve', actor: 'user_1' });
    }
    const result = (await handle.result()) as RunGraphResult;
    expect(result.status).toBe('succeeded');
    expect(mcp.received.map((r) => r.args)).toEqual([{ city: 'Rome' }, { city: 'Bern' }]);
    await recordHistory(handle, 'agent-approvals');
  });

  it('tells the model about an unknown tool and bad arguments instead of failing', async () => {
    openai.script.push({ toolCalls: [{ name: 'nope', arguments: {} }, { name: 'lookup_weather', arguments: 'not json' }] });
    const handle = await run({
      nodes: [{ id: 'agent', type: 'agent', config: { prompt: 'go', tools: [{ type: 'mcp', url: mcp.url, allow: ['lookup_weather'] }] } }],
      edges: [],
    });
    const result = (await handle.result()) as RunGraphResult;
    expect(result.status).toBe('succeeded');
    const state = await handle.query(getRunState);
    const output = state.nodes.agent?.output as { text: string; steps: { status: string; result: unknown }[] };
    expect(output.steps.map((s) => s.result)).toEqual([{ error: 'there is no tool named "nope"' }, { error: 'the arguments are not valid JSON' }]);
    expect(mcp.calls).toEqual({});
  });

  it('checks a workflow tool\'s arguments against its input schema before any child run starts', async () => {
    openai.script.push({ toolCalls: [{ name: 'double', arguments: { n: 'twenty-one' } }] });
    const handle = await run({
      nodes: [{ id: 'agent', type: 'agent', config: { prompt: 'double it', tools: [{ type: 'workflow', workflowId: 'wf_double', name: 'double' }] } }],
      edges: [],
    });
    const result = (await handle.result()) as RunGraphResult;
    expect(result.status).toBe('succeeded');
    const output = (await handle.query(getRunState)).nodes.agent?.output as { steps: { status: string; result: { error?: string } }[] };
    expect(output.steps.map((s) => s.status)).toEqual(['failed']);
    expect(output.steps[0]?.result.error).toMatch(/arguments of tool "double" do not match its input schema: \$\.n: expected number/);
    // The model heard why, and no child run was started.
    const asked = openai.requests.filter((r) => r.body.messages?.some((m) => m.content === 'double it'));
    expect(asked.at(-1)?.body.messages?.some((m) => m.role === 'tool' && m.content?.includes('do not match its input schema'))).toBe(true);
    await expect(client.workflow.getHandle(`${handle.workflowId}.agent.0.0`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('gives the model the beginning of a workflow tool\'s large output, not its blob reference', async () => {
    await saveWorkflow('wf_report', {
      nodes: [{ id: 'out', type: 'output', config: { value: '{{ { "report": $pad("", 100000, "r") } }}' } }],
      edges: [],
    }, { name: 'report', description: 'A long report', inputSchema: { type: 'object' } });
    openai.script.push({ toolCalls: [{ name: 'report', arguments: {} }] });
    const handle = await run({
      nodes: [{ id: 'agent', type: 'agent', config: { prompt: 'read the report', tools: [{ type: 'workflow', workflowId: 'wf_report', name: 'report' }] } }],
      edges: [],
    });
    expect(((await handle.result()) as RunGraphResult).status).toBe('succeeded');
    // The child's output was big enough for blob storage.
    const child = (await client.workflow.getHandle(`${handle.workflowId}.agent.0.0`).result()) as RunGraphResult;
    expect(child.outputRef).toBeDefined();
    const asked = openai.requests.filter((r) => r.body.messages?.some((m) => m.content === 'read the report'));
    const told = asked.at(-1)?.body.messages?.find((m) => m.role === 'tool')?.content ?? '';
    expect(told.startsWith('{"report":"rrrr')).toBe(true);
    expect(told).toMatch(/more characters cut/);
    expect(told).not.toContain('$trellisRef');
    expect(told.length).toBeLessThan(20_000);
  });

  it('fails with AgentMaxSteps when the model never stops calling tools', async () => {
    openai.script.push({ toolCalls: [{ name: 'lookup_weather', arguments: { city: 'A' } }] }, { toolCalls: [{ name: 'lookup_weather', arguments: { city: 'B' } }] });
    const handle = await run({
      nodes: [{ id: 'agent', type: 'agent', config: { prompt: 'loop', maxSteps: 2, tools: [{ type: 'mcp', url: mcp.url, allow: ['lookup_weather'] }] } }],
      edges: [],
    });
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const state = await handle.query(getRunState);
    expect(state.nodes.agent?.error).toMatchObject({ type: 'AgentMaxSteps', kind: 'user' });
    expect(mcp.calls).toEqual({ lookup_weather: 2 });
  });

  it('checks the run\'s token limit before every model turn', async () => {
    openai.script.push({ toolCalls: [{ name: 'lookup_weather', arguments: { city: 'A' } }] });
    const graph = (maxAiTokens: number) => ({
      nodes: [{ id: 'agent', type: 'agent', config: { prompt: 'go', maxTokens: 16, tools: [{ type: 'mcp', url: mcp.url, allow: ['lookup_weather'] }] } }],
      edges: [],
      settings: { maxAiTokens },
    });
    // Room for the first turn only: the tool runs, then the second turn is refused before the call.
    const handle = await run(graph(150));
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const state = await handle.query(getRunState);
    expect(state.nodes.agent?.error).toMatchObject({ type: 'quota_ai_tokens' });
    expect(state.nodes.agent?.agent?.steps.map((s) => [s.kind, s.status])).toEqual([['model', 'succeeded'], ['tool', 'succeeded'], ['model', 'failed']]);
    expect(mcp.calls).toEqual({ lookup_weather: 1 });
  });
});
