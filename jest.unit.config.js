// The fast lane (`npm run test:unit`): only the suites marked `// @lane unit` (tests/support/lanes.ts),
// without the global setup, so no Temporal, Redis or PostgreSQL is started. `npm test` still runs
// every suite, these included; tests/infra/test-lanes.test.ts fails when a marked suite reaches
// the service harness.
import base from './jest.config.js';
import { unitSuites } from './tests/support/lanes.ts';

/** @type {import('jest').Config} */
export default {
  testEnvironment: base.testEnvironment,
  extensionsToTreatAsEsm: base.extensionsToTreatAsEsm,
  transform: base.transform,
  testMatch: unitSuites(import.meta.dirname).map((file) => `<rootDir>/${file}`),
  setupFiles: ['<rootDir>/tests/support/unit-lane.ts'],
  testTimeout: 30_000,
};
