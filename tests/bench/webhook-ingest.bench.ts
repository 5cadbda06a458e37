// Signed webhook ingest: requests/second and latency to the 202 (autocannon, 10 s, 50
// connections), then the rate at which the started runs complete, on the Temporal dev server
// (SQLite file) or on a Temporal server on PostgreSQL (the production store).
//   node tests/bench/webhook-ingest.bench.ts [seconds=10] [connections=50] [store=dev-server|postgresql]
// The store can also come from BENCH_TEMPORAL_STORE. `postgresql` needs the server binaries:
// `bash infra/scripts/temporal-server.sh` builds them once (bench.sh runs it).
import { createExpressionPool } from '../../activities/expressions/pool.ts';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createApp } from '../../api/app.ts';
import { loadConfig } from '../../core/config.ts';
import { createCredentialService } from '../../core/credentials/service.ts';
import { createVault } from '../../core/credentials/vault.ts';
import { createOrm, migrate } from '../../core/db/orm.ts';
import { RunRecord } from '../../core/db/entities.ts';
import { createLogger } from '../../core/log.ts';
import { createPlatform } from '../../core/platform.ts';
import { createRedis } from '../../core/redis/client.ts';
import { createTemporalClient } from '../../core/temporal.ts';
import { Team } from '../../core/teams/entities.ts';
import { createUsageService } from '../../core/usage/service.ts';
import { sign } from '../../core/webhooks/service.ts';
import { createBlobStore } from '../../core/blobs/store.ts';
import { loadWorkflowBundle } from '../../worker/bundle.ts';
import { createTrellisWorker } from '../../worker/worker.ts';
import { NativeConnection } from '@temporalio/worker';
import { log, startBenchServices, TEMPORAL_STORES, type TemporalStore } from './harness.ts';

const SECONDS = Number(process.argv[2] ?? 10);
const CONNECTIONS = Number(process.argv[3] ?? 50);
const STORE = (process.argv[4] ?? process.env.BENCH_TEMPORAL_STORE ?? 'dev-server') as TemporalStore;
if (!TEMPORAL_STORES.includes(STORE)) throw new Error(`unknown Temporal store ${STORE} (known: ${TEMPORAL_STORES.join(', ')})`);
const STORE_LABEL = STORE === 'postgresql' ? 'Temporal server v1.31.2 on PostgreSQL (4 history shards)' : 'Temporal dev server (SQLite file)';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const services = await startBenchServices({ temporalDbFile: true, temporalStore: STORE });
const secretKey = randomBytes(32).toString('base64');
const taskQueue = `bench-${randomUUID()}`;
const config = loadConfig({
  NODE_ENV: 'test', LOG_LEVEL: 'silent', TEMPORAL_ADDRESS: services.temporalAddress, TEMPORAL_TASK_QUEUE: taskQueue,
  REDIS_URL: services.redisUrl, DATABASE_URL: `sqlite:${join(services.dir, 'app.sqlite')}`, TRELLIS_DATA_DIR: services.dir,
  TRELLIS_SECRET_KEY: secretKey, RATE_LIMIT_ENABLED: 'false', TRELLIS_RUN_CONCURRENCY: '10',
});
const logger = createLogger({ level: 'silent', service: 'bench' });
const orm = await createOrm(config.database.url);
await migrate(orm);
const redis = createRedis(config.redis.url);
const temporal = await createTemporalClient(config.temporal);

// A team on the enterprise plan (200 concurrent runs), a two-node workflow and its webhook.
const teamId = `team_bench_${randomUUID().slice(0, 8)}`;
await orm.em.fork().insert(Team, { id: teamId, name: 'bench', personal: false, plan: 'enterprise', createdAt: new Date() });
const usage = createUsageService({ orm });
const platform = createPlatform({ config, orm, redis, temporal, logger, usage });
const workflow = await platform.workflows.create(teamId, 'bench', {
  name: 'ingest',
  graph: { nodes: [{ id: 'shape', type: 'transform', config: { expression: '{ "id": input.id, "total": $sum(input.items.price) }' } }, { id: 'done', type: 'output', config: { value: '{{ steps.shape.output }}' } }], edges: [{ from: 'shape', to: 'done' }] },
});
const hook = await platform.webhooks.create(teamId, workflow.id, 'bench');

const app = createApp({ config, logger, orm, redis, temporal });
const server = app.listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/${hook.id}`;

const connection = await NativeConnection.connect({ address: services.temporalAddress });
const worker = await createTrellisWorker({
  connection, namespace: 'default', taskQueue,
  workflowBundle: await loadWorkflowBundle(join(services.dir, 'cache'), logger),
  deps: {
    orm, logger, redis, blobs: createBlobStore(orm, { maxBytes: 1e8 }), blobThresholdBytes: 65_536, httpAllowlist: [],
    openai: { baseUrl: 'http://127.0.0.1:9/v1' }, credentials: createCredentialService({ orm, vault: createVault(secretKey) }).store, usage, expressions: createExpressionPool({ processes: 2, cpuMs: 1_000, memoryMb: 256 }),
  },
});
const running = worker.run();

const body = JSON.stringify({ id: 'order-1', items: [{ price: 5 }, { price: 7 }] });
const t = Math.floor(Date.now() / 1000);
const signature = `t=${t},v1=${sign(hook.secret, t, body)}`;
log(`webhook ingest: ${SECONDS} s, ${CONNECTIONS} connections, api + worker in one process, ${STORE_LABEL}, SQLite app db`);
const started = performance.now();
const result = await autocannon({
  url, method: 'POST', duration: SECONDS, connections: CONNECTIONS,
  headers: { 'content-type': 'application/json', 'x-trellis-signature': signature }, body,
});
const accepted = result['2xx'];
log(`ingest: ${result.requests.average.toFixed(0)} req/s average, latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms; ${accepted} accepted (2xx), ${result.non2xx} other, ${result.errors} errors`);
log(`status codes: ${JSON.stringify(Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count])))}`);

// Completion: wait until every accepted run has ended.
const em = orm.em.fork();
let done: number;
for (;;) {
  done = await em.count(RunRecord, { teamId, status: 'succeeded' });
  const failed = await em.count(RunRecord, { teamId, status: { $in: ['failed', 'cancelled'] } });
  if (done + failed >= accepted) {
    if (failed) log(`${failed} runs failed`);
    break;
  }
  if (performance.now() - started > 600_000) break;
  await new Promise((r) => setTimeout(r, 250));
  em.clear();
}
const seconds = (performance.now() - started) / 1000;
log(`completion (${STORE}): ${done} runs succeeded ${seconds.toFixed(1)} s after the first request: ${(done / seconds).toFixed(0)} runs/s end to end`);

worker.shutdown();
await running;
await connection.close();
server.closeAllConnections();
server.close();
(app.locals.close as () => void)();
await temporal.connection.close();
redis.disconnect();
await orm.close();
await services.stop();
