// Admission of the runs the worker starts (core/usage/admission.ts is the one gate): child runs
// of map and subworkflow nodes, admitted by their parent before it starts them, and runs fired by
// a schedule, which Temporal starts on its own and which are therefore admitted by their first
// step (recordRunStarted). Over a limit the activity fails non-retryably, its type being the
// limit's code (`quota_child_runs`, `run_depth_exceeded`, `quota_runs_per_month` …).
import { ApplicationFailure } from '@temporalio/common';
import type { Orm } from '../core/db/orm.ts';
import type { Redis } from '../core/redis/client.ts';
import type { RunRecords } from '../core/runs/records.ts';
import { createAdmission } from '../core/usage/admission.ts';
import { QuotaExceededError } from '../core/usage/service.ts';

export interface AdmitChildRunsInput {
  teamId: string;
  trigger: 'map' | 'subworkflow';
  rootRunId: string;
  /** Depth of the child runs (the parent's depth + 1). */
  depth: number;
  /** The child's run id, or for a map the node's path: a retried activity is not counted twice. */
  key: string;
  /** How many child runs start: a map admits all its items at once, before the first starts. */
  runs: number;
}

/** The start of a run, as recordRunStarted sees it. */
export interface WorkerStart {
  runId: string;
  teamId: string;
  workflowId: string;
  version: number;
  trigger: string;
  startedAt: string;
}

function refused(error: unknown): never {
  if (error instanceof QuotaExceededError) {
    throw ApplicationFailure.create({ type: error.code, message: error.message, nonRetryable: true, details: [{ quota: error.quota, limit: error.limit }] });
  }
  throw error;
}

export function createAdmissionActivities(deps: { orm: Orm; redis: Redis; records: RunRecords }) {
  const admission = createAdmission({ orm: deps.orm, redis: deps.redis });
  return {
    /**
     * Called by recordRunStarted for a run without a mirror row yet. A scheduled run reserves its
     * row, then passes admission like an API start; refused, its row ends failed with the reason
     * and the run stops before its first node.
     */
    async admitWorkerStart(run: WorkerStart): Promise<void> {
      if (run.trigger !== 'schedule') return; // child runs were admitted by their parent
      await deps.records.reserve(run);
      try {
        await admission.admitRun(run.teamId, { trigger: 'schedule', reserved: true });
      } catch (error) {
        if (error instanceof QuotaExceededError) {
          await deps.records.failStart(run.teamId, run.runId, `not started: ${error.message}`);
        } else {
          // Transient: take the reservation back so that the retried activity admits afresh.
          await deps.records.remove(run.teamId, run.runId);
        }
        refused(error);
      }
    },

    /** Before a map or subworkflow node starts child runs: depth, child runs per root run, runs this month. */
    async admitChildRuns(input: AdmitChildRunsInput): Promise<void> {
      await admission
        .admitRun(input.teamId, { trigger: input.trigger, runs: input.runs, child: { rootRunId: input.rootRunId, depth: input.depth, key: input.key } })
        .catch(refused);
    },
  };
}
