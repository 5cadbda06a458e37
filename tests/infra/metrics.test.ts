// Prometheus metrics on the real test stack: runs executed by a real worker move the run and node
// series on the worker's /metrics (served with the Temporal SDK's own), and the api's /metrics
// counts webhook deliveries, rate-limited requests and the queue.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { createOrm, migrate, type Orm } from '../../core/db/orm.ts';
import { createLogger } from '../../core/log.ts';
import { startRun } from '../../core/runs/start-run.ts';
import { createTemporalClient } from '../../core/temporal.ts';
import { Graph } from '../../workflows/graph/schema.ts';
import { createWorkerMetrics, serveWorkerMetrics } from '../../worker/metrics.ts';
import { tempDir, testEnv } from '../support/env.ts';
import { startTestWorker } from '../support/worker.ts';

/** The value of one series in Prometheus text, 0 when absent. */
export function sample(text: string, series: string): number {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return 0;
}

async function until<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 300; i++) {
    last = await read();
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not reached; last:\n${String(last)}`);
}

describe('worker metrics', () => {
  let orm: Orm;
  let client: Client;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  let endpoint: Awaited<ReturnType<typeof serveWorkerMetrics>>;
  let sdk: Server;
  const metrics = createWorkerMetrics({ processMetrics: false });
  const scrape = async () => (await fetch(`http://127.0.0.1:${endpoint.port}/metrics`)).text();

  beforeAll(async () => {
    orm = await createOrm(`sqlite:${join(tempDir('db'), 'app.sqlite')}`);
    await migrate(orm);
    client = await createTemporalClient({ address: testEnv.temporalAddress, namespace: 'default' });
    worker = await startTestWorker({ address: testEnv.temporalAddress, orm, metrics: metrics.run });
    // Stands in for the SDK's native exporter, whose text the endpoint appends to its own.
    sdk = createServer((_req, res) => res.end('# TYPE temporal_worker_task_slots_available gauge\ntemporal_worker_task_slots_available{worker_type="WorkflowWorker"} 7\n'));
    await new Promise<void>((resolve) => sdk.listen(0, '127.0.0.1', resolve));
    const upstream = `http://127.0.0.1:${(sdk.address() as AddressInfo).port}/metrics`;
    endpoint = await serveWorkerMetrics({ host: '127.0.0.1', port: 0, registry: metrics.registry, upstream, logger: createLogger({ level: 'silent', service: 'metrics-test' }) });
  });

  afterAll(async () => {
    await endpoint.close();
    await new Promise((resolve) => sdk.close(resolve));
    await worker.stop();
    await client.connection.close();
    await orm.close();
  });

  const run = (graph: unknown, extra: Record<string, unknown> = {}) =>
    startRun(client, { taskQueue: worker.taskQueue, blobThresholdBytes: 65_536, maxConcurrency: 10 }, { graph: Graph.parse(graph), version: 1, input: {}, teamId: 'team_m', workflowId: 'wf_m', trigger: 'webhook', ...extra });

  it('counts started and finished runs, node executions by type and status, and their durations, beside the SDK metrics', async () => {
    const ok = await run({
      nodes: [{ id: 'a', type: 'transform', config: { expression: '1 + 1' } }, { id: 'o', type: 'output', config: { value: '{{ steps.a.output }}' } }],
      edges: [{ from: 'a', to: 'o' }],
    });
    const failing = await run({ nodes: [{ id: 'bad', type: 'transform', config: { expression: '$error("boom")' } }], edges: [] });
    await client.workflow.getHandle(ok.runId).result();
    await client.workflow.getHandle(failing.runId).result().catch(() => undefined);

    const text = await until(scrape, (t) => sample(t, 'trellis_runs_finished_total{status="failed"}') === 1 && sample(t, 'trellis_runs_finished_total{status="succeeded"}') === 1, 'both runs counted');
    expect(sample(text, 'trellis_runs_started_total{trigger="webhook"}')).toBe(2);
    expect(sample(text, 'trellis_run_duration_seconds_count{status="succeeded"}')).toBe(1);
    expect(sample(text, 'trellis_node_executions_total{type="transform",status="succeeded"}')).toBe(1);
    expect(sample(text, 'trellis_node_executions_total{type="transform",status="failed"}')).toBe(1);
    expect(sample(text, 'trellis_node_executions_total{type="output",status="succeeded"}')).toBe(1);
    expect(sample(text, 'trellis_node_duration_seconds_count{type="transform"}')).toBe(2);
    // The run id never becomes a label.
    expect(text).not.toContain(ok.runId);
    expect(sample(text, 'temporal_worker_task_slots_available{worker_type="WorkflowWorker"}')).toBe(7);
  });

  it('does not count the nodes a rerun reuses, only those it executes', async () => {
    const before = await scrape();
    const past = new Date(Date.now() - 60_000).toISOString();
    const { runId } = await run(
      {
        nodes: [{ id: 'a', type: 'transform', config: { expression: '1' } }, { id: 'b', type: 'transform', config: { expression: 'steps.a.output + 1' } }],
        edges: [{ from: 'a', to: 'b' }],
      },
      { trigger: 'rerun', seed: { a: { status: 'succeeded', attempts: 1, startedAt: past, endedAt: past, output: 1, ports: ['out'] } } },
    );
    await client.workflow.getHandle(runId).result();
    const key = 'trellis_node_executions_total{type="transform",status="succeeded"}';
    const text = await until(scrape, (t) => sample(t, 'trellis_runs_started_total{trigger="rerun"}') === 1 && sample(t, 'trellis_runs_finished_total{status="succeeded"}') > sample(before, 'trellis_runs_finished_total{status="succeeded"}'), 'the rerun counted');
    expect(sample(text, key) - sample(before, key)).toBe(1);
  });

  it('answers only GET /metrics', async () => {
    const res = await fetch(`http://127.0.0.1:${endpoint.port}/`);
    expect(res.status).toBe(404);
  });
});
