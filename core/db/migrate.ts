// `npm run migrate`: applies pending migrations to DATABASE_URL and exits.
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { createOrm, migrate } from './orm.ts';

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, service: 'migrate' });
const orm = await createOrm(config.database.url, logger);
try {
  const applied = await migrate(orm);
  logger.info({ applied, database: config.database.url.replace(/\/\/[^@]*@/, '//***@') }, applied.length ? 'migrations applied' : 'database is up to date');
} finally {
  await orm.close();
}
