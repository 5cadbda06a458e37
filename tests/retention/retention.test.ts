// Retention, on SQLite and PostgreSQL: the sweep deletes finished runs older than their team's
// plan retention (unknown plans count as free) with their idempotency keys, webhook delivery ids
// and blobs — keeping the blobs of a team with a run still active — plus old login events,
// delivery logs, expired webhook signatures, sessions, email tokens and invitations; nothing
// recent, nothing active. Then the `trellis-retention` schedule, created idempotently, runs the
// sweep through Temporal, and the namespace retention is set to the shortest plan's.
import { randomUUID } from 'node:crypto';
import { EmailToken, LoginEvent, Session, User } from '../../core/auth/entities.ts';
import { BlobRecord } from '../../core/blobs/entities.ts';
import { RunIdempotency, RunRecord } from '../../core/runs/entities.ts';
import { WebhookDelivery, WebhookSignature } from '../../core/webhooks/entities.ts';
import { createOrm, migrate, type Orm } from '../../core/db/orm.ts';
import { MailOutboxRecord } from '../../core/mail/entities.ts';
import { NotificationDeliveryRecord } from '../../core/notifications/entities.ts';
import { PLANS } from '../../core/plans.ts';
import { createRetention } from '../../core/retention/service.ts';
import { ensureNamespaceRetention, ensureRetentionSchedule, namespaceRetentionDays, RETENTION_CRON, RETENTION_SCHEDULE_ID } from '../../core/retention/schedule.ts';
import { Invitation, Team } from '../../core/teams/entities.ts';
import { createTestApp } from '../support/app.ts';
import { testConfig, testDatabases } from '../support/env.ts';
import { createLogger } from '../../core/log.ts';

const DAY = 86_400_000;
const now = new Date();
const ago = (days: number) => new Date(now.getTime() - days * DAY);
const id = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 16)}`;

/** Rows of every kind the sweep looks at; returns the ids that must go and those that must stay. */
async function seed(orm: Orm) {
  const em = orm.em.fork();
  const gone: Record<string, string[]> = {};
  const kept: Record<string, string[]> = {};
  const mark = (into: Record<string, string[]>, kind: string, value: string) => (into[kind] ??= []).push(value);

  const team = async (plan: string) => {
    const teamId = id('team');
    await em.insert(Team, { id: teamId, name: plan, personal: false, plan, createdAt: ago(400) });
    return teamId;
  };
  const run = async (teamId: string, status: string, endedDaysAgo: number | null, startedDaysAgo = (endedDaysAgo ?? 0) + 1) => {
    const runId = id('run');
    await em.insert(RunRecord, {
      id: runId, teamId, workflowId: 'wf', version: 1, trigger: 'api', status, startedAt: ago(startedDaysAgo),
      endedAt: endedDaysAgo === null ? null : ago(endedDaysAgo), priority: 3,
    });
    return runId;
  };
  const blob = async (teamId: string, runId: string, days: number) => {
    const blobId = id('blob');
    await em.insert(BlobRecord, { id: blobId, teamId, runId, bytes: 2, content: '{}', createdAt: ago(days) });
    return blobId;
  };

  // A free team with nothing running: its 8-day-old run goes with everything hanging on it.
  const idle = await team('free');
  const oldRun = await run(idle, 'succeeded', 8);
  mark(gone, 'run', oldRun);
  mark(gone, 'blob', await blob(idle, oldRun, 8));
  await em.insert(RunIdempotency, { teamId: idle, key: 'k-old', runId: oldRun, createdAt: ago(8) });
  await em.insert(WebhookDelivery, { webhookId: 'wh', deliveryId: 'd-old', runId: oldRun, createdAt: ago(8) });
  mark(gone, 'idempotency', oldRun);
  mark(gone, 'delivery', oldRun);
  const recent = await run(idle, 'failed', 6);
  mark(kept, 'run', recent);
  mark(kept, 'blob', await blob(idle, recent, 6));
  await em.insert(RunIdempotency, { teamId: idle, key: 'k-new', runId: recent, createdAt: ago(6) });
  mark(kept, 'idempotency', recent);

  // A free team with a run parked for 30 days: old finished runs go, their blobs stay for now.
  const busy = await team('free');
  const parked = await run(busy, 'waiting', null, 30);
  mark(kept, 'run', parked);
  mark(kept, 'blob', await blob(busy, parked, 29));
  const busyOld = await run(busy, 'cancelled', 10);
  mark(gone, 'run', busyOld);
  mark(kept, 'blob', await blob(busy, busyOld, 10));
  mark(kept, 'run', await run(busy, 'queued', null, 12));

  // Pro keeps 30 days; an unknown plan name counts as free.
  const pro = await team('pro');
  mark(kept, 'run', await run(pro, 'succeeded', 8));
  mark(gone, 'run', await run(pro, 'timed_out', 31));
  const legacy = await team('legacy');
  mark(gone, 'run', await run(legacy, 'failed', 8));
  // An orphan blob (its run was never recorded) of an idle team, older than the plan's retention.
  mark(gone, 'blob', await blob(legacy, id('run'), 9));

  // Instance-wide: login events (90 days), delivery logs (30), expired signatures, sessions, tokens, invitations.
  const userId = id('usr');
  await em.insert(User, { id: userId, email: `${userId}@example.test`, name: 'u', createdAt: ago(400), updatedAt: ago(400) });
  for (const [days, into] of [[91, gone], [89, kept]] as const) {
    const eventId = id('le');
    await em.insert(LoginEvent, { id: eventId, user: userId, method: 'password', success: true, createdAt: ago(days) });
    mark(into, 'login', eventId);
  }
  for (const [status, days, into] of [['sent', 31, gone], ['failed', 31, gone], ['sent', 29, kept], ['queued', 31, kept]] as const) {
    const mailId = id('mail');
    await em.insert(MailOutboxRecord, { id: mailId, kind: 'verification', recipient: 'a@example.test', subject: 's', status, createdAt: ago(days), updatedAt: ago(days) });
    mark(into, 'mail', mailId);
    const deliveryId = id('nd');
    await em.insert(NotificationDeliveryRecord, { id: deliveryId, channelId: 'ch', teamId: idle, event: 'run.failed', dedupeKey: deliveryId, payload: {}, status, createdAt: ago(days), updatedAt: ago(days) });
    mark(into, 'notification', deliveryId);
  }
  await em.insert(WebhookSignature, { webhookId: 'wh', signature: 'sig-old', runId: recent, expiresAt: new Date(now.getTime() - 60_000) });
  await em.insert(WebhookSignature, { webhookId: 'wh', signature: 'sig-new', runId: recent, expiresAt: new Date(now.getTime() + 60_000) });
  mark(gone, 'signature', 'sig-old');
  mark(kept, 'signature', 'sig-new');
  for (const [expires, into] of [[-1, gone], [1, kept]] as const) {
    const sessionId = id('ses');
    await em.insert(Session, { id: sessionId, user: userId, secretHash: 'x'.repeat(64), method: 'password', createdAt: ago(30), expiresAt: new Date(now.getTime() + expires * 3_600_000) });
    mark(into, 'session', sessionId);
  }
  for (const [days, into] of [[2, gone], [0.5, kept]] as const) {
    const tokenId = randomUUID().replaceAll('-', '').padEnd(64, '0');
    await em.insert(EmailToken, { id: tokenId, user: userId, purpose: 'verify', expiresAt: ago(days), createdAt: ago(days + 2) });
    mark(into, 'token', tokenId);
  }
  for (const [field, days, into] of [['expiresAt', 31, gone], ['acceptedAt', 31, gone], ['expiresAt', 3, kept]] as const) {
    const invitationId = id('inv');
    await em.insert(Invitation, {
      id: invitationId, team: idle, email: 'b@example.test', role: 'viewer', tokenHash: randomUUID().replaceAll('-', '').padEnd(64, '1'),
      expiresAt: field === 'expiresAt' ? ago(days) : new Date(now.getTime() + DAY), acceptedAt: field === 'acceptedAt' ? ago(days) : null, createdAt: ago(40),
    });
    mark(into, 'invitation', invitationId);
  }
  return { gone, kept };
}

/** Which of the ids of each kind are still in the database. */
async function present(orm: Orm, ids: Record<string, string[]>) {
  const em = orm.em.fork();
  const found: Record<string, string[]> = {};
  const lookups: Record<string, (values: string[]) => Promise<string[]>> = {
    run: async (v) => (await em.find(RunRecord, { id: { $in: v } })).map((r) => r.id),
    blob: async (v) => (await em.find(BlobRecord, { id: { $in: v } })).map((r) => r.id),
    idempotency: async (v) => (await em.find(RunIdempotency, { runId: { $in: v } })).map((r) => r.runId),
    delivery: async (v) => (await em.find(WebhookDelivery, { runId: { $in: v } })).map((r) => r.runId),
    signature: async (v) => (await em.find(WebhookSignature, { signature: { $in: v } })).map((r) => r.signature),
    login: async (v) => (await em.find(LoginEvent, { id: { $in: v } })).map((r) => r.id),
    mail: async (v) => (await em.find(MailOutboxRecord, { id: { $in: v } })).map((r) => r.id),
    notification: async (v) => (await em.find(NotificationDeliveryRecord, { id: { $in: v } })).map((r) => r.id),
    session: async (v) => (await em.find(Session, { id: { $in: v } })).map((r) => r.id),
    token: async (v) => (await em.find(EmailToken, { id: { $in: v } })).map((r) => r.id),
    invitation: async (v) => (await em.find(Invitation, { id: { $in: v } })).map((r) => r.id),
  };
  for (const [kind, values] of Object.entries(ids)) found[kind] = (await lookups[kind]!(values)).sort();
  return found;
}

const sorted = (ids: Record<string, string[]>) => Object.fromEntries(Object.entries(ids).map(([k, v]) => [k, [...v].sort()]));

describe.each(testDatabases)('retention on %s', (_name, databaseUrl) => {
  let orm: Orm;
  beforeAll(async () => {
    orm = await createOrm(await databaseUrl());
    await migrate(orm);
  });
  afterAll(async () => {
    await orm?.close();
  });

  it('deletes what is past its retention in small batches, and nothing else', async () => {
    const { gone, kept } = await seed(orm);
    const retention = createRetention({ orm });
    let batches = 0;
    let report;
    do {
      report = await retention.sweep({ batchSize: 2, now });
      batches += 1;
    } while (report.more && batches < 50);
    expect(report.more).toBe(false);
    expect(batches).toBeGreaterThan(1); // batches of 2 could not hold it all
    expect(await present(orm, gone)).toEqual(Object.fromEntries(Object.keys(gone).map((k) => [k, []])));
    expect(await present(orm, kept)).toEqual(sorted(kept));
    // A second pass finds nothing more.
    const again = await retention.sweep({ now });
    expect(Object.entries(again).filter(([k, v]) => k !== 'more' && v !== 0)).toEqual([]);
  });
});

describe('the retention schedule', () => {
  it('is created once, updated after, runs the sweep through Temporal, and the namespace keeps histories the shortest plan retention', async () => {
    const t = await createTestApp(testConfig());
    const logger = createLogger({ level: 'silent', service: 'retention-test' });
    const handle = t.temporal.schedule.getHandle(RETENTION_SCHEDULE_ID);
    try {
      await handle.delete().catch(() => undefined); // a schedule left by an earlier, killed run
      const userId = id('usr');
      const em = t.orm.em.fork();
      await em.insert(User, { id: userId, email: `${userId}@example.test`, name: 'u', createdAt: ago(400), updatedAt: ago(400) });
      const eventId = id('le');
      await em.insert(LoginEvent, { id: eventId, user: userId, method: 'password', success: false, createdAt: ago(200) });

      expect(await ensureRetentionSchedule(t.temporal, { taskQueue: t.mail!.taskQueue, logger })).toBe('created');
      expect(await ensureRetentionSchedule(t.temporal, { taskQueue: t.mail!.taskQueue, logger })).toBe('updated');
      const described = await handle.describe();
      expect(JSON.stringify(described.spec)).toContain('"minute":[{"start":17'); // Temporal keeps the cron as calendars: minute 17 (RETENTION_CRON)
      expect(RETENTION_CRON).toBe('17 * * * *');
      expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'retentionSweep', taskQueue: t.mail!.taskQueue });

      await handle.trigger();
      const deadline = Date.now() + 60_000;
      while ((await t.orm.em.fork().count(LoginEvent, { id: eventId })) > 0) {
        if (Date.now() > deadline) throw new Error('the triggered retention sweep did not delete the 200-day-old login event within 60 s');
        await new Promise((r) => setTimeout(r, 200));
      }

      // Temporal's own retention: a fresh namespace (1 day) is raised to the shortest plan retention.
      const namespace = `retention-${randomUUID().slice(0, 8)}`;
      await t.temporal.connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: { seconds: 86_400 } as never });
      expect(namespaceRetentionDays()).toBe(Math.min(PLANS.free.retentionDays, PLANS.pro.retentionDays, PLANS.enterprise.retentionDays));
      expect(await ensureNamespaceRetention(t.temporal, namespace, namespaceRetentionDays())).toBe(namespaceRetentionDays());
      const ns = await t.temporal.connection.workflowService.describeNamespace({ namespace });
      expect(Number(ns.config?.workflowExecutionRetentionTtl?.seconds)).toBe(namespaceRetentionDays() * 86_400);
    } finally {
      await handle.delete().catch(() => undefined);
      await t.close();
    }
  });
});
