// Interpreter overhead: the same graphs run through runGraph and through hand-written workflows
// calling the same activities, on one worker and one Temporal dev server, in one process run.
//   node tests/bench/interpreter.bench.ts [runs=200] [inFlight=20]
import { createExpressionPool } from '../../activities/expressions/pool.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, bundleWorkflowCode, Runtime, DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../../activities/index.ts';
import { createRunEventSinks } from '../../worker/sinks.ts';
import { createBlobStore } from '../../core/blobs/store.ts';
import { emptyCredentialStore } from '../../core/credentials/store.ts';
import { createOrm, migrate } from '../../core/db/orm.ts';
import { createLogger } from '../../core/log.ts';
import { createRedis } from '../../core/redis/client.ts';
import { startRun } from '../../core/runs/start-run.ts';
import { createTemporalClient } from '../../core/temporal.ts';
import { Graph } from '../../workflows/graph/schema.ts';
import { log, percentile, startBenchServices } from './harness.ts';

const RUNS = Number(process.argv[2] ?? 200);
const IN_FLIGHT = Number(process.argv[3] ?? 20);
const WIDTH = 10;

Runtime.install({ logger: new DefaultLogger('ERROR') });
const services = await startBenchServices();
const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ping`;

const logger = createLogger({ level: 'silent', service: 'bench' });
const orm = await createOrm(`sqlite:${join(services.dir, 'app.sqlite')}`);
await migrate(orm);
const redis = createRedis(services.redisUrl);
const taskQueue = `bench-${randomUUID()}`;
const connection = await NativeConnection.connect({ address: services.temporalAddress });
const { code } = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)), logger: new DefaultLogger('ERROR') });
const worker = await Worker.create({
  connection,
  taskQueue,
  workflowBundle: { code },
  activities: createActivities({
    orm, logger, redis, blobs: createBlobStore(orm, { maxBytes: 50 * 1024 * 1024 }), blobThresholdBytes: 65_536,
    httpAllowlist: ['127.0.0.1'], openai: { baseUrl: 'http://127.0.0.1:9/v1' }, credentials: emptyCredentialStore, expressions: createExpressionPool({ processes: 2, cpuMs: 1_000, memoryMb: 256 }),
  }),
  sinks: createRunEventSinks(redis, logger),
});
const running = worker.run();
const client = await createTemporalClient({ address: services.temporalAddress, namespace: 'default' });

const http = (id: string, query: string) => ({ id, type: 'http', retry: { maxAttempts: 3 }, config: { url: `${url}?${query}` } });
const linear = Graph.parse({
  nodes: Array.from({ length: WIDTH }, (_, i) => http(`n${i}`, `step=${i}`)),
  edges: Array.from({ length: WIDTH - 1 }, (_, i) => ({ from: `n${i}`, to: `n${i + 1}` })),
});
const fanOut = Graph.parse({
  nodes: [...Array.from({ length: WIDTH }, (_, i) => http(`b${i}`, `branch=${i}`)), { id: 'join', type: 'merge', config: { mode: 'all' } }],
  edges: Array.from({ length: WIDTH }, (_, i) => ({ from: `b${i}`, to: 'join' })),
});

type Starter = () => Promise<string>;
const interpreted = (graph: Graph): Starter => async () =>
  (await startRun(client, { taskQueue, blobThresholdBytes: 65_536, maxConcurrency: 10 }, { graph, version: 1, input: {}, teamId: 'bench', workflowId: 'bench', trigger: 'api' })).runId;
const handwritten = (name: 'handwrittenLinear' | 'handwrittenFanOut'): Starter => async () => {
  const id = `hw_${randomUUID()}`;
  await client.workflow.start(name, { taskQueue, workflowId: id, args: [url, WIDTH] });
  return id;
};

interface Sample {
  latencies: number[];
  seconds: number;
  runs: number;
}

async function measure(start: Starter, runs: number, into: Sample = { latencies: [], seconds: 0, runs: 0 }): Promise<Sample> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < runs) {
        next++;
        const t = performance.now();
        const id = await start();
        await client.workflow.getHandle(id).result();
        into.latencies.push(performance.now() - t);
      }
    }),
  );
  into.seconds += (performance.now() - t0) / 1000;
  into.runs += runs;
  return into;
}

function summary(sample: Sample) {
  const sorted = [...sample.latencies].sort((a, b) => a - b);
  return { rate: sample.runs / sample.seconds, p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
}

const ROUNDS = 4;
const fmt = (r: { rate: number; p50: number; p95: number }) => `${r.rate.toFixed(1)} runs/s, p50 ${r.p50.toFixed(0)} ms, p95 ${r.p95.toFixed(0)} ms`;
log(`${RUNS} runs per case in ${ROUNDS} alternating rounds, ${IN_FLIGHT} in flight, ${WIDTH} HTTP nodes per graph, one worker, Temporal dev server (in memory)`);
await measure(interpreted(linear), 20); // warm-up: bundle caches, connections, JIT
await measure(handwritten('handwrittenLinear'), 20);
const rows: [string, Starter, Starter][] = [
  ['10-node linear', interpreted(linear), handwritten('handwrittenLinear')],
  ['10-wide fan-out/fan-in', interpreted(fanOut), handwritten('handwrittenFanOut')],
];
for (const [name, viaInterpreter, viaHandwritten] of rows) {
  // Alternating rounds, so drift of the machine or the server weighs on both sides alike.
  const a: Sample = { latencies: [], seconds: 0, runs: 0 };
  const b: Sample = { latencies: [], seconds: 0, runs: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    await measure(viaInterpreter, RUNS / ROUNDS, a);
    await measure(viaHandwritten, RUNS / ROUNDS, b);
  }
  const [x, y] = [summary(a), summary(b)];
  log(`${name}: interpreter ${fmt(x)} | hand-written ${fmt(y)} | throughput ratio ${(y.rate / x.rate).toFixed(2)}x, p50 ratio ${(x.p50 / y.p50).toFixed(2)}x`);
}

worker.shutdown();
await running;
await connection.close();
await client.connection.close();
redis.disconnect();
await orm.close();
server.close();
await services.stop();
