// The api process: `node api/server.ts`.
import { ConfigError, loadConfig } from '../core/config.ts';
import { createOrm } from '../core/db/orm.ts';
import { createLogger } from '../core/log.ts';
import { createRedis } from '../core/redis/client.ts';
import { createRunListCache } from '../core/runs/list-cache.ts';
import { createRunReconciler } from '../core/runs/reconciler.ts';
import { engineSettings } from '../core/runs/start-run.ts';
import { createTemporalClient } from '../core/temporal.ts';
import { createApp } from './app.ts';
import { answerParserErrors } from './middleware/errors.ts';

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
const logger = createLogger({ level: config.logLevel, service: 'api' });
const orm = await createOrm(config.database.url, logger);
const redis = createRedis(config.redis.url, logger);
const temporal = await createTemporalClient(config.temporal);
const app = createApp({ config, logger, orm, redis, temporal });


// Run records whose execution ended outside Trellis are closed, claimed runs whose start was lost
// are started again; one replica per interval does the pass (core/runs/reconciler.ts).
const stopReconciler = createRunReconciler({
  orm, temporal, redis, logger, listCache: createRunListCache(redis), settings: config.reconciler, engine: engineSettings(config),
}).start();

const server = app.listen(config.api.port, () => {
  logger.info({ port: config.api.port, docs: `http://127.0.0.1:${config.api.port}/api/docs` }, 'api listening');
});
answerParserErrors(server);
server.on('error', (error) => {
  logger.fatal({ err: error }, 'api cannot listen');
  process.exit(1);
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'api shutting down');
  // Stop accepting, let in-flight requests finish (SSE streams are closed by closeAllConnections).
  const closed = new Promise((resolve) => server.close(resolve));
  setTimeout(() => server.closeAllConnections(), 5_000).unref();
  await closed;
  stopReconciler();
  (app.locals.close as () => void)();
  await Promise.allSettled([orm.close(), redis.quit(), temporal.connection.close()]);
  logger.info('api stopped');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
