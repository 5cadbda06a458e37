// http and ai nodes inside real runs: activities against a local HTTP server and a fake
// OpenAI-compatible server, on the real Temporal dev server.
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { Redis } from 'ioredis';
import { createOrm, migrate, type Orm } from '../../core/db/orm.ts';
import { startRun } from '../../core/runs/start-run.ts';
import { createTemporalClient } from '../../core/temporal.ts';
import { Graph } from '../../workflows/graph/schema.ts';
import { getRunState } from '../../workflows/messages.ts';
import type { RunGraphResult } from '../../workflows/run-graph.ts';
import { tempDir, testEnv } from '../support/env.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.ts';
import { json, startHttpTarget } from '../support/http-target.ts';
import { startTestWorker } from '../support/worker.ts';

let orm: Orm;
let client: Client;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let openai: FakeOpenAI;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
let flaky = 0;
let inFlight = 0;
let maxInFlight = 0;

beforeAll(async () => {
  orm = await createOrm(`sqlite:${join(tempDir('db'), 'app.sqlite')}`);
  await migrate(orm);
  client = await createTemporalClient({ address: testEnv.temporalAddress, namespace: 'default' });
  openai = await startFakeOpenAI();
  target = await startHttpTarget({
    '/article': json(200, { title: 'Durable execution', words: 1200 }),
    '/flaky': (_req, res) => {
      flaky++;
      if (flaky < 3) res.writeHead(503).end('busy');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    },
    '/big': json(200, { items: 'y'.repeat(100_000) }),
    '/slow': (_req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      }, 400);
    },
    '/hang': () => undefined, // never answers
  });
  worker = await startTestWorker({ address: testEnv.temporalAddress, orm, blobThresholdBytes: 4_096, openaiBaseUrl: openai.url });
});

afterAll(async () => {
  await worker.stop();
  await Promise.all([client.connection.close(), openai.close(), target.close()]);
  await orm.close();
});

async function run(graph: unknown, input: unknown = {}, maxConcurrency = 10) {
  const { runId } = await startRun(client, { taskQueue: worker.taskQueue, blobThresholdBytes: 4_096, maxConcurrency }, {
    graph: Graph.parse(graph), version: 1, input, teamId: 'team_io', workflowId: 'wf_io', trigger: 'api',
  });
  return client.workflow.getHandle(runId);
}

describe('http and ai nodes in a run', () => {
  it('fetches, branches on the status, asks the model and outputs its answer', async () => {
    const handle = await run({
      nodes: [
        { id: 'fetch', type: 'http', config: { url: '{{ input.base }}/article' } },
        { id: 'ok', type: 'condition', config: { expression: 'steps.fetch.output.status = 200' } },
        { id: 'sum', type: 'ai', config: { model: 'gpt-4o-mini', prompt: 'Summarize {{ steps.fetch.output.body.title }}' } },
        { id: 'done', type: 'output', config: { value: { summary: '{{ steps.sum.output.text }}', tokens: '{{ steps.sum.output.usage.totalTokens }}' } } },
      ],
      edges: [{ from: 'fetch', to: 'ok' }, { from: 'ok', port: 'true', to: 'sum' }, { from: 'sum', to: 'done' }],
    }, { base: target.url });
    const result = (await handle.result()) as RunGraphResult;
    expect(result.output).toMatchObject({ summary: 'You said: Summarize Durable execution' });
    expect((result.output as { tokens: number }).tokens).toBeGreaterThan(0);
    // The http node sends an idempotency key derived from run, node and iteration.
    const hit = target.hits.find((h) => h.path === '/article');
    expect(hit?.headers['idempotency-key']).toBe(`${handle.workflowId}:fetch:0`);
    const prompt = openai.requests.at(-1)?.body.messages?.at(-1)?.content;
    expect(prompt).toBe('Summarize Durable execution');
    const state = await handle.query(getRunState);
    expect(state.usage.aiTokens).toBeGreaterThan(0);
  });

  it('retries retryable failures per the node policy, counting attempts', async () => {
    const handle = await run({
      nodes: [{ id: 'call', type: 'http', retry: { maxAttempts: 4, initialInterval: '100ms', backoffCoefficient: 1 }, config: { url: `${target.url}/flaky` } }, { id: 'o', type: 'output', config: { value: '{{ steps.call.output.body.ok }}' } }],
      edges: [{ from: 'call', to: 'o' }],
    });
    expect(((await handle.result()) as RunGraphResult).output).toBe(true);
    expect((await handle.query(getRunState)).nodes.call).toMatchObject({ status: 'succeeded', attempts: 3 });
  });

  it('does not retry a 4xx answer and fails the run naming the node', async () => {
    const handle = await run({ nodes: [{ id: 'missing', type: 'http', config: { url: `${target.url}/nope` } }], edges: [] });
    const error = await handle.result().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(String((error as WorkflowFailedError).cause?.message)).toMatch(/node "missing" failed: .*404/);
    expect((await handle.query(getRunState)).nodes.missing).toMatchObject({ status: 'failed', attempts: 1, error: { kind: 'user' } });
  });

  it('runs no more nodes at once than the per-run concurrency cap', async () => {
    const nodes = Array.from({ length: 6 }, (_, i) => ({ id: `s${i}`, type: 'http', config: { url: `${target.url}/slow` } }));
    const handle = await run({ nodes: [...nodes, { id: 'm', type: 'merge', config: { mode: 'all' } }], edges: nodes.map((n) => ({ from: n.id, to: 'm' })) }, {}, 2);
    await handle.result();
    expect(maxInFlight).toBe(2);
    expect(target.count('/slow')).toBe(6);
  });

  it('times out a node after its timeout, and retries the attempt', async () => {
    const handle = await run({ nodes: [{ id: 'stuck', type: 'http', timeout: '1s', retry: { maxAttempts: 2, initialInterval: '100ms' }, config: { url: `${target.url}/hang` } }], edges: [] });
    await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    expect((await handle.query(getRunState)).nodes.stuck).toMatchObject({ status: 'failed', attempts: 2, error: { kind: 'timeout' } });
  });

  it('keeps a large response body in blob storage and reads it on demand', async () => {
    const handle = await run({
      nodes: [{ id: 'big', type: 'http', config: { url: `${target.url}/big` } }, { id: 'o', type: 'output', config: { value: '{{ $length(steps.big.output.body.items) }}' } }],
      edges: [{ from: 'big', to: 'o' }],
    });
    expect(((await handle.result()) as RunGraphResult).output).toBe(100_000);
    const state = await handle.query(getRunState);
    expect(state.nodes.big!.outputRef).toMatchObject({ $trellisRef: 'blob' });
    expect(JSON.stringify((await handle.fetchHistory()).events)).not.toContain('y'.repeat(5_000));
  });

  it('publishes node state changes and the final state on the run channel', async () => {
    const subscriber = new Redis(testEnv.redisUrl);
    const events: { type: string; nodeId?: string; state?: { status: string }; status?: string; output?: unknown }[] = [];
    await subscriber.psubscribe('run:*');
    subscriber.on('pmessage', (_pattern: string, _channel: string, message: string) => events.push(JSON.parse(message) as (typeof events)[number]));
    const handle = await run({
      nodes: [{ id: 'fetch', type: 'http', config: { url: `${target.url}/article` } }, { id: 'o', type: 'output', config: { value: '{{ steps.fetch.output.body.words }}' } }],
      edges: [{ from: 'fetch', to: 'o' }],
    });
    await handle.result();
    for (let i = 0; i < 50 && !events.some((e) => e.type === 'run' && (e as { runId?: string }).runId === handle.workflowId); i++) await new Promise((r) => setTimeout(r, 100));
    subscriber.disconnect();
    const mine = events.filter((e) => (e as { runId?: string }).runId === handle.workflowId);
    expect(mine.filter((e) => e.type === 'node').map((e) => `${e.nodeId}:${e.state?.status}`)).toEqual(['fetch:running', 'fetch:succeeded', 'o:running', 'o:succeeded']);
    expect(mine.at(-1)).toMatchObject({ type: 'run', status: 'succeeded', output: 1200 });
  });

  it('streams AI tokens to the run channel in Redis, never into history', async () => {
    const subscriber = new Redis(testEnv.redisUrl);
    const tokens: string[] = [];
    // The fake waits before answering, so the subscription below is in place before any token.
    // Chunks come further apart than the worker's 50 ms token batches, so they arrive in pieces.
    openai.script.push({ delayMs: 1_000, chunkDelayMs: 250 });
    const handle = await run({ nodes: [{ id: 'talk', type: 'ai', config: { prompt: 'stream these words please' } }], edges: [] }, {});
    await subscriber.subscribe(`run:${handle.workflowId}`);
    subscriber.on('message', (_channel: string, message: string) => {
      const event = JSON.parse(message) as { type: string; nodeId: string; text: string };
      if (event.type === 'token' && event.nodeId === 'talk') tokens.push(event.text);
    });
    await handle.result();
    subscriber.disconnect();
    const state = await handle.query(getRunState);
    const text = (state.nodes.talk!.output as { text: string }).text;
    expect(text).toBe('You said: stream these words please');
    expect(tokens.length).toBeGreaterThan(1);
    expect(tokens.join('')).toBe(text);
    expect(JSON.stringify((await handle.fetchHistory()).events)).not.toContain('"token"');
  });
});
