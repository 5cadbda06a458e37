// The worker process: `node worker/main.ts`. Stops cleanly on SIGINT/SIGTERM, letting
// in-flight activities finish (Temporal re-dispatches anything cut short).
import { join } from 'node:path';
import { Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../core/config.ts';
import { createLogger } from '../core/log.ts';
import { createOrm } from '../core/db/orm.ts';
import { createBlobStore } from '../core/blobs/store.ts';
import { createCredentialService } from '../core/credentials/service.ts';
import { vaultFromConfig } from '../core/platform.ts';
import { createUsageService } from '../core/usage/service.ts';
import { createRedis } from '../core/redis/client.ts';
import { createExpressionPool } from '../activities/expressions/pool.ts';
import { loadWorkflowBundle } from './bundle.ts';
import { connectWithRetry, createTrellisWorker } from './worker.ts';
import { startMailDelivery } from './mail.ts';
import { Client as TemporalClient } from '@temporalio/client';
import { createDispatcher } from '../core/runs/dispatcher.ts';
import { createRunListCache } from '../core/runs/list-cache.ts';
import { createRunQueue } from '../core/runs/queue.ts';
import { engineSettings } from '../core/runs/start-run.ts';
import { Client } from '@temporalio/client';
import { createNotifier } from '../core/notifications/notifier.ts';
import { ensureNamespaceRetention, ensureRetentionSchedule, namespaceRetentionDays } from '../core/retention/schedule.ts';
import { createWorkerMetrics, freeLoopbackPort, serveWorkerMetrics } from './metrics.ts';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
const logger = createLogger({ level: config.logLevel, service: 'worker' });
const { metricsHost, metricsPort } = config.worker;
const metricsAddress = `${metricsHost.includes(':') ? `[${metricsHost}]` : metricsHost}:${metricsPort}`;
// The SDK's exporter on a private loopback port; WORKER_METRICS_PORT serves it with ours (worker/metrics.ts).
const sdkMetricsAddress = `127.0.0.1:${await freeLoopbackPort()}`;

Runtime.install({
  logger: {
    log: (level, message, meta) => logger[level === 'TRACE' ? 'trace' : (level.toLowerCase() as 'debug')]({ ...meta }, message),
    trace: (m, meta) => logger.trace({ ...meta }, m),
    debug: (m, meta) => logger.debug({ ...meta }, m),
    info: (m, meta) => logger.info({ ...meta }, m),
    warn: (m, meta) => logger.warn({ ...meta }, m),
    error: (m, meta) => logger.error({ ...meta }, m),
  },
  telemetryOptions: {
    logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
    // The SDK's metrics (task slots, latencies, poll results), served at WORKER_METRICS_PORT's
    // /metrics together with Trellis's own, on loopback unless WORKER_METRICS_HOST opens it to a
    // scraper elsewhere (it has no login).
    metrics: { prometheus: { bindAddress: sdkMetricsAddress } },
  },
});

const metrics = createWorkerMetrics({ teamLabel: config.metrics.teamLabel });
const metricsServer = await serveWorkerMetrics({ host: metricsHost, port: metricsPort, registry: metrics.registry, upstream: `http://${sdkMetricsAddress}/metrics`, logger });
const orm = await createOrm(config.database.url, logger);
const redis = createRedis(config.redis.url, logger);
const connection = await connectWithRetry(config.temporal.address, 60_000);
const workflowBundle = await loadWorkflowBundle(join(config.dataDir, 'cache'), logger);
const expressions = createExpressionPool({ ...config.engine.expressions, logger });
// Run, approval and quota notifications are recorded by run activities and delivered on the mail queue.
const notifications = createNotifier({ orm, temporal: new Client({ connection, namespace: config.temporal.namespace }), taskQueue: config.mail.taskQueue, publicUrl: config.web.publicUrl, logger });
const worker = await createTrellisWorker({
  connection,
  namespace: config.temporal.namespace,
  taskQueue: config.temporal.taskQueue,
  workflowBundle,
  deps: {
    orm,
    logger,
    redis,
    blobs: createBlobStore(orm, { maxBytes: config.engine.blobMaxBytes }),
    blobThresholdBytes: config.engine.blobThresholdBytes,
    httpAllowlist: config.http.allowlist,
    httpPorts: config.http.ports,
    httpBuffer: config.http.buffer,
    expressions,
    openai: config.openai,
    ai: config.ai,
    credentials: createCredentialService({ orm, vault: vaultFromConfig(config, logger) }).store,
    usage: createUsageService({ orm }),
    notifications,
    metrics: metrics.run,
  },
});
// Outgoing mail: its own worker on the mail task queue, and the sweeper (worker/mail.ts).
const mail = await startMailDelivery({
  connection, namespace: config.temporal.namespace, workflowBundle, config, orm, logger,
  onNotification: (channelType, outcome) => metrics.run.notification({ channelType, outcome }),
});
// Retention (docs/decisions/034-backup-and-retention.md): the hourly sweep runs on the mail
// (housekeeping) queue; Temporal keeps closed histories no longer than the shortest plan. A
// refusal (a cluster where workers may not update the namespace) is logged, never fatal.
const housekeeping = new Client({ connection, namespace: config.temporal.namespace });
await ensureRetentionSchedule(housekeeping, { taskQueue: config.mail.taskQueue, logger }).catch((error: unknown) => logger.warn({ err: error }, 'retention schedule not set up'));
await ensureNamespaceRetention(housekeeping, config.temporal.namespace, namespaceRetentionDays()).catch((error: unknown) => logger.warn({ err: error }, 'namespace retention not set'));
logger.info(
  { taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace, metrics: `${metricsAddress}/metrics` },
  'worker ready',
);
// Queued runs leave for Temporal through every api and worker process's dispatcher (core/runs/dispatcher.ts).
const listCache = createRunListCache(redis);
const stopDispatcher = createDispatcher({
  orm, redis, temporal: new TemporalClient({ connection, namespace: config.temporal.namespace }), engine: engineSettings(config),
  queue: createRunQueue({ orm, onChange: (teamId) => listCache.invalidate(teamId) }), logger, settings: config.dispatch,
}).start();
// run() resolves once a shutdown signal has drained the worker.
await Promise.all([worker.run(), mail.run()]);
stopDispatcher();
await connection.close();
await metricsServer.close();
await expressions.close();
await orm.close();
redis.disconnect();
logger.info('worker stopped');
