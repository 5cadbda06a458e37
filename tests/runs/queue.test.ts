// The admission queue (issue 12, docs/decisions/028-admission-queue.md): starts beyond the plan's
// concurrent runs queue instead of being refused, leave the queue by priority within a team, a
// busy team does not hold up another team's first run, two dispatchers racing never overshoot a
// plan or start a run twice (not even one stalled past its lock between counting and claiming), queued runs can be cancelled, and a claim whose start was lost (the
// process killed between the claim and the start) is started by the reconciler, once.
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import request from 'supertest';
import { sign } from '../../core/webhooks/service.ts';
import { RunRecord } from '../../core/runs/entities.ts';
import { createLogger } from '../../core/log.ts';
import { PLANS } from '../../core/plans.ts';
import { createDispatcher, launchRun } from '../../core/runs/dispatcher.ts';
import { createRunQueue, type RunQueue } from '../../core/runs/queue.ts';
import { createRunReconciler } from '../../core/runs/reconciler.ts';
import { engineSettings } from '../../core/runs/start-run.ts';
import { createUsageService } from '../../core/usage/service.ts';
import type { Config } from '../../core/config.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { freshPostgresUrl, testConfig, testEnv } from '../support/env.ts';
import { signUp, type SignedUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { startTestWorker } from '../support/worker.ts';

let smtp: TestSmtp;
let t: TestApp;
let config: Config;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
const HOLD = { nodes: [{ id: 'ask', type: 'approval', config: { message: 'hold' } }] };

beforeAll(async () => {
  smtp = await startTestSmtp();
  const taskQueue = `queue-${randomUUID()}`;
  config = testConfig({ SMTP_URL: smtp.url, TEMPORAL_TASK_QUEUE: taskQueue, TRELLIS_DISPATCH_INTERVAL_MS: '500' });
  t = await createTestApp(config);
  worker = await startTestWorker({ address: testEnv.temporalAddress, orm: t.orm, taskQueue, usage: createUsageService({ orm: t.orm }) });
});

afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await smtp?.close();
});

const row = (runId: string) => t.orm.em.fork().findOneOrFail(RunRecord, { id: runId });

async function poll<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, tries = 400): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} never happened`);
}

const waitForStatus = (runId: string, statuses: string[]) => poll(`run ${runId} ${statuses.join('|')}`, () => row(runId), (r) => statuses.includes(r.status));

async function holdWorkflow(user: SignedUp): Promise<string> {
  const created = await user.client.post(`/api/v1/teams/${user.personalTeamId}/workflows`, { name: 'hold', graph: HOLD });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

async function start(user: SignedUp, workflowId: string, body: Record<string, unknown> = {}) {
  const started = await user.client.post(`/api/v1/teams/${user.personalTeamId}/workflows/${workflowId}/runs`, body);
  expect(started.status).toBe(202);
  return started.body as { runId: string; status: string };
}

/** Fills the team's free-plan slots with runs waiting on an approval. */
async function saturate(user: SignedUp, workflowId: string): Promise<string[]> {
  expect(PLANS.free.concurrentRuns).toBe(2);
  const held = [(await start(user, workflowId)).runId, (await start(user, workflowId)).runId];
  for (const runId of held) await poll(`run ${runId} waiting`, () => user.client.get(`/api/v1/teams/${user.personalTeamId}/runs/${runId}`), (r) => r.body.status === 'waiting');
  return held;
}

async function approve(user: SignedUp, runId: string) {
  const decided = await user.client.post(`/api/v1/teams/${user.personalTeamId}/runs/${runId}/approvals/ask`, { decision: 'approve' });
  expect(decided.status).toBe(200);
  await waitForStatus(runId, ['succeeded']);
}

async function activeRootRuns(teamId: string): Promise<number> {
  return t.orm.em.fork().count(RunRecord, { teamId, status: { $in: ['running', 'waiting'] } });
}

describe('admission queue', () => {
  it('queues starts beyond the plan, shows their place, and lets them out by priority', async () => {
    const user = await signUp(t.app, smtp);
    const team = user.personalTeamId;
    const wf = await holdWorkflow(user);
    const held = await saturate(user, wf);

    // Never refused for concurrency: each start answers 202 queued.
    const low = await start(user, wf, { priority: 5 });
    const mid1 = await start(user, wf);
    const high = await start(user, wf, { priority: 1 });
    const mid2 = await start(user, wf, { priority: 3 });
    for (const s of [low, mid1, high, mid2]) expect(s.status).toBe('queued');
    const bad = await user.client.post(`/api/v1/teams/${team}/workflows/${wf}/runs`, { priority: 9 });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.body.problems[0].path).toBe('priority');

    // Their places: priority first, then age.
    const place = async (runId: string) => (await user.client.get(`/api/v1/teams/${team}/runs/${runId}`)).body;
    expect((await place(high.runId)).queue).toMatchObject({ priority: 1, position: 1 });
    expect((await place(mid1.runId)).queue).toMatchObject({ priority: 3, position: 2 });
    expect((await place(mid2.runId)).queue).toMatchObject({ priority: 3, position: 3 });
    const lowDetail = await place(low.runId);
    expect(lowDetail).toMatchObject({ status: 'queued', priority: 5, queue: { priority: 5, position: 4 } });
    expect(lowDetail.waitedMs).toBeGreaterThanOrEqual(0);

    // The list filters queued runs and carries their places too.
    const listed = await user.client.get(`/api/v1/teams/${team}/runs?status=queued`);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((r: { runId: string }) => r.runId).sort()).toEqual([low, mid1, high, mid2].map((s) => s.runId).sort());
    expect(listed.body.items.find((r: { runId: string }) => r.runId === high.runId).queue.position).toBe(1);

    // The team's queue at a glance.
    const queue = await user.client.get(`/api/v1/teams/${team}/queue`);
    expect(queue.status).toBe(200);
    expect(queue.body).toMatchObject({ queued: 4, running: 2, allowed: 2 });
    expect(queue.body.byPriority).toEqual([{ priority: 1, queued: 1 }, { priority: 3, queued: 2 }, { priority: 5, queued: 1 }]);
    expect(queue.body.next.map((r: { runId: string }) => r.runId)).toEqual([high.runId, mid1.runId, mid2.runId, low.runId]);
    expect(queue.body.oldest.runId).toBe(low.runId);

    // One slot frees: the priority-1 run takes it, the others keep waiting.
    await approve(user, held[0]!);
    await waitForStatus(high.runId, ['running', 'waiting']);
    expect((await row(mid1.runId)).status).toBe('queued');
    expect(await activeRootRuns(team)).toBe(2);
    const dispatched = await row(high.runId);
    expect(dispatched.dispatchedAt).toBeInstanceOf(Date);
    // Then the older of the two priority-3 runs.
    await approve(user, held[1]!);
    await waitForStatus(mid1.runId, ['running', 'waiting']);
    expect((await row(mid2.runId)).status).toBe('queued');
    expect((await row(low.runId)).status).toBe('queued');
    expect(await activeRootRuns(team)).toBe(2);
  });

  it('takes a run\'s priority from X-Trellis-Priority or its webhook\'s own, and a schedule\'s', async () => {
    const user = await signUp(t.app, smtp);
    const team = user.personalTeamId;
    const wf = await holdWorkflow(user);
    const created = await user.client.post(`/api/v1/teams/${team}/workflows/${wf}/webhooks`, { priority: 2 });
    expect(created.status).toBe(201);
    expect(created.body.priority).toBe(2);
    const hook = created.body as { id: string; secret: string };
    const deliver = (body: string, headers: Record<string, string> = {}) => {
      const ts = Math.floor(Date.now() / 1000);
      const req = request(t.app).post(`/hooks/${hook.id}`).set('Content-Type', 'application/json').set('X-Trellis-Signature', `t=${ts},v1=${sign(hook.secret, ts, body)}`);
      for (const [name, value] of Object.entries(headers)) req.set(name, value);
      return req.send(body);
    };
    const byDefault = await deliver('{"n":1}');
    expect(byDefault.status).toBe(202);
    expect((await row(byDefault.body.runId as string)).priority).toBe(2);
    const urgent = await deliver('{"n":2}', { 'X-Trellis-Priority': '1' });
    expect(urgent.status).toBe(202);
    expect((await row(urgent.body.runId as string)).priority).toBe(1);
    const bad = await deliver('{"n":3}', { 'X-Trellis-Priority': 'first' });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.body).toMatchObject({ code: 'invalid_priority', problems: [{ path: 'X-Trellis-Priority' }] });
    // The webhook's own priority can change; later deliveries take it.
    const patched = await user.client.patch(`/api/v1/teams/${team}/workflows/${wf}/webhooks/${hook.id}`, { priority: 5 });
    expect(patched.body.priority).toBe(5);
    const later = await deliver('{"n":4}');
    expect((await row(later.body.runId as string)).priority).toBe(5);
    expect((await user.client.patch(`/api/v1/teams/${team}/workflows/${wf}/webhooks/${hook.id}`, { priority: 0 })).status).toBe(400);

    // A schedule: its priority and pinned version, changeable; it references the workflow, no graph.
    const schedule = await user.client.post(`/api/v1/teams/${team}/workflows/${wf}/schedules`, { cron: '0 0 1 1 *', priority: 4, version: 1 });
    expect(schedule.status).toBe(201);
    expect(schedule.body).toMatchObject({ priority: 4, version: 1 });
    const described = await t.temporal.schedule.getHandle(schedule.body.id as string).describe();
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'startScheduledRun' });
    expect(JSON.stringify(described.action)).not.toContain('approval');
    const changed = await user.client.patch(`/api/v1/teams/${team}/workflows/${wf}/schedules/${schedule.body.id as string}`, { priority: 1, version: null });
    expect(changed.body).toMatchObject({ priority: 1, version: null });
    expect((await user.client.patch(`/api/v1/teams/${team}/workflows/${wf}/schedules/${schedule.body.id as string}`, { version: 99 })).status).toBe(400);
    await user.client.delete(`/api/v1/teams/${team}/workflows/${wf}/schedules/${schedule.body.id as string}`);
  });

  it('cancels a queued run: it never starts', async () => {
    const user = await signUp(t.app, smtp);
    const team = user.personalTeamId;
    const wf = await holdWorkflow(user);
    const held = await saturate(user, wf);
    const queued = await start(user, wf);
    const next = await start(user, wf);
    const cancelled = await user.client.post(`/api/v1/teams/${team}/runs/${queued.runId}/cancel`, {});
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.status).toBe('cancelled');
    expect((await row(queued.runId)).status).toBe('cancelled');
    // The slot that frees goes to the next queued run, not the cancelled one.
    await approve(user, held[0]!);
    await waitForStatus(next.runId, ['running', 'waiting']);
    expect((await row(queued.runId)).status).toBe('cancelled');
    await expect(t.temporal.workflow.getHandle(queued.runId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('does not let a team with many queued runs delay another team’s first run', async () => {
    const busy = await signUp(t.app, smtp);
    const wf = await holdWorkflow(busy);
    await saturate(busy, wf);
    const backlog = await Promise.all(Array.from({ length: 30 }, () => start(busy, wf)));
    expect(backlog.every((s) => s.status === 'queued')).toBe(true);

    const other = await signUp(t.app, smtp);
    const otherWf = await holdWorkflow(other);
    const first = await start(other, otherWf);
    const started = await waitForStatus(first.runId, ['running', 'waiting']);
    // It waited for nothing but the dispatcher itself, while the busy team's queue is untouched.
    const waited = started.dispatchedAt!.getTime() - started.startedAt.getTime();
    expect(waited).toBeLessThan(2_000);
    expect(await t.orm.em.fork().count(RunRecord, { teamId: busy.personalTeamId, status: 'queued' })).toBe(30);
    expect(await activeRootRuns(busy.personalTeamId)).toBe(2);
  });

  it('never overshoots the plan with dispatchers racing, and starts each run once', () => racingDispatchers());

  it('never overshoots the plan when a dispatcher stalls past its lock between counting and claiming', () => stalledDispatcher());

  it('starts a claimed run whose start was lost, once', async () => {
    const user = await signUp(t.app, smtp);
    const team = user.personalTeamId;
    const wf = await holdWorkflow(user);
    const version = (await user.client.get(`/api/v1/teams/${team}/workflows/${wf}`)).body.version as number;
    const queue = createRunQueue({ orm: t.orm });
    const runId = `run_${randomUUID().replaceAll('-', '')}`;
    // Claimed straight after being queued, before any dispatcher hears of it: what a dispatcher
    // killed between its claim and its start leaves behind.
    await queue.enqueue({ id: runId, teamId: team, workflowId: wf, version, trigger: 'api', triggeredBy: user.user.id, input: { n: 1 }, priority: 2 });
    const claimed = (await queue.claim(team, 5, null)).runs;
    expect(claimed.map((c) => c.id)).toEqual([runId]);
    await expect(t.temporal.workflow.getHandle(runId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    const dispatchedAt = (await row(runId)).dispatchedAt!;

    const reconciler = createRunReconciler({ orm: t.orm, temporal: t.temporal, redis: t.redis, settings: { intervalMs: 60_000, graceMs: 30_000 }, engine: engineSettings(config) });
    const pass = async (now: number) => {
      const relaunched: string[] = [];
      const closed: string[] = [];
      for (let i = 0; i < 100; i++) {
        const outcome = await reconciler.reconcileOnce(now);
        relaunched.push(...outcome.relaunched);
        closed.push(...outcome.closed.map((c) => c.runId));
        if (outcome.checked < 200) return { relaunched, closed };
      }
      throw new Error('the reconciler never reached the end');
    };
    // Within the grace period the start may still be under way: left alone.
    expect((await pass(dispatchedAt.getTime() + 10_000)).relaunched).not.toContain(runId);
    // Past it: started again, never failed.
    const after = await pass(dispatchedAt.getTime() + 31_000);
    expect(after.relaunched).toContain(runId);
    expect(after.closed).not.toContain(runId);
    await poll(`run ${runId} waiting`, () => user.client.get(`/api/v1/teams/${team}/runs/${runId}`), (r) => r.body.status === 'waiting');
    const first = await t.temporal.workflow.getHandle(runId).describe();
    // Another pass, or a late start by the dispatcher that claimed it: still that one execution.
    expect((await pass(dispatchedAt.getTime() + 31_000)).relaunched).not.toContain(runId);
    await launchRun({ orm: t.orm, temporal: t.temporal, engine: engineSettings(config) }, claimed[0]!);
    expect((await t.temporal.workflow.getHandle(runId).describe()).runId).toBe(first.runId);
    expect((await user.client.get(`/api/v1/teams/${team}/runs/${runId}`)).body.input).toEqual({ n: 1 });
    await approve(user, runId);
  });
});

/** Three dispatchers (the app's and two more) race over one team's queued runs, round after round. */
async function racingDispatchers() {

  const user = await signUp(t.app, smtp);
  const team = user.personalTeamId;
  const wf = await holdWorkflow(user);
  const version = (await user.client.get(`/api/v1/teams/${team}/workflows/${wf}`)).body.version as number;
  // Queued rows with nobody kicked: then three dispatchers (the app's and two more) race.
  const queue = createRunQueue({ orm: t.orm });
  const ids = Array.from({ length: 12 }, () => `run_${randomUUID().replaceAll('-', '')}`);
  for (const id of ids) await queue.enqueue({ id, teamId: team, workflowId: wf, version, trigger: 'api', triggeredBy: user.user.id, input: {}, priority: 3 });
  const logger = createLogger({ level: 'silent', service: 'dispatcher-test' });
  const make = () => createDispatcher({ orm: t.orm, redis: t.redis, temporal: t.temporal, engine: engineSettings(config), queue, logger, settings: { intervalMs: 60_000, batchSize: 100 } });
  const [a, b] = [make(), make()];
  const started: string[] = [];
  for (let round = 0; round < 4; round++) {
    await Promise.all([a.dispatchTeam(team), b.dispatchTeam(team), a.kick(team), b.kick(team), b.scan()]);
    // Both slots were free when the round began (the previous round's runs had ended), so the
    // race fills them. The app's own dispatcher, kicked when those runs ended, may still hold the
    // team's lock (the others then leave it the work): wait for the slots to fill, never past 2.
    const running = await poll('both slots filled', () => t.orm.em.fork().find(RunRecord, { teamId: team, status: { $in: ['running', 'waiting'] } }), (rows) => {
      expect(rows.length).toBeLessThanOrEqual(2);
      return rows.length === 2;
    });
    for (const r of running) {
      // Each dispatched run has exactly one execution, started once.
      const described = await poll(`workflow ${r.id}`, () => t.temporal.workflow.getHandle(r.id).describe().catch(() => undefined), (d) => d !== undefined);
      expect(described!.runId).toBeDefined();
    }
    const runningIds = running.map((r) => r.id);
    started.push(...runningIds.filter((id) => !started.includes(id)));
    // Free both slots for the next round.
    for (const id of runningIds) {
      await poll(`run ${id} waiting`, () => user.client.get(`/api/v1/teams/${team}/runs/${id}`), (r) => r.body.status === 'waiting');
      await approve(user, id);
    }
    // The next round starts once these runs have ended and given their slots back.
    for (const id of runningIds) {
      await poll(`run ${id} ended`, () => t.orm.em.fork().findOne(RunRecord, { id }), (row) => row?.status === 'succeeded');
    }
  }
  expect(started).toHaveLength(8);
  expect(new Set(started).size).toBe(8);
  // The last slots freed go on to the next runs (the app's own dispatcher); the runs still
  // queued have no execution at all.
  expect(await activeRootRuns(team)).toBeLessThanOrEqual(2);
  const left = await t.orm.em.fork().find(RunRecord, { teamId: team, status: 'queued' });
  expect(left.length + (await activeRootRuns(team))).toBe(4);
  for (const r of left) await expect(t.temporal.workflow.getHandle(r.id).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
}

/** A dispatcher counts the free slots, stalls past its Redis lock while others fill them, then claims. */
async function stalledDispatcher() {
  const user = await signUp(t.app, smtp);
  const team = user.personalTeamId;
  const wf = await holdWorkflow(user);
  const version = (await user.client.get(`/api/v1/teams/${team}/workflows/${wf}`)).body.version as number;
  const queue = createRunQueue({ orm: t.orm });
  for (let i = 0; i < 6; i++) {
    await queue.enqueue({ id: `run_${randomUUID().replaceAll('-', '')}`, teamId: team, workflowId: wf, version, trigger: 'api', triggeredBy: user.user.id, input: {}, priority: 3 });
  }
  // Dispatcher A has counted two free slots and stalls on its way into the claim (a loaded
  // machine, a long GC) until its lock has expired and the slots were filled by B (or the app's
  // own dispatcher, whose scan may come first).
  let resume!: () => void;
  const stalled = new Promise<void>((resolve) => (resume = resolve));
  let estimate: number | undefined;
  const slowQueue: RunQueue = { ...queue, claim: async (teamId, limit, allowed, at) => { estimate = limit; await stalled; return queue.claim(teamId, limit, allowed, at); } };
  const logger = createLogger({ level: 'silent', service: 'dispatcher-test' });
  const make = (q: RunQueue) => createDispatcher({ orm: t.orm, redis: t.redis, temporal: t.temporal, engine: engineSettings(config), queue: q, logger, settings: { intervalMs: 60_000, batchSize: 100, lockMs: 200 } });
  const a = make(slowQueue).dispatchTeam(team);
  await poll('A in its claim', async () => estimate, (v) => v !== undefined);
  expect(estimate).toBe(2);
  await poll("A's lock expired", () => t.redis.exists(`trellis:dispatch:lock:${team}`), (n) => n === 0);
  await make(queue).dispatchTeam(team);
  expect(await activeRootRuns(team)).toBe(2);
  // A claims its two after all: they go straight back to the queue, never started.
  resume();
  expect(await a).toBe(0);
  const active = await t.orm.em.fork().find(RunRecord, { teamId: team, status: { $in: ['running', 'waiting'] } });
  expect(active).toHaveLength(2);
  const queued = await t.orm.em.fork().find(RunRecord, { teamId: team, status: 'queued' });
  expect(queued).toHaveLength(4);
  for (const r of queued) {
    expect(r.dispatchedAt).toBeNull();
    await expect(t.temporal.workflow.getHandle(r.id).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  }
  for (const r of active) {
    await poll(`run ${r.id} waiting`, () => user.client.get(`/api/v1/teams/${team}/runs/${r.id}`), (res) => res.body.status === 'waiting');
    await approve(user, r.id);
  }
}

// Two api replicas and two workers share one PostgreSQL database: the same race on it.
describe('admission queue on PostgreSQL', () => {
  let saved: { t: TestApp; config: Config; worker: typeof worker };
  beforeAll(async () => {
    saved = { t, config, worker };
    const taskQueue = `queue-pg-${randomUUID()}`;
    config = testConfig({ SMTP_URL: smtp.url, TEMPORAL_TASK_QUEUE: taskQueue, DATABASE_URL: await freshPostgresUrl() });
    t = await createTestApp(config);
    worker = await startTestWorker({ address: testEnv.temporalAddress, orm: t.orm, taskQueue, usage: createUsageService({ orm: t.orm }) });
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
    ({ t, config, worker } = saved);
  });

  it('never overshoots the plan with dispatchers racing, and starts each run once', () => racingDispatchers());

  it('never overshoots the plan when a dispatcher stalls past its lock between counting and claiming', () => stalledDispatcher());
});
