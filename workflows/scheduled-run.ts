// A schedule's action (docs/decisions/028-admission-queue.md): `startScheduledRun` puts one run of
// the schedule's workflow in its team's queue through the start path every trigger uses, then
// ends. The schedule names the workflow (and, optionally, a pinned version); the graph is read
// when it fires, never copied into the schedule.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ScheduledRunActivities } from '../activities/scheduled-runs.ts';
import type { ScheduledRunInput } from './inputs.ts';

const { queueScheduledRun } = proxyActivities<ScheduledRunActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumInterval: '1 minute', maximumAttempts: 30, nonRetryableErrorTypes: ['schedule_refused'] },
});

export async function startScheduledRun(input: ScheduledRunInput): Promise<{ runId: string | null; refused?: string }> {
  // One firing, one run: the firing's own workflow id is the start's idempotency key.
  return queueScheduledRun({ ...input, firingId: workflowInfo().workflowId });
}
