// Builds the api against real services for a test, and tears it all down afterwards.
import type { Client } from '@temporalio/client';
import type { Config } from '../../core/config.ts';
import { createOrm, migrate, type Orm } from '../../core/db/orm.ts';
import { createLogger } from '../../core/log.ts';
import { createRedis, type Redis } from '../../core/redis/client.ts';
import { createTemporalClient } from '../../core/temporal.ts';
import { createApp } from '../../api/app.ts';

export interface TestApp {
  app: ReturnType<typeof createApp>;
  orm: Orm;
  redis: Redis;
  temporal: Client;
  close(): Promise<void>;
}

export async function createTestApp(config: Config): Promise<TestApp> {
  const logger = createLogger({ level: process.env.TEST_API_LOG ?? 'silent', service: 'api-test' });
  const orm = await createOrm(config.database.url);
  await migrate(orm);
  const redis = createRedis(config.redis.url);
  const temporal = await createTemporalClient(config.temporal);
  const app = createApp({ config, logger, orm, redis, temporal });
  return {
    app,
    orm,
    redis,
    temporal,
    async close() {
      (app.locals.close as (() => void) | undefined)?.();
      redis.disconnect();
      await Promise.allSettled([orm.close(), temporal.connection.close()]);
    },
  };
}
