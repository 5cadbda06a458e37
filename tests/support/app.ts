// Builds the api against real services for a test, and tears it all down afterwards. Mail goes
// out as in production: recorded by the api, delivered by a mail worker (worker/mail.ts) that
// each test app starts on a task queue of its own (so no other suite's worker takes its mail).
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../../core/config.ts';
import { createOrm, migrate, type Orm } from '../../core/db/orm.ts';
import { createLogger } from '../../core/log.ts';
import { createRedis, type Redis } from '../../core/redis/client.ts';
import { createTemporalClient } from '../../core/temporal.ts';
import { createApp } from '../../api/app.ts';
import { startMailDelivery } from '../../worker/mail.ts';
import { loadWorkflowBundle } from '../../worker/bundle.ts';
import { BUNDLE_CACHE } from './worker.ts';

export interface TestApp {
  app: ReturnType<typeof createApp>;
  orm: Orm;
  redis: Redis;
  temporal: Client;
  /** The mail worker; absent with `{ mail: false }`. */
  mail?: Awaited<ReturnType<typeof startMailDelivery>>;
  close(): Promise<void>;
}

export async function createTestApp(input: Config, options: { mail?: boolean } = {}): Promise<TestApp> {
  const config: Config = { ...input, mail: { ...input.mail, taskQueue: `mail-${randomUUID()}` } };
  const logger = createLogger({ level: process.env.TEST_API_LOG ?? 'silent', service: 'api-test' });
  const orm = await createOrm(config.database.url);
  await migrate(orm);
  const redis = createRedis(config.redis.url);
  const temporal = await createTemporalClient(config.temporal);
  const app = createApp({ config, logger, orm, redis, temporal });
  let mail: TestApp['mail'];
  let stopMail = async () => undefined as void;
  if (options.mail !== false) {
    const connection = await NativeConnection.connect({ address: config.temporal.address });
    const workerLogger = createLogger({ level: process.env.TEST_API_LOG ?? 'silent', service: 'mail-test' });
    const started = await startMailDelivery({
      connection, namespace: config.temporal.namespace, workflowBundle: await loadWorkflowBundle(BUNDLE_CACHE, workerLogger),
      config, orm, logger: workerLogger, sweepIntervalMs: 0,
    });
    const running = started.run();
    mail = started;
    stopMail = async () => {
      started.shutdown();
      await running;
      await connection.close();
    };
  }
  return {
    app,
    orm,
    redis,
    temporal,
    mail,
    async close() {
      (app.locals.close as (() => void) | undefined)?.();
      await stopMail().catch(() => undefined);
      redis.disconnect();
      await Promise.allSettled([orm.close(), temporal.connection.close()]);
    },
  };
}
