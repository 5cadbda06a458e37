// Schedules: Temporal Schedules (cron + time zone, overlap policy skip) whose action is a small
// workflow, startScheduledRun, that queues one run through the start path every trigger uses
// (activities/scheduled-runs.ts): monthly quota, the schedule's priority, the workflow's latest
// version or a pinned one. The schedule references the workflow; the graph is never copied into
// it. Schedules created before (whose action was runGraph with a copied graph) are upgraded when
// the api starts, when listed and when their workflow is saved. Deleting the workflow deletes
// them; a team has at most its plan's `schedules`.
import type { Client, ScheduleDescription } from '@temporalio/client';
import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Orm } from '../db/orm.ts';
import { ScheduleRecord } from './entities.ts';
import { NotFoundError, UserError } from '../errors.ts';
import { newId } from '../ids.ts';
import { DEFAULT_PRIORITY } from '../runs/intake.ts';
import type { EngineSettings } from '../runs/start-run.ts';
import type { UsageService } from '../usage/service.ts';
import type { WorkflowService } from '../workflows/service.ts';
import type { ScheduledRunInput } from '../../workflows/inputs.ts';
import type { Logger } from '../log.ts';
import type { Schedule as WireSchedule } from '../../contract/index.ts';

const CRON = /^(@(yearly|annually|monthly|weekly|daily|hourly))$|^(\S+\s+){4}\S+$/;

/** The wire shape (contract/): what the api answers with. */
export type ScheduleView = WireSchedule;

export type ScheduleService = ReturnType<typeof createScheduleService>;

/** The workflow type a schedule's action starts. */
export const SCHEDULED_RUN_WORKFLOW = 'startScheduledRun';

export function createScheduleService(deps: { orm: Orm; temporal: Client; engine: EngineSettings; workflows: WorkflowService; usage: UsageService; logger?: Logger }) {
  const { orm, temporal } = deps;

  /** What the schedule does when it fires: names the schedule, nothing more (read when it fires). */
  function action(row: Pick<ScheduleRecord, 'id' | 'teamId' | 'workflowId'>) {
    const args: ScheduledRunInput = { scheduleId: row.id, teamId: row.teamId, workflowId: row.workflowId };
    return { type: 'startWorkflow' as const, workflowType: SCHEDULED_RUN_WORKFLOW, workflowId: row.id, taskQueue: deps.engine.taskQueue, args: [args] };
  }

  /** A schedule whose action still copies a graph into runGraph gets the current action. */
  async function upgrade(row: ScheduleRecord, description?: ScheduleDescription): Promise<boolean> {
    const described = description ?? (await temporal.schedule.getHandle(row.id).describe());
    if (described.action.type === 'startWorkflow' && described.action.workflowType === SCHEDULED_RUN_WORKFLOW) return false;
    await temporal.schedule.getHandle(row.id).update((previous) => ({ ...previous, action: action(row) }));
    deps.logger?.info({ scheduleId: row.id, teamId: row.teamId }, 'schedule upgraded: it queues runs of its workflow instead of copying the graph');
    return true;
  }

  async function requireVersion(teamId: string, workflowId: string, version: number | undefined | null): Promise<void> {
    if (version === undefined || version === null) return;
    await deps.workflows.getVersion(teamId, workflowId, version).catch((error: unknown) => {
      if (error instanceof NotFoundError) throw new UserError('invalid_request', `The workflow has no version ${version}`, { problems: [{ path: 'version', message: 'no such version' }] });
      throw error;
    });
  }

  function view(row: ScheduleRecord, description?: ScheduleDescription): ScheduleView {
    return {
      id: row.id, workflowId: row.workflowId, cron: row.cron, timezone: row.timezone,
      input: row.input ? (JSON.parse(row.input) as unknown) : {},
      priority: row.priority, version: row.version ?? null,
      paused: description?.state.paused ?? false,
      nextRunTimes: (description?.info.nextActionTimes ?? []).slice(0, 5).map((d) => d.toISOString()),
      createdAt: row.createdAt.toISOString(),
    };
  }

  async function find(teamId: string, workflowId: string, id: string): Promise<ScheduleRecord> {
    const row = await orm.em.fork().findOne(ScheduleRecord, { id, teamId, workflowId });
    if (!row) throw new NotFoundError('Schedule');
    return row;
  }

  return {
    async create(teamId: string, workflowId: string, actor: string, input: { cron: string; timezone?: string; input?: unknown; priority?: number; version?: number }): Promise<ScheduleView> {
      const cron = input.cron.trim();
      if (!CRON.test(cron)) {
        throw new UserError('invalid_request', 'cron must have five fields (minute hour day-of-month month day-of-week) or be @hourly, @daily …', { problems: [{ path: 'cron', message: 'invalid cron expression' }] });
      }
      const timezone = input.timezone ?? 'UTC';
      if (!Intl.supportedValuesOf('timeZone').includes(timezone) && timezone !== 'UTC') {
        throw new UserError('invalid_request', `Unknown time zone "${timezone}"`, { problems: [{ path: 'timezone', message: 'unknown IANA time zone' }] });
      }
      await deps.workflows.find(teamId, workflowId);
      await requireVersion(teamId, workflowId, input.version);
      const id = newId('sch');
      // Reserve, then count (as run starts do): parallel creates can only under-admit.
      const row: ScheduleRecord = {
        id, teamId, workflowId, cron, timezone, input: input.input === undefined ? null : JSON.stringify(input.input), createdAt: new Date(), createdBy: actor,
        priority: input.priority ?? DEFAULT_PRIORITY, version: input.version ?? null,
      };
      const scheduled = action(row);
      await orm.em.fork().insert(ScheduleRecord, row);
      try {
        await deps.usage.checkScheduleCount(teamId, await orm.em.fork().count(ScheduleRecord, { teamId }));
        await temporal.schedule.create({
          scheduleId: id,
          spec: { cronExpressions: [cron], timezone },
          action: scheduled,
          policies: { overlap: ScheduleOverlapPolicy.SKIP },
          memo: { teamId, workflowId },
        });
      } catch (error) {
        await orm.em.fork().nativeDelete(ScheduleRecord, { id });
        if (/invalid|parse/i.test((error as Error).message) && !(error instanceof UserError)) {
          throw new UserError('invalid_request', `Temporal refused the schedule: ${(error as Error).message}`, { problems: [{ path: 'cron', message: (error as Error).message }] });
        }
        throw error;
      }
      return view(row, await temporal.schedule.getHandle(id).describe());
    },

    async list(teamId: string, workflowId: string): Promise<ScheduleView[]> {
      await deps.workflows.find(teamId, workflowId);
      const rows = await orm.em.fork().find(ScheduleRecord, { teamId, workflowId }, { orderBy: { createdAt: 'desc' } });
      return Promise.all(
        rows.map(async (row) => {
          const description = await temporal.schedule.getHandle(row.id).describe().catch(() => undefined);
          if (description) await upgrade(row, description).catch(() => false);
          return view(row, description);
        }),
      );
    },

    /** Changes the priority of the runs it starts, or pins (null: unpins) a version; read when it fires. */
    async update(teamId: string, workflowId: string, id: string, changes: { priority?: number; version?: number | null }): Promise<ScheduleView> {
      const row = await find(teamId, workflowId, id);
      await requireVersion(teamId, workflowId, changes.version);
      const set: Partial<Pick<ScheduleRecord, 'priority' | 'version'>> = {};
      if (changes.priority !== undefined) set.priority = changes.priority;
      if (changes.version !== undefined) set.version = changes.version;
      if (Object.keys(set).length > 0) await orm.em.fork().nativeUpdate(ScheduleRecord, { id }, set);
      return view({ ...row, ...set }, await temporal.schedule.getHandle(id).describe().catch(() => undefined));
    },

    /** Upgrades every schedule still copying a graph (the api runs it as it starts). Returns how many changed. */
    async upgradeAll(): Promise<number> {
      let upgraded = 0;
      for (const row of await orm.em.fork().find(ScheduleRecord, {})) {
        if (await upgrade(row).catch(() => false)) upgraded++;
      }
      return upgraded;
    },

    async setPaused(teamId: string, workflowId: string, id: string, paused: boolean): Promise<ScheduleView> {
      const row = await find(teamId, workflowId, id);
      const handle = temporal.schedule.getHandle(id);
      if (paused) await handle.pause('paused through the API');
      else await handle.unpause('resumed through the API');
      return view(row, await handle.describe());
    },

    async delete(teamId: string, workflowId: string, id: string): Promise<void> {
      await find(teamId, workflowId, id);
      await temporal.schedule.getHandle(id).delete().catch((error: unknown) => {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
      });
      await orm.em.fork().nativeDelete(ScheduleRecord, { id });
    },

    /**
     * After a save: schedules read the latest version when they fire, so only those created
     * before that (their action copies the graph) need a change.
     */
    async workflowUpdated(teamId: string, workflowId: string): Promise<void> {
      for (const row of await orm.em.fork().find(ScheduleRecord, { teamId, workflowId })) await upgrade(row);
    },

    async deleteForWorkflow(teamId: string, workflowId: string): Promise<void> {
      const rows = await orm.em.fork().find(ScheduleRecord, { teamId, workflowId });
      for (const row of rows) {
        await temporal.schedule.getHandle(row.id).delete().catch(() => undefined);
      }
      await orm.em.fork().nativeDelete(ScheduleRecord, { teamId, workflowId });
    },
  };
}
