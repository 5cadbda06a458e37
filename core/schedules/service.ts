// Schedules: Temporal Schedules (cron + time zone, overlap policy skip) that start runs of a
// workflow's latest version; saving a new version updates them, deleting the workflow deletes them.
// A team has at most its plan's `schedules`; each fired run passes admission in its first
// activity (recordRunStarted), like a start through the API.
import { randomUUID } from 'node:crypto';
import type { Client, ScheduleDescription } from '@temporalio/client';
import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Orm } from '../db/orm.ts';
import { ScheduleRecord } from '../db/entities.ts';
import { NotFoundError, UserError } from '../errors.ts';
import type { EngineSettings } from '../runs/start-run.ts';
import type { UsageService } from '../usage/service.ts';
import type { WorkflowService } from '../workflows/service.ts';
import type { RunGraphInput } from '../../workflows/run-graph.ts';
import { runSearchAttributes } from '../../workflows/search-attributes.ts';

const CRON = /^(@(yearly|annually|monthly|weekly|daily|hourly))$|^(\S+\s+){4}\S+$/;

export interface ScheduleView {
  id: string;
  workflowId: string;
  cron: string;
  timezone: string;
  input: unknown;
  paused: boolean;
  nextRunTimes: string[];
  createdAt: string;
}

export type ScheduleService = ReturnType<typeof createScheduleService>;

export function createScheduleService(deps: { orm: Orm; temporal: Client; engine: EngineSettings; workflows: WorkflowService; usage: UsageService }) {
  const { orm, temporal } = deps;

  async function action(teamId: string, workflowId: string, scheduleId: string, input: unknown) {
    const workflow = await deps.workflows.get(teamId, workflowId);
    const args: RunGraphInput = {
      graph: workflow.graph, version: workflow.version, input: input ?? {}, teamId, workflowId, trigger: 'schedule',
      blobThresholdBytes: deps.engine.blobThresholdBytes, maxConcurrency: deps.engine.maxConcurrency,
    };
    return {
      type: 'startWorkflow' as const,
      workflowType: 'runGraph',
      workflowId: scheduleId,
      taskQueue: deps.engine.taskQueue,
      args: [args],
      typedSearchAttributes: runSearchAttributes(args),
    };
  }

  function view(row: ScheduleRecord, description?: ScheduleDescription): ScheduleView {
    return {
      id: row.id, workflowId: row.workflowId, cron: row.cron, timezone: row.timezone,
      input: row.input ? (JSON.parse(row.input) as unknown) : {},
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
    async create(teamId: string, workflowId: string, actor: string, input: { cron: string; timezone?: string; input?: unknown }): Promise<ScheduleView> {
      const cron = input.cron.trim();
      if (!CRON.test(cron)) {
        throw new UserError('invalid_request', 'cron must have five fields (minute hour day-of-month month day-of-week) or be @hourly, @daily …', { problems: [{ path: 'cron', message: 'invalid cron expression' }] });
      }
      const timezone = input.timezone ?? 'UTC';
      if (!Intl.supportedValuesOf('timeZone').includes(timezone) && timezone !== 'UTC') {
        throw new UserError('invalid_request', `Unknown time zone "${timezone}"`, { problems: [{ path: 'timezone', message: 'unknown IANA time zone' }] });
      }
      const id = `sch_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
      const scheduled = await action(teamId, workflowId, id, input.input);
      // Reserve, then count (as run starts do): parallel creates can only under-admit.
      const row: ScheduleRecord = { id, teamId, workflowId, cron, timezone, input: input.input === undefined ? null : JSON.stringify(input.input), createdAt: new Date(), createdBy: actor };
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
      return Promise.all(rows.map(async (row) => view(row, await temporal.schedule.getHandle(row.id).describe().catch(() => undefined))));
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

    /** After a save: scheduled runs start the new version from now on. */
    async workflowUpdated(teamId: string, workflowId: string): Promise<void> {
      const rows = await orm.em.fork().find(ScheduleRecord, { teamId, workflowId });
      for (const row of rows) {
        const next = await action(teamId, workflowId, row.id, row.input ? (JSON.parse(row.input) as unknown) : undefined);
        await temporal.schedule.getHandle(row.id).update((previous) => ({ ...previous, action: next }));
      }
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
