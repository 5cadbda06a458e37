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

/**
 * Child run ids derive from the run's own id (`<run>.<node>…`): a history that started child runs
 * replays under the workflow id it was recorded with, read back from its first child's id.
 */
function recordedWorkflowId(history: unknown): string | undefined {
  const events = (history as { events?: { startChildWorkflowExecutionInitiatedEventAttributes?: { workflowId?: string } }[] }).events ?? [];
  const child = events.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)?.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
  return child?.split('.')[0];
}

describe('replay of recorded histories', () => {
  it('has histories to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    const history = JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown;
    const workflowBundle = await loadWorkflowBundle(BUNDLE_CACHE, createLogger({ level: 'silent', service: 'replay' }));
    // Live-event sinks are not called while replaying; registering a no-op keeps the log quiet.
    const sinks = { runEvents: { publish: { fn: () => undefined } } };
    const result = await Worker.runReplayHistory({ workflowBundle, sinks }, history as Parameters<typeof Worker.runReplayHistory>[1], recordedWorkflowId(history) ?? file);
    expect(result).toBeUndefined(); // runReplayHistory throws DeterminismViolationError on a break
  });
});
