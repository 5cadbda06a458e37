// Worker memory with many runs waiting for a person at once, and the time to resume them all.
//   node tests/bench/approvals.bench.ts [runs=1000]
import { createExpressionPool } from '../../activities/expressions/pool.ts';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { createOrm, migrate } from '../../core/db/orm.ts';
import { createLogger } from '../../core/log.ts';
import { createRedis } from '../../core/redis/client.ts';
import { createBlobStore } from '../../core/blobs/store.ts';
import { emptyCredentialStore } from '../../core/credentials/store.ts';
import { startRun } from '../../core/runs/start-run.ts';
import { createTemporalClient } from '../../core/temporal.ts';
import { loadWorkflowBundle } from '../../worker/bundle.ts';
import { createTrellisWorker } from '../../worker/worker.ts';
import { Graph } from '../../workflows/graph/schema.ts';
import { decide, getRunState } from '../../workflows/messages.ts';
import { log, startBenchServices } from './harness.ts';

const RUNS = Number(process.argv[2] ?? 1000);
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

Runtime.install({ logger: new DefaultLogger('ERROR') });
const services = await startBenchServices();
const logger = createLogger({ level: 'silent', service: 'bench' });
const orm = await createOrm(`sqlite:${join(services.dir, 'app.sqlite')}`);
await migrate(orm);
const redis = createRedis(services.redisUrl);
const taskQueue = `bench-${randomUUID()}`;
const connection = await NativeConnection.connect({ address: services.temporalAddress });
const worker = await createTrellisWorker({
  connection, namespace: 'default', taskQueue,
  workflowBundle: await loadWorkflowBundle(join(services.dir, 'cache'), logger),
  deps: { orm, logger, redis, blobs: createBlobStore(orm, { maxBytes: 1e8 }), blobThresholdBytes: 65_536, httpAllowlist: [], openai: { baseUrl: 'http://127.0.0.1:9/v1' }, credentials: emptyCredentialStore, expressions: createExpressionPool({ processes: 2, cpuMs: 1_000, memoryMb: 256 }) },
});
const running = worker.run();
const client = await createTemporalClient({ address: services.temporalAddress, namespace: 'default' });
const graph = Graph.parse({
  nodes: [
    { id: 'prepare', type: 'transform', config: { expression: '"draft " & input.n' } },
    { id: 'review', type: 'approval', config: { message: 'Publish {{ steps.prepare.output }}?', form: [{ name: 'note', type: 'string' }] } },
    { id: 'done', type: 'output', config: { value: '{{ steps.review.output.decision }}' } },
  ],
  edges: [{ from: 'prepare', to: 'review' }, { from: 'review', port: 'approved', to: 'done' }],
});

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<unknown>) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

global.gc?.();
const before = process.memoryUsage().rss;
log(`worker process RSS before: ${mib(before)}`);
const t0 = performance.now();
const ids: string[] = [];
await inBatches(Array.from({ length: RUNS }, (_, n) => n), 50, async (n) => {
  const { runId } = await startRun(client, { taskQueue, blobThresholdBytes: 65_536, maxConcurrency: 10 }, { graph, version: 1, input: { n }, teamId: 'bench', workflowId: 'bench', trigger: 'api' });
  ids.push(runId);
});
// All waiting: poll a sample until the last one started is waiting, then every one.
await inBatches(ids, 50, async (id) => {
  for (;;) {
    const state = await client.workflow.getHandle(id).query(getRunState);
    if (state.nodes.review?.status === 'waiting') return;
    await new Promise((r) => setTimeout(r, 200));
  }
});
const waitingAfter = (performance.now() - t0) / 1000;
global.gc?.();
const during = process.memoryUsage().rss;
log(`${RUNS} runs waiting on approval after ${waitingAfter.toFixed(1)} s; worker process RSS ${mib(during)} (+${mib(during - before)}, ${((during - before) / RUNS / 1024).toFixed(0)} KiB per waiting run)`);

const t1 = performance.now();
await inBatches(ids, 50, async (id) => {
  const handle = client.workflow.getHandle(id);
  await handle.executeUpdate(decide, { args: [{ nodeId: 'review', decision: 'approve', data: { note: 'ok' }, actor: 'bench' }] });
});
await inBatches(ids, 100, (id) => client.workflow.getHandle(id).result());
const resume = (performance.now() - t1) / 1000;
log(`resumed and completed all ${RUNS} in ${resume.toFixed(1)} s (${(RUNS / resume).toFixed(0)} runs/s)`);

worker.shutdown();
await running;
await connection.close();
await client.connection.close();
redis.disconnect();
await orm.close();
await services.stop();
