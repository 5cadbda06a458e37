// What the global setup started, for test files. Fails loudly when run outside `npm test`.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../core/config.ts';
import { loadConfig } from '../../core/config.ts';

function required(name: string): string {
  const value = process.env[name];
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
    ...overrides,
  });
}
