// A real Trellis worker on its own task queue, for integration tests.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { Orm } from '../../core/db/orm.ts';
import { createBlobStore } from '../../core/blobs/store.ts';
import { emptyCredentialStore } from '../../core/credentials/store.ts';
import { createRedis } from '../../core/redis/client.ts';
import type { ActivityDeps, CredentialStore } from '../../activities/index.ts';
import { testEnv } from './env.ts';
import type { UsageService } from '../../core/usage/service.ts';
import type { RunMetrics } from '../../core/metrics/run-metrics.ts';
import { createLogger, type Logger } from '../../core/log.ts';
import { ROOT } from '../../infra/scripts/services.ts';
import { loadWorkflowBundle } from '../../worker/bundle.ts';
import { createTrellisWorker } from '../../worker/worker.ts';
import { createExpressionPool, type ExpressionPoolOptions } from '../../activities/expressions/pool.ts';

export const BUNDLE_CACHE = join(ROOT, 'node_modules', '.cache', 'trellis');

// The SDK logs worker state changes at INFO to the console; tests only need warnings.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // already installed in this module registry
}

export interface TestWorkerOptions {
  address: string;
  orm: Orm;
  taskQueue?: string;
  blobThresholdBytes?: number;
  openaiBaseUrl?: string;
  credentials?: CredentialStore;
  usage?: UsageService;
  expressions?: Partial<ExpressionPoolOptions>;
  /** The worker's logger (silent by default). */
  logger?: Logger;
  /** Records run and approval notifications (core/notifications/notifier.ts); none when absent. */
  notifications?: ActivityDeps['notifications'];
  /** Run, node and AI metrics (worker/metrics.ts); none counted when absent. */
  metrics?: RunMetrics;
}

export async function startTestWorker(options: TestWorkerOptions) {
  const redis = createRedis(testEnv.redisUrl);
  const logger = options.logger ?? createLogger({ level: 'silent', service: 'test-worker' });
  const taskQueue = options.taskQueue ?? `test-${randomUUID()}`;
  const connection = await NativeConnection.connect({ address: options.address });
  const expressions = createExpressionPool({ processes: 2, cpuMs: 1_000, memoryMb: 256, ...options.expressions });
  const worker = await createTrellisWorker({
    connection,
    namespace: 'default',
    taskQueue,
    workflowBundle: await loadWorkflowBundle(BUNDLE_CACHE, logger),
    deps: {
      orm: options.orm,
      logger,
      redis,
      blobs: createBlobStore(options.orm, { maxBytes: 50 * 1024 * 1024 }),
      blobThresholdBytes: options.blobThresholdBytes ?? 65_536,
      // Tests serve HTTP on loopback: the operator allow-list is how a deployment permits that too.
      httpAllowlist: ['127.0.0.1', 'localhost'],
      openai: { baseUrl: options.openaiBaseUrl ?? 'http://127.0.0.1:9/v1', apiKey: 'sk-test' },
      credentials: options.credentials ?? emptyCredentialStore,
      usage: options.usage,
      notifications: options.notifications,
      expressions,
      metrics: options.metrics,
    },
  });
  const running = worker.run();
  return {
    taskQueue,
    expressions,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
      await expressions.close();
      redis.disconnect();
    },
  };
}
