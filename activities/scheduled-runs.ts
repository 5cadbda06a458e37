// The activity of a schedule's firing (workflows/scheduled-run.ts): the schedule's run enters its
// team's queue through the same start path as the API and webhooks (core/runs/intake.ts),
// admitted by the monthly quota, with the schedule's priority and optional pinned version.
import { ApplicationFailure } from '@temporalio/common';
import type { Orm } from '../core/db/orm.ts';
import { ScheduleRecord } from '../core/schedules/entities.ts';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { Redis } from '../core/redis/client.ts';
import { kickDispatch } from '../core/runs/dispatcher.ts';
import { createRunIntake } from '../core/runs/intake.ts';
import { createRunQueue } from '../core/runs/queue.ts';
import { createAdmission } from '../core/usage/admission.ts';
import { createUsageService, QuotaExceededError, type UsageService } from '../core/usage/service.ts';
import { createWorkflowService } from '../core/workflows/service.ts';
import type { ScheduledRunInput } from '../workflows/inputs.ts';

export type { ScheduledRunInput };

export type ScheduledRunActivities = ReturnType<typeof createScheduledRunActivities>;

export function createScheduledRunActivities(deps: { orm: Orm; redis: Redis; usage?: UsageService; logger?: Logger; onRunsChanged?: (teamId: string) => Promise<void> }) {
  const usage = deps.usage ?? createUsageService({ orm: deps.orm });
  const workflows = createWorkflowService({ orm: deps.orm, usage });
  const queue = createRunQueue({ orm: deps.orm, onChange: deps.onRunsChanged });
  const intake = createRunIntake({
    orm: deps.orm, usage, admission: createAdmission({ orm: deps.orm, redis: deps.redis }), workflows, queue,
    kick: (teamId) => void kickDispatch(deps.redis, teamId),
  });

  return {
    /** The run this firing queued (or recorded as refused by a quota); null when the schedule is gone. */
    async queueScheduledRun(input: ScheduledRunInput): Promise<{ runId: string | null; refused?: string }> {
      // Read when it fires: a schedule deleted meanwhile starts nothing.
      const schedule = await deps.orm.em.fork().findOne(ScheduleRecord, { id: input.scheduleId, teamId: input.teamId });
      if (!schedule) return { runId: null };
      try {
        const started = await intake.start(schedule.teamId, {
          workflowId: schedule.workflowId, ...(schedule.version ? { version: schedule.version } : {}),
          input: schedule.input ? (JSON.parse(schedule.input) as unknown) : {}, priority: schedule.priority,
          trigger: 'schedule', triggeredBy: schedule.id, ...(input.firingId ? { idempotencyKey: `schedule:${input.firingId}` } : {}),
        });
        return { runId: started.runId };
      } catch (error) {
        // Over a quota: the refused run is recorded (failed, never started), so the team sees
        // that its schedule fired and why nothing ran. The next firing tries again.
        if (error instanceof QuotaExceededError) {
          const workflow = await workflows.find(schedule.teamId, schedule.workflowId);
          const runId = await queue.recordRefused({
            teamId: schedule.teamId, workflowId: workflow.id, version: schedule.version ?? workflow.latestVersion, trigger: 'schedule', triggeredBy: schedule.id,
            input: schedule.input ? (JSON.parse(schedule.input) as unknown) : {}, priority: schedule.priority,
          }, `not started: ${error.message}`);
          return { runId, refused: error.code };
        }
        // Any other refusal (the workflow deleted …) is final for this firing.
        if (error instanceof UserError) {
          deps.logger?.warn({ scheduleId: schedule.id, teamId: schedule.teamId, err: error.message }, 'scheduled run not started');
          throw ApplicationFailure.create({ type: 'schedule_refused', message: `${error.code}: ${error.message}`, nonRetryable: true });
        }
        throw error;
      }
    },
  };
}
