// Every side effect a run performs lives here, with its dependencies injected.
import type { Logger } from '../core/log.ts';
import type { Orm } from '../core/db/orm.ts';
import { RunRecord } from '../core/db/entities.ts';

export interface ActivityDeps {
  orm: Orm;
  logger: Logger;
}

export interface RunStarted {
  runId: string;
  teamId: string;
  workflowId: string;
  version: number;
  trigger: string;
  startedAt: string;
}

export interface RunFinished {
  runId: string;
  status: string;
  endedAt: string;
  error?: string;
}

export function createActivities(deps: ActivityDeps) {
  return {
    /** Mirrors a run's start into the database; idempotent, since activities may be retried. */
    async recordRunStarted(run: RunStarted): Promise<void> {
      const em = deps.orm.em.fork();
      await em.upsert(RunRecord, {
        id: run.runId,
        teamId: run.teamId,
        workflowId: run.workflowId,
        version: run.version,
        trigger: run.trigger,
        status: 'running',
        startedAt: new Date(run.startedAt),
        endedAt: null,
        error: null,
      });
    },

    /** Mirrors a run's end; the row exists because recordRunStarted completed first. */
    async recordRunFinished(run: RunFinished): Promise<void> {
      const em = deps.orm.em.fork();
      await em.nativeUpdate(
        RunRecord,
        { id: run.runId },
        { status: run.status, endedAt: new Date(run.endedAt), error: run.error ?? null },
      );
      deps.logger.info({ runId: run.runId, status: run.status }, 'run finished');
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
