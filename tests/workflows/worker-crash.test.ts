// Durability: a worker killed with SIGKILL mid-run loses nothing. A new worker finishes the run,
// and the HTTP call of a node that had completed is not made again.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { createOrm, migrate } from '../../core/db/orm.ts';
import { startRun } from '../../core/runs/start-run.ts';
import { createTemporalClient } from '../../core/temporal.ts';
import { ROOT, freePort } from '../../infra/scripts/services.ts';
import { Graph } from '../../workflows/graph/schema.ts';
import { getRunState } from '../../workflows/messages.ts';
import type { RunGraphResult } from '../../workflows/run-graph.ts';
import { tempDir, testEnv } from '../support/env.ts';
import { json, startHttpTarget } from '../support/http-target.ts';
import { startFakeOpenAI } from '../support/fake-openai.ts';
import { startMcpServer } from '../support/mcp-server.ts';
import { decideOn } from '../support/decide.ts';

async function startWorkerProcess(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'worker/main.ts')], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready:\n${output}`)), 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"msg":"worker ready"')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited (${code}):\n${output}`)));
  });
  return child;
}

describe('worker crash', () => {
  let client: Client;
  beforeAll(async () => {
    client = await createTemporalClient({ address: testEnv.temporalAddress, namespace: 'default' });
  });
  afterAll(async () => {
    await client.connection.close();
  });

  it('a run survives SIGKILL of its worker and completes on a new one without repeating done work', async () => {
    const target = await startHttpTarget({ '/one': json(200, { step: 1 }), '/two': json(200, { step: 2 }) });
    const dir = tempDir('crash');
    const databaseUrl = `sqlite:${join(dir, 'app.sqlite')}`;
    const orm = await createOrm(databaseUrl);
    await migrate(orm);
    await orm.close();
    const taskQueue = `crash-${randomUUID()}`;
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      TEMPORAL_ADDRESS: testEnv.temporalAddress,
      TEMPORAL_TASK_QUEUE: taskQueue,
      REDIS_URL: testEnv.redisUrl,
      DATABASE_URL: databaseUrl,
      TRELLIS_DATA_DIR: dir,
      TRELLIS_HTTP_ALLOWLIST: '127.0.0.1',
      WORKER_METRICS_PORT: String(await freePort()),
    };
    let worker = await startWorkerProcess(env);
    try {
      const { runId } = await startRun(client, { taskQueue, blobThresholdBytes: 65_536, maxConcurrency: 10 }, {
        graph: Graph.parse({
          nodes: [
            { id: 'first', type: 'http', config: { url: `${target.url}/one` } },
            { id: 'pause', type: 'delay', config: { duration: '3s' } },
            { id: 'second', type: 'http', timeout: '10s', config: { url: `${target.url}/two` } },
            { id: 'done', type: 'output', config: { value: '{{ [steps.first.output.body.step, steps.second.output.body.step] }}' } },
          ],
          edges: [{ from: 'first', to: 'pause' }, { from: 'pause', to: 'second' }, { from: 'second', to: 'done' }],
        }),
        version: 1, input: {}, teamId: 'team_crash', workflowId: 'wf_crash', trigger: 'api',
      });
      const handle = client.workflow.getHandle(runId);
      // Kill the worker while the run sits in the delay, after the first call completed.
      for (let i = 0; i < 100; i++) {
        const state = await handle.query(getRunState);
        if (state.nodes.pause?.status === 'running') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      worker.kill('SIGKILL');
      await new Promise((r) => worker.once('exit', r));
      expect(target.count('/one')).toBe(1);
      expect(target.count('/two')).toBe(0);

      worker = await startWorkerProcess(env);
      const result = (await handle.result()) as RunGraphResult;
      expect(result.output).toEqual([1, 2]);
      expect(target.count('/one')).toBe(1); // the completed node was not called again
      expect(target.count('/two')).toBe(1);
    } finally {
      worker.kill('SIGTERM');
      await target.close();
    }
  }, 180_000);

  it('an agent killed mid-run repeats no completed model turn or tool call', async () => {
    const target = await startHttpTarget({ '/price': json(200, { priceUsd: 4.5 }) });
    const openai = await startFakeOpenAI();
    const mcp = await startMcpServer();
    const dir = tempDir('agent-crash');
    const databaseUrl = `sqlite:${join(dir, 'app.sqlite')}`;
    const orm = await createOrm(databaseUrl);
    await migrate(orm);
    await orm.close();
    const taskQueue = `agent-crash-${randomUUID()}`;
    const env = {
      NODE_ENV: 'test', LOG_LEVEL: 'info', TEMPORAL_ADDRESS: testEnv.temporalAddress, TEMPORAL_TASK_QUEUE: taskQueue, REDIS_URL: testEnv.redisUrl,
      DATABASE_URL: databaseUrl, TRELLIS_DATA_DIR: dir, TRELLIS_HTTP_ALLOWLIST: '127.0.0.1', WORKER_METRICS_PORT: String(await freePort()),
      OPENAI_BASE_URL: openai.url, OPENAI_API_KEY: 'sk-test',
    };
    // The model asks for both tools at once: the MCP call waits for a person while the HTTP call runs and completes.
    openai.script.push({ toolCalls: [{ name: 'price_lookup', arguments: { item: 'tea' } }, { name: 'lookup_weather', arguments: { city: 'Oslo' } }] });
    let worker = await startWorkerProcess(env);
    try {
      const { runId } = await startRun(client, { taskQueue, blobThresholdBytes: 65_536, maxConcurrency: 10 }, {
        graph: Graph.parse({
          nodes: [{
            id: 'agent', type: 'agent', config: {
              prompt: 'tea price and weather',
              tools: [
                { type: 'http', name: 'price_lookup', description: 'Price', url: `${target.url}/price?item={{ args.item }}`, inputSchema: { type: 'object' } },
                { type: 'mcp', url: mcp.url, allow: ['lookup_weather'], requiresApproval: true },
              ],
            },
          }],
          edges: [],
        }),
        version: 1, input: {}, teamId: 'team_crash', workflowId: 'wf_agent_crash', trigger: 'api',
      });
      const handle = client.workflow.getHandle(runId);
      for (let i = 0; i < 300; i++) {
        const state = await handle.query(getRunState);
        const priced = state.nodes.agent?.agent?.steps.some((s) => s.tool === 'price_lookup' && s.status === 'succeeded');
        if (state.nodes.agent?.status === 'waiting' && priced) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      worker.kill('SIGKILL');
      await new Promise((r) => worker.once('exit', r));
      expect(target.count('/price')).toBe(1);
      const turns = () => openai.requests.filter((r) => r.body.messages?.some((m) => m.content === 'tea price and weather')).length;
      expect(turns()).toBe(1);

      worker = await startWorkerProcess(env);
      await decideOn(handle, { nodeId: 'agent', decision: 'approve', actor: 'user_1' });
      const result = (await handle.result()) as RunGraphResult;
      expect(result.status).toBe('succeeded');
      expect(target.count('/price')).toBe(1); // the completed call was not made again
      expect(mcp.calls).toEqual({ lookup_weather: 1 });
      expect(turns()).toBe(2); // the first turn was not asked again: only the answer after the tools
      const state = await handle.query(getRunState);
      expect((state.nodes.agent?.output as { text: string }).text).toContain('Sunny, 21 °C in Oslo');
    } finally {
      worker.kill('SIGTERM');
      await Promise.all([target.close(), openai.close(), mcp.close()]);
    }
  }, 180_000);
});
