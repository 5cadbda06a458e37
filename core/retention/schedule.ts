// The `trellis-retention` Temporal schedule and the namespace's retention, set at worker boot
// (worker/main.ts) — idempotently: every worker of a deployment may call it at every start.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptionsAction } from '@temporalio/client';
import type { google } from '@temporalio/proto';
import type { Logger } from '../log.ts';
import { PLAN_NAMES, PLANS } from '../plans.ts';

export const RETENTION_SCHEDULE_ID = 'trellis-retention';
export const RETENTION_WORKFLOW = 'retentionSweep';
/** Every hour at minute 17: small batches often, away from the top of the hour when cron schedules fire. */
export const RETENTION_CRON = '17 * * * *';

/**
 * How long Temporal keeps closed workflow histories: the shortest plan retention, so no run's
 * inputs and outputs outlive its plan inside Temporal; finished runs are read from the database
 * (ADR 029), which keeps each plan's own period.
 */
export function namespaceRetentionDays(): number {
  return Math.min(...PLAN_NAMES.map((plan) => PLANS[plan].retentionDays));
}

export async function ensureRetentionSchedule(client: Client, options: { taskQueue: string; logger: Logger }): Promise<'created' | 'updated'> {
  const action: ScheduleOptionsAction = { type: 'startWorkflow', workflowType: RETENTION_WORKFLOW, workflowId: RETENTION_SCHEDULE_ID, taskQueue: options.taskQueue, args: [] };
  const spec = { cronExpressions: [RETENTION_CRON] };
  try {
    await client.schedule.create({ scheduleId: RETENTION_SCHEDULE_ID, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP } });
    options.logger.info({ scheduleId: RETENTION_SCHEDULE_ID, cron: RETENTION_CRON }, 'retention schedule created');
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    // Already there: make it match this version (task queue, cron) without touching its state.
    await client.schedule.getHandle(RETENTION_SCHEDULE_ID).update((previous) => ({ ...previous, spec, action }));
    return 'updated';
  }
}

/** Sets the namespace's retention of closed histories to `days` when it differs; returns the retention in force. */
export async function ensureNamespaceRetention(client: Client, namespace: string, days: number): Promise<number> {
  const service = client.connection.workflowService;
  const described = await service.describeNamespace({ namespace });
  const current = Number(described.config?.workflowExecutionRetentionTtl?.seconds ?? 0) / 86_400;
  if (current === days) return current;
  await service.updateNamespace({
    namespace,
    // Only the fields set here change (the server leaves a config field it is not sent alone).
    // protobufjs encodes a plain number for an int64 field; the generated type only names Long.
    config: { workflowExecutionRetentionTtl: { seconds: days * 86_400 } as unknown as google.protobuf.IDuration },
  });
  return days;
}
