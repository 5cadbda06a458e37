// Run and node statuses: the one list of each (zod-free, so workflow code may import it too).
// contract/runs.ts builds the wire enums from these.

/** Every status a run can be in, as the api reports it; `queued` exists only before Temporal has the run. */
export const RUN_STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'timed_out'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The statuses a run never leaves (its state then no longer changes). */
export const FINAL_RUN_STATUSES = ['succeeded', 'failed', 'cancelled', 'timed_out'] as const satisfies readonly RunStatus[];
export type FinalRunStatus = (typeof FINAL_RUN_STATUSES)[number];

/** Runs holding a concurrency slot (a queued run holds none). */
export const ACTIVE_RUN_STATUSES = ['running', 'waiting'] as const satisfies readonly RunStatus[];

/** Final statuses that count as a failure (failure groups, run.failed notifications). */
export const FAILED_RUN_STATUSES = ['failed', 'timed_out'] as const satisfies readonly FinalRunStatus[];

export function isFinalRunStatus(status: string): status is FinalRunStatus {
  return (FINAL_RUN_STATUSES as readonly string[]).includes(status);
}

export const NODE_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'waiting', 'cancelled'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];
