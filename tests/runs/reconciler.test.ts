// The run reconciler (core/runs/reconciler.ts, issue 11): a run terminated from outside Trellis
// (Temporal UI or CLI) is closed in the run records and frees its concurrency slot (a queued run
// takes it), and a record
// whose workflow never started is closed once its grace period is over — not before.
import { randomUUID } from 'node:crypto';
import { RunRecord } from '../../core/runs/entities.ts';
import { PLANS } from '../../core/plans.ts';
import { createRunListCache } from '../../core/runs/list-cache.ts';
import { createRunReconciler, type RunReconciler } from '../../core/runs/reconciler.ts';
import { createUsageService } from '../../core/usage/service.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testEnv } from '../support/env.ts';
import { signUp, type SignedUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { startTestWorker } from '../support/worker.ts';

let smtp: TestSmtp;
let t: TestApp;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
const GRACE_MS = 60_000;
let reconciler: RunReconciler;

beforeAll(async () => {
  smtp = await startTestSmtp();
  const taskQueue = `reconciler-${randomUUID()}`;
  t = await createTestApp(testConfig({ SMTP_URL: smtp.url, TEMPORAL_TASK_QUEUE: taskQueue }));
  worker = await startTestWorker({ address: testEnv.temporalAddress, orm: t.orm, taskQueue, usage: createUsageService({ orm: t.orm }) });
  reconciler = createRunReconciler({
    orm: t.orm, temporal: t.temporal, redis: t.redis, listCache: createRunListCache(t.redis), settings: { intervalMs: 60_000, graceMs: GRACE_MS },
  });
});

afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await smtp?.close();
});

async function waitForStatus(user: SignedUp, runId: string, status: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const run = await user.client.get(`/api/v1/teams/${user.personalTeamId}/runs/${runId}`);
    if (run.body.status === status) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${runId} never reached ${status}`);
}

const row = (runId: string) => t.orm.em.fork().findOneOrFail(RunRecord, { id: runId });

/** Passes until the reconciler's cursor has walked every active row (other tests' rows share the table). */
async function reconcileAll(now?: number) {
  const closed: string[] = [];
  for (let pass = 0; pass < 100; pass++) {
    const outcome = await reconciler.reconcileOnce(now);
    closed.push(...outcome.closed.map((c) => c.runId));
    if (outcome.checked < 200) return closed;
  }
  throw new Error('the reconciler never reached the end of the active rows');
}

describe('run reconciler', () => {
  it('closes a run terminated in Temporal and frees its concurrency slot', async () => {
    const user = await signUp(t.app, smtp);
    const team = user.personalTeamId;
    const created = await user.client.post(`/api/v1/teams/${team}/workflows`, {
      name: 'hold', graph: { nodes: [{ id: 'ask', type: 'approval', config: { message: 'hold' } }] },
    });
    expect(created.status).toBe(201);
    const start = () => user.client.post(`/api/v1/teams/${team}/workflows/${created.body.id as string}/runs`, {});

    // The free plan's slots, all taken by runs waiting on an approval.
    expect(PLANS.free.concurrentRuns).toBe(2);
    const held: string[] = [];
    for (let i = 0; i < 2; i++) {
      const started = await start();
      expect(started.status).toBe(202);
      held.push(started.body.runId as string);
    }
    for (const runId of held) await waitForStatus(user, runId, 'waiting');
    // Beyond the plan's slots a start queues (ADR 028).
    const queued = await start();
    expect(queued.status).toBe(202);
    expect(queued.body.status).toBe('queued');
    // The list is cached: reading it now makes a stale page the reconciler must invalidate.
    const before = await user.client.get(`/api/v1/teams/${team}/runs`);
    expect(before.body.items.find((r: { runId: string }) => r.runId === held[0]).status).toBe('running');

    // Terminated from outside Trellis: the workflow never records its end.
    await t.temporal.workflow.getHandle(held[0]!).terminate('by an operator in the Temporal UI');
    expect((await row(held[0]!)).status).toBe('running');

    // A pass closes exactly that run (the other one is still waiting).
    expect(await reconcileAll()).toContain(held[0]);
    const closed = await row(held[0]!);
    expect(closed.status).toBe('cancelled');
    expect(closed.endedAt).toBeInstanceOf(Date);
    expect(closed.error).toContain('ended outside Trellis');
    expect(closed.error).toContain('terminated');
    expect((await row(held[1]!)).status).toBe('running');
    const after = await user.client.get(`/api/v1/teams/${team}/runs`);
    expect(after.body.items.find((r: { runId: string }) => r.runId === held[0]).status).toBe('cancelled');

    // The slot is free again: the queued run takes it.
    await waitForStatus(user, queued.body.runId as string, 'waiting');
    const admitted = queued;
    // A second pass changes nothing more for these runs.
    const again = await reconcileAll();
    expect(again).not.toContain(held[0]);
    expect(again).not.toContain(held[1]);
    for (const runId of [held[1]!, admitted.body.runId as string]) await t.temporal.workflow.getHandle(runId).terminate('test cleanup');
  });

  it('closes a record whose workflow never started, only once its grace period is over', async () => {
    const user = await signUp(t.app, smtp);
    const runId = `run_${randomUUID().replaceAll('-', '')}`;
    const startedAt = new Date();
    // What a request that died between writing the row and starting the workflow leaves behind.
    await t.orm.em.fork().insert(RunRecord, {
      id: runId, teamId: user.personalTeamId, workflowId: 'wf_gone', version: 1, trigger: 'api', status: 'running',
      startedAt, endedAt: null, error: null, input: '{}', triggeredBy: user.user.id, aiTokens: 0, costUsd: 0, nodeExecutions: 0,
    });

    // Within the grace period the start may still be under way: left alone.
    expect(await reconcileAll(startedAt.getTime() + GRACE_MS - 1_000)).not.toContain(runId);
    expect((await row(runId)).status).toBe('running');

    expect(await reconcileAll(startedAt.getTime() + GRACE_MS + 1_000)).toContain(runId);
    const closed = await row(runId);
    expect(closed.status).toBe('failed');
    expect(closed.endedAt).toBeInstanceOf(Date);
    expect(closed.error).toContain('does not exist in Temporal');
  });

  it('lets one replica pass per interval', async () => {
    const other = createRunReconciler({ orm: t.orm, temporal: t.temporal, redis: t.redis, settings: { intervalMs: 60_000, graceMs: GRACE_MS } });
    await t.redis.del('trellis:runs:reconciler');
    const first = await reconciler.tick();
    const second = await other.tick();
    expect(first).toBeDefined();
    expect(second).toBeUndefined();
  });
});
