// The browser end-to-end suite (tests/e2e/): Chromium driven by playwright-core against the whole
// stack, started once per run the way `npm start` starts it (tests/e2e/support/global-setup.ts).
// Separate from jest.config.js, which ignores tests/e2e/: one stack, one test file at a time.
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: base.extensionsToTreatAsEsm,
  transform: base.transform,
  testMatch: ['<rootDir>/tests/e2e/**/*.e2e.test.ts'],
  globalSetup: '<rootDir>/tests/e2e/support/global-setup.ts',
  globalTeardown: '<rootDir>/tests/e2e/support/global-teardown.ts',
  // Files share one stack (and its Temporal, Redis, database): never two at once.
  maxWorkers: 1,
  // A browser on a loaded 2-core machine is slow; a real hang still fails.
  testTimeout: 300_000,
};
