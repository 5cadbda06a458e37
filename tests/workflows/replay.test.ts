// Replays recorded run histories (tests/fixtures/histories, recorded by run-graph.test.ts with
// RECORD_HISTORIES=1) against the current workflow code: a change that would
// break runs in flight fails here, before it reaches a deployed worker.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { createLogger } from '../../core/log.ts';
import { loadWorkflowBundle } from '../../worker/bundle.ts';
import { BUNDLE_CACHE } from '../support/worker.ts';

const dir = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('replay of recorded histories', () => {
  it('has histories to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    const history = JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown;
    const workflowBundle = await loadWorkflowBundle(BUNDLE_CACHE, createLogger({ level: 'silent', service: 'replay' }));
    // Live-event sinks are not called while replaying; registering a no-op keeps the log quiet.
    const sinks = { runEvents: { publish: { fn: () => undefined } } };
    const result = await Worker.runReplayHistory({ workflowBundle, sinks }, history as Parameters<typeof Worker.runReplayHistory>[1], file);
    expect(result).toBeUndefined(); // runReplayHistory throws DeterminismViolationError on a break
  });
});
