// What the global setup started, for test files. Fails loudly when run outside `npm test`.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import type { Config } from '../../core/config.ts';
import { loadConfig } from '../../core/config.ts';
import { postgresBinDir } from '../../infra/scripts/services.ts';

function required(name: string): string {
  const value = process.env[name];
  if (!value && process.env.TRELLIS_TEST_LANE === 'unit') {
    throw new Error(`${name} is not set: this suite is marked \`// @lane unit\` (no services) yet asks for a test service; drop the mark or the service`);
  }
  if (!value) throw new Error(`${name} is not set: run the tests with \`npm test\` (jest's global setup starts the services)`);
  return value;
}

export const testEnv = {
  get dir() { return required('TEST_DIR'); },
  get temporalAddress() { return required('TEST_TEMPORAL_ADDRESS'); },
  get redisUrl() { return required('TEST_REDIS_URL'); },
  get postgresUrl() { return required('TEST_POSTGRES_URL'); },
};

/** A fresh temporary folder under the run's test directory. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(testEnv.dir, `${prefix}-`));
}

/** A Config as the processes would load it, pointed at the test services. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    TEMPORAL_ADDRESS: testEnv.temporalAddress,
    REDIS_URL: testEnv.redisUrl,
    DATABASE_URL: `sqlite:${join(tempDir('db'), 'app.sqlite')}`,
    TRELLIS_DATA_DIR: tempDir('data'),
    // Suites share one Redis and (without X-Forwarded-For) the address 127.0.0.1: production's
    // per-IP limits would let one suite's sign-ups throttle another's. Suites about rate limits
    // set their own values.
    RATE_LIMIT_AUTH_PER_IP: '100000',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000',
    RATE_LIMIT_LOGIN_FAILURES_PER_NETWORK: '100000',
    RATE_LIMIT_PRINCIPAL_PER_MINUTE: '100000',
    ...overrides,
  });
}

/**
 * A new, empty PostgreSQL database on the test server (`t_<random>`), so a suite can migrate and
 * fill it without meeting the rows of other suites. Returns its URL.
 */
export async function freshPostgresUrl(): Promise<string> {
  const base = new URL(testEnv.postgresUrl);
  const name = `t_${randomBytes(6).toString('hex')}`;
  const bin = postgresBinDir();
  const createdb = bin ? join(bin, 'createdb') : 'createdb';
  await promisify(execFile)(createdb, ['-h', base.hostname, '-p', base.port, '-U', decodeURIComponent(base.username || 'postgres'), name]);
  base.pathname = `/${name}`;
  return base.toString();
}

/** The two databases integration suites run against: `describe.each(testDatabases)`. */
export const testDatabases: [string, () => Promise<string>][] = [
  ['SQLite', async () => `sqlite:${join(tempDir('db'), 'app.sqlite')}`],
  ['PostgreSQL', freshPostgresUrl],
];
