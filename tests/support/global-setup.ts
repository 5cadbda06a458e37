// Starts the real services the suites share, once per `jest` run: a Temporal dev server
// (in memory), Redis and PostgreSQL, each on a free port in a temporary folder. Their
// addresses reach the test files through environment variables (inherited by jest workers).
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.ts';
import { freePort, startPostgres, startRedis, startTemporalDevServer, type Service } from '../../infra/scripts/services.ts';

declare global {
  var trellisTestServices: Service[] | undefined;
}

export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-test-'));
  chmodSync(dir, 0o755); // PostgreSQL runs as its own user and must reach its folder inside
  const started = performance.now();
  const [temporalPort, redisPort, postgresPort] = [await freePort(), await freePort(), await freePort()];
  const [temporal, redis, postgres] = await Promise.all([
    startTemporalDevServer({ port: temporalPort, searchAttributes: SEARCH_ATTRIBUTES, logFile: join(dir, 'temporal.log') }),
    startRedis({ port: redisPort, dir: join(dir, 'redis'), logFile: join(dir, 'redis.log') }),
    startPostgres({ port: postgresPort, dir: join(dir, 'pg'), logFile: join(dir, 'postgres.log') }),
  ]);
  globalThis.trellisTestServices = [temporal, redis, postgres];
  process.env.TEST_DIR = dir;
  process.env.TEST_TEMPORAL_ADDRESS = `127.0.0.1:${temporalPort}`;
  process.env.TEST_REDIS_URL = `redis://127.0.0.1:${redisPort}`;
  process.env.TEST_POSTGRES_URL = postgres.url;
  console.log(`\ntest services ready in ${Math.round(performance.now() - started)} ms (logs in ${dir})`);
}
