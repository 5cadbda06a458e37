// Where notifications start (docs/decisions/032-notifications.md). An event is recorded as one
// delivery row per subscribed channel — unique per (channel, dedupe key), so an event emitted twice
// is sent once — then each delivery's workflow (workflows/notify.ts) is started on the outgoing-
// messages task queue without waiting, as mail is (core/mail/outbox.ts). A start that fails leaves
// the row undispatched and the sweeper starts it later: a recorded notification is never lost.
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { newId } from '../auth/random.ts';
import { RunRecord } from '../runs/entities.ts';
import { WorkflowDefinition } from '../workflows/entities.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../log.ts';
import { planLimits } from '../plans.ts';
import { Team } from '../teams/entities.ts';
import { UsageCounter } from '../usage/entities.ts';
import { periodOf } from '../usage/service.ts';
import { outboxSweeper } from '../periodic.ts';
import { NotificationChannelRecord, NotificationDeliveryRecord } from './entities.ts';
import { runUrl, usageUrl, type NotificationEvent, type NotificationPayload } from './events.ts';

/** The delivery workflow (workflows/notify.ts), by name: core/ never imports workflow code. */
export const NOTIFY_WORKFLOW = 'notificationDelivery';
export const notifyWorkflowId = (deliveryId: string) => `notify-${deliveryId}`;

/** Share of a monthly quota that sends quota.warning; all of it sends quota.exhausted. */
export const QUOTA_WARNING_RATIO = 0.8;

export interface NotifierDeps {
  orm: Orm;
  /** Absent: nothing is started when recorded; the sweeper starts every delivery. */
  temporal?: Client | undefined;
  /** The outgoing-messages task queue (config.mail.taskQueue), where worker/mail.ts delivers. */
  taskQueue: string;
  /** PUBLIC_URL: links to runs in the messages. */
  publicUrl: string;
  logger: Logger;
}

export interface EmitInput {
  event: NotificationEvent | 'test';
  teamId: string;
  workflowId?: string;
  /** Unique per channel: the same key twice records (and sends) once. */
  dedupeKey: string;
  payload: Omit<NotificationPayload, 'event' | 'teamId' | 'occurredAt'> & { occurredAt?: string };
  /** Only this channel (the "send test" action); otherwise every channel subscribed to the event. */
  channelId?: string;
}

export type Notifier = ReturnType<typeof createNotifier>;

export function createNotifier(deps: NotifierDeps) {
  const { orm, logger } = deps;

  /** Starts one delivery's workflow (idempotent by workflow id) and marks the row dispatched. */
  async function start(id: string): Promise<void> {
    if (!deps.temporal) throw new Error('no Temporal client to start notification deliveries with');
    try {
      await deps.temporal.workflow.start(NOTIFY_WORKFLOW, {
        taskQueue: deps.taskQueue,
        workflowId: notifyWorkflowId(id),
        // Only the id travels: the payload stays in the database, the secret in the vault.
        args: [{ deliveryId: id }],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    await orm.em.fork().nativeUpdate(NotificationDeliveryRecord, { id, dispatchedAt: null }, { dispatchedAt: new Date() });
  }

  function dispatch(ids: string[]): void {
    if (!deps.temporal) return;
    for (const id of ids) {
      start(id).catch((error: unknown) => logger.warn({ deliveryId: id, err: (error as Error).message }, 'notification delivery not started yet: the sweeper will start it'));
    }
  }

  /** Channels of the team subscribed to `event` (and to the workflow, when the channel names some). */
  async function subscribers(input: Pick<EmitInput, 'event' | 'teamId' | 'workflowId' | 'channelId'>): Promise<NotificationChannelRecord[]> {
    const rows = await orm.em.fork().find(NotificationChannelRecord, input.channelId ? { id: input.channelId, teamId: input.teamId } : { teamId: input.teamId });
    if (input.channelId) return rows;
    return rows.filter((c) => c.events.includes(input.event) && (!c.workflowIds?.length || (input.workflowId !== undefined && c.workflowIds.includes(input.workflowId))));
  }

  /**
   * Records the event for each subscribed channel and starts the deliveries. Returns the ids of
   * the deliveries recorded now (a dedupe key seen before records nothing).
   */
  async function emit(input: EmitInput): Promise<string[]> {
    const channels = await subscribers(input);
    if (channels.length === 0) return [];
    const now = new Date();
    const payload: NotificationPayload = { ...input.payload, event: input.event, teamId: input.teamId, occurredAt: input.payload.occurredAt ?? now.toISOString() };
    if (input.workflowId !== undefined) payload.workflowId = input.workflowId;
    const em = orm.em.fork();
    const seen = new Set(
      (await em.find(NotificationDeliveryRecord, { channelId: { $in: channels.map((c) => c.id) }, dedupeKey: input.dedupeKey }, { fields: ['channelId'] })).map((d) => d.channelId),
    );
    const ids: string[] = [];
    for (const channel of channels) {
      if (seen.has(channel.id)) continue;
      const id = newId('ntf');
      try {
        await orm.em.fork().insert(NotificationDeliveryRecord, {
          id, channelId: channel.id, teamId: input.teamId, event: input.event, dedupeKey: input.dedupeKey, payload: payload as unknown as Record<string, unknown>,
          status: 'queued', attempts: 0, lastError: null, createdAt: now, dispatchedAt: null, sentAt: null, updatedAt: now,
        });
        ids.push(id);
      } catch (error) {
        // A twin emitted the same event at the same moment: it is recorded once.
        if (!(error instanceof UniqueConstraintViolationException)) throw error;
      }
    }
    dispatch(ids);
    return ids;
  }

  /** run.failed / run.succeeded for a finished run (read from its row); other statuses send nothing. */
  async function runFinished(runId: string): Promise<string[]> {
    const em = orm.em.fork();
    const run = await em.findOne(RunRecord, { id: runId });
    if (!run) return [];
    const event: NotificationEvent | undefined = run.status === 'succeeded' ? 'run.succeeded' : run.status === 'failed' || run.status === 'timed_out' ? 'run.failed' : undefined;
    if (!event) return [];
    if ((await subscribers({ event, teamId: run.teamId, workflowId: run.workflowId })).length === 0) return [];
    const workflow = await em.findOne(WorkflowDefinition, { id: run.workflowId }, { fields: ['name'] });
    return emit({
      event, teamId: run.teamId, workflowId: run.workflowId, dedupeKey: `run:${run.id}`,
      payload: {
        runId: run.id, workflowName: workflow?.name, status: run.status, error: run.error ?? undefined, errorNodeId: run.errorNodeId ?? undefined,
        url: runUrl(deps.publicUrl, run.teamId, run.id), occurredAt: (run.endedAt ?? new Date()).toISOString(),
      },
    });
  }

  /** approval.waiting: sent once per waiting node of a run (email channels go to the people who may approve). */
  async function approvalWaiting(input: { teamId: string; workflowId: string; runId: string; nodeId: string; message?: string }): Promise<string[]> {
    if ((await subscribers({ event: 'approval.waiting', teamId: input.teamId, workflowId: input.workflowId })).length === 0) return [];
    const workflow = await orm.em.fork().findOne(WorkflowDefinition, { id: input.workflowId }, { fields: ['name'] });
    return emit({
      event: 'approval.waiting', teamId: input.teamId, workflowId: input.workflowId, dedupeKey: `approval:${input.runId}:${input.nodeId}`,
      payload: {
        runId: input.runId, workflowName: workflow?.name, nodeId: input.nodeId, status: 'waiting', message: input.message?.slice(0, 2_000),
        url: runUrl(deps.publicUrl, input.teamId, input.runId),
      },
    });
  }

  /**
   * quota.warning at 80 % and quota.exhausted at 100 % of each monthly quota (runs, AI tokens, AI
   * budget): once per quota, threshold and month, whoever sees the crossing first.
   */
  async function checkQuotas(teamId: string, at = new Date()): Promise<string[]> {
    const channels = await orm.em.fork().find(NotificationChannelRecord, { teamId }, { fields: ['events'] });
    if (!channels.some((c) => c.events.includes('quota.warning') || c.events.includes('quota.exhausted'))) return [];
    const em = orm.em.fork();
    const team = await em.findOne(Team, { id: teamId }, { fields: ['plan'] });
    if (!team) return [];
    const period = periodOf(at);
    const counter = await em.findOne(UsageCounter, { team: teamId, period });
    if (!counter) return [];
    const limits = planLimits(team.plan);
    const quotas = [
      { name: 'runs' as const, used: counter.runs, limit: limits.runsPerMonth },
      { name: 'aiTokens' as const, used: Number(counter.aiTokens), limit: limits.aiTokensPerMonth },
      { name: 'aiBudgetUsd' as const, used: Number(counter.costMicroUsd) / 1e6, limit: limits.aiBudgetUsdPerMonth },
    ];
    const ids: string[] = [];
    for (const q of quotas) {
      if (q.limit === null || q.limit <= 0) continue;
      const ratio = q.used / q.limit;
      const event: NotificationEvent | undefined = ratio >= 1 ? 'quota.exhausted' : ratio >= QUOTA_WARNING_RATIO ? 'quota.warning' : undefined;
      if (!event) continue;
      ids.push(...(await emit({
        event, teamId, dedupeKey: `quota:${q.name}:${period}:${event}`,
        payload: { quota: { name: q.name, used: Math.round(q.used * 1e6) / 1e6, limit: q.limit, percent: Math.floor(ratio * 100), period }, url: usageUrl(deps.publicUrl, teamId) },
      })));
    }
    return ids;
  }

  /**
   * After a run's final state is written: its run event, then the team's quota thresholds. Never
   * throws: a notification must not fail or delay the end of a run (each part is idempotent, so a
   * retried caller may call it again).
   */
  async function runEnded(runId: string, teamId?: string): Promise<void> {
    try {
      // Most teams have no channel: one indexed count and nothing else.
      if (teamId && (await orm.em.fork().count(NotificationChannelRecord, { teamId })) === 0) return;
      await runFinished(runId);
      const team = teamId ?? (await orm.em.fork().findOne(RunRecord, { id: runId }, { fields: ['teamId'] }))?.teamId;
      if (team) await checkQuotas(team);
    } catch (error) {
      logger.warn({ runId, err: (error as Error).message }, 'run notifications not recorded');
    }
  }

  const { sweepOnce, startSweeper } = outboxSweeper({
    name: 'notification',
    logger,
    unstarted: async (before, limit) =>
      (await orm.em.fork().find(NotificationDeliveryRecord, { status: 'queued', dispatchedAt: null, createdAt: { $lt: before } }, { fields: ['id'], orderBy: { createdAt: 'asc' }, limit })).map((row) => row.id),
    start,
  });

  return { emit, runFinished, runEnded, approvalWaiting, checkQuotas, start, sweepOnce, startSweeper };
}
