// Notifications against the real stack (docs/decisions/032-notifications.md): channels over HTTP,
// deliveries through Temporal on the outgoing-messages worker, a local receiver that checks the
// signature, the real SMTP test server, and the SSRF guard. Loopback is allow-listed here the way
// an operator would (TRELLIS_HTTP_ALLOWLIST), as the http node tests do; private addresses are not.
import { randomBytes, randomUUID } from 'node:crypto';
import { createLogger } from '../../core/log.ts';
import { MailOutboxRecord } from '../../core/mail/entities.ts';
import { NotificationDeliveryRecord } from '../../core/notifications/entities.ts';
import { createNotifier, type Notifier } from '../../core/notifications/notifier.ts';
import { UsageCounter } from '../../core/usage/entities.ts';
import { createUsageService, periodOf } from '../../core/usage/service.ts';
import { verifySignature } from '../../core/webhooks/service.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testEnv } from '../support/env.ts';
import { schemaProblems } from '../support/contract.ts';
import { json, startHttpTarget, type Route } from '../support/http-target.ts';
import { signUp, type SignedUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { startTestWorker } from '../support/worker.ts';

let smtp: TestSmtp;
let t: TestApp;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let receiver: Awaited<ReturnType<typeof startHttpTarget>>;
let notifier: Notifier;
let me: SignedUp;
let team: string;
const PUBLIC_URL = 'http://app.trellis.test';

/** Answers 500 to the first request, then 200. */
const flaky = (): Route => {
  let calls = 0;
  return (_req, res) => {
    calls++;
    res.writeHead(calls === 1 ? 500 : 200, { 'content-type': 'text/plain' }).end(calls === 1 ? 'try again later' : 'ok');
  };
};

async function until<T>(what: string, read: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Delivery { id: string; event: string; status: string; attempts: number; lastError?: string; at: string }

/** The channel's delivery log once its newest entry is no longer queued. */
async function settled(channelId: string, count = 1): Promise<Delivery[]> {
  return until(`deliveries of ${channelId}`, async () => {
    const res = await me.client.get(`/api/v1/teams/${team}/notification-channels/${channelId}/deliveries`);
    expect(res.status).toBe(200);
    const items = res.body.items as Delivery[];
    return items.length >= count && items.every((d) => d.status !== 'queued') ? items : undefined;
  });
}

async function createChannel(body: object): Promise<{ id: string; secret?: string }> {
  const res = await me.client.post(`/api/v1/teams/${team}/notification-channels`, body);
  expect(res.status).toBe(201);
  return res.body as { id: string; secret?: string };
}

async function createWorkflow(name: string, graph: object): Promise<string> {
  const res = await me.client.post(`/api/v1/teams/${team}/workflows`, { name, graph });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function startRun(workflowId: string): Promise<string> {
  const res = await me.client.post(`/api/v1/teams/${team}/workflows/${workflowId}/runs`, { input: {} });
  expect(res.status).toBe(202);
  return res.body.runId as string;
}

async function runStatus(runId: string, wanted: string[]): Promise<string> {
  return until(`run ${runId} to reach ${wanted.join('|')}`, async () => {
    const res = await me.client.get(`/api/v1/teams/${team}/runs/${runId}`);
    return wanted.includes(res.body.status as string) ? (res.body.status as string) : undefined;
  });
}

beforeAll(async () => {
  smtp = await startTestSmtp();
  const ok = json(200, { ok: true });
  receiver = await startHttpTarget({ '/hook': ok, '/failures': ok, '/elsewhere': ok, '/quota': ok, '/flaky': flaky(), '/slack': ok, '/down': json(500, { error: 'down' }) });
  const taskQueue = `notify-${randomUUID()}`;
  t = await createTestApp(testConfig({
    SMTP_URL: smtp.url, TRELLIS_SECRET_KEY: randomBytes(32).toString('base64'), TEMPORAL_TASK_QUEUE: taskQueue, PUBLIC_URL,
    TRELLIS_HTTP_ALLOWLIST: '127.0.0.1',
  }));
  notifier = createNotifier({ orm: t.orm, temporal: t.temporal, taskQueue: t.mail!.taskQueue, publicUrl: PUBLIC_URL, logger: createLogger({ level: 'silent', service: 'test' }) });
  worker = await startTestWorker({ address: testEnv.temporalAddress, orm: t.orm, taskQueue, usage: createUsageService({ orm: t.orm }), notifications: notifier });
  me = await signUp(t.app, smtp);
  team = me.personalTeamId;
});

afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await Promise.all([smtp?.close(), receiver?.close()]);
});

describe('notification channels over HTTP', () => {
  it('creates a webhook channel whose secret is shown once, lists and deletes it', async () => {
    const created = await createChannel({ name: 'ops hook', type: 'webhook', config: { url: `${receiver.url}/hook` }, events: ['run.failed'] });
    expect(created.secret).toMatch(/^whsec_/);
    const listed = await me.client.get(`/api/v1/teams/${team}/notification-channels`);
    expect(listed.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ id: created.id, type: 'webhook', events: ['run.failed'], config: { url: `${receiver.url}/hook` } })]));
    expect(JSON.stringify(listed.body)).not.toContain(created.secret);
    // A Slack URL is its own credential: shown by its origin only.
    const slack = await createChannel({ name: 'slack', type: 'slack', config: { url: `${receiver.url}/slack?key=XXXX` }, events: ['run.failed'] });
    const again = await me.client.get(`/api/v1/teams/${team}/notification-channels`);
    expect(JSON.stringify(again.body)).not.toContain('XXXX');
    expect((again.body.items as { id: string; config: { url: string } }[]).find((c) => c.id === slack.id)?.config.url).toBe(`${receiver.url}/…`);
    for (const id of [created.id, slack.id]) expect((await me.client.delete(`/api/v1/teams/${team}/notification-channels/${id}`)).status).toBe(204);
    expect((await me.client.delete(`/api/v1/teams/${team}/notification-channels/${created.id}`)).status).toBe(404);
  });

  it('refuses bad input with problems naming the field, and too many channels by name', async () => {
    const cases: [object, string][] = [
      [{ name: 'x', type: 'webhook', config: {}, events: ['run.failed'] }, 'config.url'],
      [{ name: 'x', type: 'webhook', config: { url: 'ftp://example.com/' }, events: ['run.failed'] }, 'config.url'],
      [{ name: 'x', type: 'webhook', config: { url: `https://example.com/${'a'.repeat(2_100)}` }, events: ['run.failed'] }, 'config.url'],
      [{ name: 'x', type: 'webhook', config: { url: 'https://user:pw@example.com/' }, events: ['run.failed'] }, 'config.url'],
      [{ name: 'x', type: 'email', config: { to: ['not-an-email'] }, events: ['run.failed'] }, 'config.to.0'],
      [{ name: 'x', type: 'email', config: {}, events: ['run.failed'] }, 'config.to'],
      [{ name: 'x', type: 'sms', config: {}, events: ['run.failed'] }, 'type'],
      [{ name: 'x', type: 'slack', config: { url: 'https://hooks.example.com/x' }, events: ['run.exploded'] }, 'events.0'],
      [{ name: 'x', type: 'slack', config: { url: 'https://hooks.example.com/x' }, events: [] }, 'events'],
      [{ name: 'x', type: 'slack', config: { url: 'https://hooks.example.com/x' }, events: ['run.failed'], workflowIds: ['wf_missing'] }, 'workflowIds.0'],
    ];
    for (const [body, path] of cases) {
      const res = await me.client.post(`/api/v1/teams/${team}/notification-channels`, body);
      expect([res.status, res.headers['content-type']]).toEqual([400, expect.stringContaining('application/problem+json')]);
      expect(res.body.problems.map((p: { path: string }) => p.path)).toContain(path);
    }
    const existing = (await me.client.get(`/api/v1/teams/${team}/notification-channels`)).body.items.length as number;
    const made: string[] = [];
    for (let i = existing; i < 20; i++) made.push((await createChannel({ name: `c${i}`, type: 'webhook', config: { url: 'https://example.com/h' }, events: ['run.succeeded'] })).id);
    const over = await me.client.post(`/api/v1/teams/${team}/notification-channels`, { name: 'one too many', type: 'webhook', config: { url: 'https://example.com/h' }, events: ['run.succeeded'] });
    expect([over.status, over.body.code]).toEqual([403, 'notification_channel_limit']);
    for (const id of made) await me.client.delete(`/api/v1/teams/${team}/notification-channels/${id}`);
  });

  it('answers 404 for another team\'s channel and 403 for a member who is not an admin', async () => {
    const other = await signUp(t.app, smtp);
    const res = await other.client.post(`/api/v1/teams/${other.personalTeamId}/notification-channels`, { name: 'theirs', type: 'webhook', config: { url: 'https://example.com/h' }, events: ['run.failed'] });
    expect(res.status).toBe(201);
    expect((await me.client.get(`/api/v1/teams/${team}/notification-channels/${res.body.id}/deliveries`)).status).toBe(404);
    expect((await me.client.post(`/api/v1/teams/${team}/notification-channels/${res.body.id}/test`)).status).toBe(404);
    expect((await me.client.delete(`/api/v1/teams/${team}/notification-channels/${res.body.id}`)).status).toBe(404);
    // An editor of the team may not see or change where its notifications go.
    await other.client.post(`/api/v1/teams/${other.personalTeamId}/invitations`, { email: me.email, role: 'editor' });
    const token = (await smtp.linkFor(me.email, '/invitations/')).pathname.split('/').pop()!;
    expect((await me.client.post(`/api/v1/invitations/${token}/accept`)).status).toBe(200);
    expect((await me.client.get(`/api/v1/teams/${other.personalTeamId}/notification-channels`)).status).toBe(403);
  });
});

describe('deliveries', () => {
  it('sends a test to a signed webhook: the signature verifies with the channel secret', async () => {
    const channel = await createChannel({ name: 'signed', type: 'webhook', config: { url: `${receiver.url}/hook?channel=signed` }, events: ['run.failed'] });
    const sent = await me.client.post(`/api/v1/teams/${team}/notification-channels/${channel.id}/test`);
    expect(sent.status).toBe(202);
    const hit = await until('the test delivery', () => receiver.hits.find((h) => h.path === '/hook' && h.headers['x-trellis-delivery'] === sent.body.deliveryId));
    expect(hit.headers['x-trellis-event']).toBe('test');
    expect(() => verifySignature(channel.secret!, hit.headers['x-trellis-signature'] as string, Buffer.from(hit.body))).not.toThrow();
    expect(() => verifySignature('whsec_other', hit.headers['x-trellis-signature'] as string, Buffer.from(hit.body))).toThrow();
    expect(JSON.parse(hit.body)).toMatchObject({ id: sent.body.deliveryId, event: 'test', teamId: team });
    // The body is exactly the contract's NotificationWebhookBody (the OpenAPI document's `webhooks.notification`).
    expect(schemaProblems('NotificationWebhookBody', JSON.parse(hit.body))).toEqual([]);
    expect(await settled(channel.id)).toEqual([expect.objectContaining({ id: sent.body.deliveryId, event: 'test', status: 'sent', attempts: 1 })]);
  });

  it('retries after the receiver answers 500, then succeeds; the log keeps the error and the attempts', async () => {
    const channel = await createChannel({ name: 'flaky', type: 'webhook', config: { url: `${receiver.url}/flaky` }, events: ['run.failed'] });
    const sent = await me.client.post(`/api/v1/teams/${team}/notification-channels/${channel.id}/test`);
    expect(sent.status).toBe(202);
    const [delivery] = await settled(channel.id);
    expect(delivery).toMatchObject({ status: 'sent', attempts: 2, lastError: expect.stringContaining('500') });
    expect(receiver.count('/flaky')).toBe(2);
    // Both attempts carried the same delivery id, so a receiver can drop a duplicate.
    expect(new Set(receiver.hits.filter((h) => h.path === '/flaky').map((h) => h.headers['x-trellis-delivery']))).toEqual(new Set([sent.body.deliveryId]));
  });

  it('delivers a notification recorded while Temporal was unreachable on the next sweep', async () => {
    const channel = await createChannel({ name: 'swept', type: 'webhook', config: { url: `${receiver.url}/hook?channel=swept` }, events: ['run.failed'] });
    // Recorded by a process without a Temporal client: nothing started.
    const offline = createNotifier({ orm: t.orm, taskQueue: t.mail!.taskQueue, publicUrl: PUBLIC_URL, logger: createLogger({ level: 'silent', service: 'test' }) });
    const [id] = await offline.emit({ event: 'test', teamId: team, channelId: channel.id, dedupeKey: `swept-${randomUUID()}`, payload: {} });
    expect(id).toEqual(expect.any(String));
    // A fresh row waits out the grace period (its own start may be under way); a later pass starts it, once.
    expect((await notifier.sweepOnce()).started).toBe(0);
    expect((await notifier.sweepOnce(Date.now() + 60_000)).started).toBeGreaterThanOrEqual(1);
    await until('the swept delivery', () => receiver.hits.find((h) => h.headers['x-trellis-delivery'] === id));
    expect((await notifier.sweepOnce(Date.now() + 60_000)).started).toBe(0);
    expect(await settled(channel.id)).toEqual([expect.objectContaining({ id, status: 'sent', attempts: 1 })]);
  });

  it('refuses private and metadata addresses through the SSRF guard, without retrying', async () => {
    for (const url of ['http://10.0.0.7:8080/hook', 'http://169.254.169.254/latest/meta-data']) {
      const channel = await createChannel({ name: `ssrf ${url}`, type: 'webhook', config: { url }, events: ['run.failed'] });
      await me.client.post(`/api/v1/teams/${team}/notification-channels/${channel.id}/test`);
      const [delivery] = await settled(channel.id);
      expect(delivery).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringMatching(/refused to connect .*(private|metadata)/) });
    }
  });

  it('posts a Slack-compatible message with a link', async () => {
    const channel = await createChannel({ name: 'slack', type: 'slack', config: { url: `${receiver.url}/slack?key=T1-B1` }, events: ['run.failed'] });
    await me.client.post(`/api/v1/teams/${team}/notification-channels/${channel.id}/test`);
    expect(await settled(channel.id)).toEqual([expect.objectContaining({ status: 'sent' })]);
    const hit = receiver.hits.find((h) => h.path === '/slack');
    expect(JSON.parse(hit!.body)).toEqual({ text: expect.stringContaining('Test notification from Trellis') });
    expect(hit!.headers['x-trellis-signature']).toBeUndefined();
  });

  it('sends an email channel through the mail outbox to the real SMTP server', async () => {
    const channel = await createChannel({ name: 'mail', type: 'email', config: { to: ['Ops@Example.test'] }, events: ['run.failed'] });
    await me.client.post(`/api/v1/teams/${team}/notification-channels/${channel.id}/test`);
    const mail = await smtp.waitFor('ops@example.test', { subject: /Test notification/ });
    expect(mail.body).toContain('Trellis can reach it');
    expect(await settled(channel.id)).toEqual([expect.objectContaining({ status: 'sent', attempts: 1 })]);
  });
});

describe('events', () => {
  it('a failing run sends run.failed, signed, with a link to the run; a channel of another workflow hears nothing', async () => {
    const failing = await createWorkflow('fails', { nodes: [{ id: 'call', type: 'http', retry: { maxAttempts: 1 }, config: { url: `${receiver.url}/down` } }] });
    const other = await createWorkflow('other', { nodes: [{ id: 'o', type: 'output', config: { value: 1 } }] });
    const channel = await createChannel({ name: 'failures', type: 'webhook', config: { url: `${receiver.url}/failures` }, events: ['run.failed', 'run.succeeded'], workflowIds: [failing] });
    const elsewhere = await createChannel({ name: 'elsewhere', type: 'webhook', config: { url: `${receiver.url}/elsewhere` }, events: ['run.failed'], workflowIds: [other] });
    const runId = await startRun(failing);
    expect(await runStatus(runId, ['failed', 'succeeded'])).toBe('failed');
    const hit = await until('run.failed', () => receiver.hits.find((h) => h.path === '/failures' && h.headers['x-trellis-event'] === 'run.failed'));
    expect(() => verifySignature(channel.secret!, hit.headers['x-trellis-signature'] as string, Buffer.from(hit.body))).not.toThrow();
    expect(JSON.parse(hit.body)).toMatchObject({
      event: 'run.failed', teamId: team, workflowId: failing, workflowName: 'fails', runId, status: 'failed', errorNodeId: 'call',
      url: `${PUBLIC_URL}/t/${team}/runs/${runId}`, error: expect.stringContaining('500'),
    });
    expect(hit.headers['x-trellis-delivery']).toBe(JSON.parse(hit.body).id);
    expect(await settled(channel.id)).toEqual([expect.objectContaining({ event: 'run.failed', status: 'sent' })]);
    expect((await me.client.get(`/api/v1/teams/${team}/notification-channels/${elsewhere.id}/deliveries`)).body.items).toEqual([]);
    expect(receiver.count('/elsewhere')).toBe(0);
    // Emitted again (a retried activity): recorded once.
    expect(await notifier.runFinished(runId)).toEqual([]);
  });

  it('approval.waiting emails the people who may approve, with a link to the run, and no viewer', async () => {
    const viewer = await signUp(t.app, smtp);
    await me.client.post(`/api/v1/teams/${team}/invitations`, { email: viewer.email, role: 'viewer' });
    const token = (await smtp.linkFor(viewer.email, '/invitations/')).pathname.split('/').pop()!;
    expect((await viewer.client.post(`/api/v1/invitations/${token}/accept`)).status).toBe(200);
    await createChannel({ name: 'approvers', type: 'email', config: {}, events: ['approval.waiting'] });
    const workflowId = await createWorkflow('needs approval', {
      nodes: [{ id: 'review', type: 'approval', config: { message: 'Ship it?' } }, { id: 'done', type: 'output', config: { value: '{{ steps.review.output.decision }}' } }],
      edges: [{ from: 'review', port: 'approved', to: 'done' }],
    });
    const runId = await startRun(workflowId);
    const mail = await smtp.waitFor(me.email, { subject: /Approval waiting/ });
    expect(mail.body).toContain('Ship it?');
    expect(mail.links).toContain(`${PUBLIC_URL}/t/${team}/runs/${runId}`);
    // Every recipient of one notification is recorded in one transaction: the viewer has none.
    expect(await t.orm.em.fork().count(MailOutboxRecord, { kind: 'notification', recipient: viewer.email })).toBe(0);
    const approved = await me.client.post(`/api/v1/teams/${team}/runs/${runId}/approvals/review`, { decision: 'approve' });
    expect(approved.status).toBe(200);
    expect(await runStatus(runId, ['succeeded', 'failed'])).toBe('succeeded');
  });

  it('quota.warning is sent once when a monthly quota passes 80 %, quota.exhausted once at 100 %', async () => {
    const channel = await createChannel({ name: 'quota', type: 'webhook', config: { url: `${receiver.url}/quota` }, events: ['quota.warning', 'quota.exhausted'] });
    // The free plan allows 1,000 runs a month: 800 are used before this run ends.
    await createUsageService({ orm: t.orm }).record(team, {});
    await t.orm.em.fork().nativeUpdate(UsageCounter, { team, period: periodOf(new Date()) }, { runs: 800 });
    const workflowId = await createWorkflow('counts', { nodes: [{ id: 'o', type: 'output', config: { value: 1 } }] });
    const runId = await startRun(workflowId);
    await runStatus(runId, ['succeeded']);
    const hit = await until('quota.warning', () => receiver.hits.find((h) => h.path === '/quota' && h.headers['x-trellis-event'] === 'quota.warning'));
    expect(receiver.count('/quota')).toBe(1);
    expect(JSON.parse(hit.body)).toMatchObject({ event: 'quota.warning', teamId: team, quota: { name: 'runs', limit: 1000, percent: expect.any(Number) } });
    // Later run ends see the quota still past 80 %: nothing more is sent this month.
    expect(await notifier.checkQuotas(team)).toEqual([]);
    const second = await startRun(workflowId);
    await runStatus(second, ['succeeded']);
    expect(await notifier.checkQuotas(team)).toEqual([]);
    expect(await t.orm.em.fork().count(NotificationDeliveryRecord, { channelId: channel.id, event: 'quota.warning' })).toBe(1);
    // All of it used: quota.exhausted, once too.
    await t.orm.em.fork().nativeUpdate(UsageCounter, { team, period: periodOf(new Date()) }, { runs: 1000 });
    expect(await notifier.checkQuotas(team)).toHaveLength(1);
    expect(await notifier.checkQuotas(team)).toEqual([]);
    const exhausted = await until('quota.exhausted', () => receiver.hits.find((h) => h.path === '/quota' && h.headers['x-trellis-event'] === 'quota.exhausted'));
    expect(JSON.parse(exhausted.body)).toMatchObject({ quota: { name: 'runs', used: 1000, limit: 1000, percent: 100 } });
  });
});
