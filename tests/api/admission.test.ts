// Admission of every run start, over HTTP with a real worker (issue 10, items 3 and 4): workflows
// that start themselves are refused at save or stopped by the depth limit, child runs are bounded
// per root run and counted as runs, schedules are bounded per team and their runs pass the same
// quota checks as API starts, and an Idempotency-Key never starts a run past them.
import { randomUUID } from 'node:crypto';
import { ScheduleOverlapPolicy, WorkflowNotFoundError } from '@temporalio/client';
import { RunRecord } from '../../core/runs/entities.ts';
import { WorkflowDefinition, WorkflowVersion } from '../../core/workflows/entities.ts';
import { PLANS } from '../../core/plans.ts';
import { createUsageService, type UsageService } from '../../core/usage/service.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testEnv } from '../support/env.ts';
import { signUp, type SignedUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { startTestWorker } from '../support/worker.ts';

let smtp: TestSmtp;
let t: TestApp;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let usage: UsageService;

beforeAll(async () => {
  smtp = await startTestSmtp();
  const taskQueue = `admission-${randomUUID()}`;
  t = await createTestApp(testConfig({ SMTP_URL: smtp.url, TEMPORAL_TASK_QUEUE: taskQueue }));
  usage = createUsageService({ orm: t.orm });
  worker = await startTestWorker({ address: testEnv.temporalAddress, orm: t.orm, taskQueue, usage });
});

afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await smtp?.close();
});

const out = (id: string, value: unknown) => ({ id, type: 'output', config: { value } });
const call = (workflowId: string) => ({ id: 'call', type: 'subworkflow', config: { workflowId } });

async function saveWorkflow(user: SignedUp, name: string, graph: unknown): Promise<string> {
  const created = await user.client.post(`/api/v1/teams/${user.personalTeamId}/workflows`, { name, graph });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

interface RunBody {
  status: string;
  trigger: string;
  error: { message: string };
  nodes: Record<string, { status: string; attempts: number; output?: unknown; error: { message: string; type?: string; kind: string } }>;
}

/** Polls GET run until its status is final; returns the run. */
async function finished(user: SignedUp, runId: string): Promise<RunBody> {
  for (let i = 0; i < 300; i++) {
    const run = await user.client.get(`/api/v1/teams/${user.personalTeamId}/runs/${runId}`);
    if (run.status === 200 && ['succeeded', 'failed', 'cancelled'].includes(run.body.status as string)) return run.body as RunBody;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${runId} did not finish`);
}

async function monthlyRuns(user: SignedUp): Promise<number> {
  return (await user.client.get(`/api/v1/teams/${user.personalTeamId}/usage`)).body.usage.runs as number;
}

async function exists(workflowId: string): Promise<boolean> {
  return t.temporal.workflow.getHandle(workflowId).describe().then(
    () => true,
    (error: unknown) => {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    },
  );
}

describe('run admission', () => {
  it('refuses at save a workflow that can start itself, naming the node and the chain', async () => {
    const user = await signUp(t.app, smtp);
    const team = user.personalTeamId;
    const a = await saveWorkflow(user, 'a', { nodes: [out('o', 1)] });
    const self = await user.client.request('put', `/api/v1/teams/${team}/workflows/${a}`).send({ graph: { nodes: [call(a)] } });
    expect(self.status).toBe(422);
    expect(self.headers['content-type']).toContain('application/problem+json');
    expect(self.body.problems).toEqual([{ path: 'graph.nodes.0.config.workflowId', message: `workflow ${a} can start itself: ${a} → ${a}` }]);

    // Through another saved workflow, from inside a map's inline sub-graph.
    const b = await saveWorkflow(user, 'b', { nodes: [call(a)] });
    const viaMap = {
      nodes: [{ id: 'first', type: 'transform', config: { expression: '1' } }, { id: 'each', type: 'map', config: { items: '[1, 2]', graph: { nodes: [call(b)] } } }],
      edges: [{ from: 'first', to: 'each' }],
    };
    const cycle = await user.client.request('put', `/api/v1/teams/${team}/workflows/${a}`).send({ graph: viaMap });
    expect(cycle.status).toBe(422);
    expect(cycle.body.problems).toEqual([{ path: 'graph.nodes.1.config.graph.nodes.0.config.workflowId', message: `workflow ${a} can start itself: ${a} → ${b} → ${a}` }]);
    expect((await user.client.get(`/api/v1/teams/${team}/workflows/${a}`)).body.version).toBe(1);

    // A pinned version that does not lead back is no cycle.
    const pinned = await user.client.request('put', `/api/v1/teams/${team}/workflows/${b}`).send({ graph: { nodes: [{ id: 'call', type: 'subworkflow', config: { workflowId: a, version: 1 } }] } });
    expect(pinned.status).toBe(200);
  });

  it('stops A → B → A saved around the check (a race, an old graph) at run time with run_depth_exceeded', async () => {
    const user = await signUp(t.app, smtp);
    const team = user.personalTeamId;
    const a = await saveWorkflow(user, 'a', { nodes: [out('o', 1)] });
    const b = await saveWorkflow(user, 'b', { nodes: [call(a)] });
    // A's second version calls B, written as a racing save would leave it.
    const em = t.orm.em.fork();
    await em.insert(WorkflowVersion, { workflowId: a, version: 2, graph: { nodes: [call(b)], edges: [] }, createdAt: new Date(), createdBy: null });
    await em.nativeUpdate(WorkflowDefinition, { id: a }, { latestVersion: 2 });

    const started = await user.client.post(`/api/v1/teams/${team}/workflows/${a}/runs`, {});
    expect(started.status).toBe(202);
    const root = started.body.runId as string;
    const run = await finished(user, root);
    expect(run.status).toBe('failed');
    expect(run.error.message).toContain('levels of runs started by runs');

    // Depth 0 (A) → 1 (B) → 2 (A) → 3 (B): the free plan allows 3 levels, so B at depth 3 may not start A.
    const limit = PLANS.free.runDepth!;
    const deepest = `${root}${'.call'.repeat(limit)}`;
    const stopped = await finished(user, deepest);
    expect(stopped.nodes.call!.status).toBe('failed');
    expect(stopped.nodes.call!.error).toMatchObject({ type: 'run_depth_exceeded', kind: 'user' });
    expect(stopped.nodes.call!.error.message).toContain(`depth ${limit + 1}`);
    expect(stopped.nodes.call!.attempts).toBe(1);
    expect(await exists(`${deepest}.call`)).toBe(false);
  });

  it('refuses a map over more items than childRunsPerRun before any child starts', async () => {
    const user = await signUp(t.app, smtp);
    const limit = PLANS.free.childRunsPerRun!;
    const wf = await saveWorkflow(user, 'fan-out', {
      nodes: [{ id: 'each', type: 'map', config: { items: `[1..${limit + 1}]`, concurrency: 50, graph: { nodes: [out('r', '{{ item }}')] } } }],
    });
    const runId = (await user.client.post(`/api/v1/teams/${user.personalTeamId}/workflows/${wf}/runs`, {})).body.runId as string;
    const run = await finished(user, runId);
    expect(run.status).toBe('failed');
    expect(run.nodes.each!.error).toMatchObject({ type: 'quota_child_runs', kind: 'user' });
    expect(run.nodes.each!.error.message).toContain(`${limit} child runs under one run`);
    // No child was started: neither in Temporal nor in the run mirror, nor counted.
    expect(await exists(`${runId}.each.0`)).toBe(false);
    expect(await t.orm.em.fork().count(RunRecord, { id: { $like: `${runId}.%` } })).toBe(0);
    expect(await monthlyRuns(user)).toBe(1);
  });

  it('counts child runs as runs of the month, and refuses a map the month has no room for', async () => {
    const user = await signUp(t.app, smtp);
    const wf = await saveWorkflow(user, 'children', {
      nodes: [{ id: 'each', type: 'map', config: { items: 'input.xs', concurrency: 5, graph: { nodes: [out('r', '{{ item * 2 }}')] } } }],
    });
    const xs = Array.from({ length: 21 }, (_, i) => i); // above the inline limit (20): one child run per item
    const runId = (await user.client.post(`/api/v1/teams/${user.personalTeamId}/workflows/${wf}/runs`, { input: { xs } })).body.runId as string;
    const run = await finished(user, runId);
    expect(run.status).toBe('succeeded');
    expect(run.nodes.each!.output).toEqual(xs.map((x) => x * 2));
    let runs = 0;
    for (let i = 0; i < 100 && runs !== 22; i++) {
      runs = await monthlyRuns(user);
      if (runs !== 22) await new Promise((r) => setTimeout(r, 100));
    }
    expect(runs).toBe(22); // the root and its 21 children
    // Children take no concurrency slot: the team's only run is over, nothing is in flight.
    expect((await user.client.get(`/api/v1/teams/${user.personalTeamId}/usage`)).body.usage.concurrentRuns).toBe(0);

    // 10 runs left this month: the root fits, its 21 children do not.
    await usage.record(user.personalTeamId, { runs: PLANS.free.runsPerMonth! - 10 - runs });
    const second = (await user.client.post(`/api/v1/teams/${user.personalTeamId}/workflows/${wf}/runs`, { input: { xs } })).body.runId as string;
    const refused = await finished(user, second);
    expect(refused.nodes.each!.error).toMatchObject({ type: 'quota_runs_per_month' });
    expect(await exists(`${second}.each.0`)).toBe(false);
  });

  it('bounds schedules per team by the plan: 403 quota_schedules', async () => {
    const user = await signUp(t.app, smtp);
    const team = user.personalTeamId;
    const wf = await saveWorkflow(user, 'cron', { nodes: [out('o', 'tick')] });
    const path = `/api/v1/teams/${team}/workflows/${wf}/schedules`;
    const limit = PLANS.free.schedules!;
    const created = await Promise.all(Array.from({ length: limit }, () => user.client.post(path, { cron: '0 0 1 1 *' })));
    expect(created.map((r) => r.status)).toEqual(Array(limit).fill(201));
    const over = await user.client.post(path, { cron: '0 0 1 1 *' });
    expect(over.status).toBe(403);
    expect(over.body.code).toBe('quota_schedules');
    expect(over.body.detail).toContain(`${limit} schedules per team`);
    expect((await user.client.get(path)).body.items).toHaveLength(limit);
    // Deleting one makes room again.
    expect((await user.client.delete(`${path}/${created[0]!.body.id}`)).status).toBe(204);
    expect((await user.client.post(path, { cron: '0 0 1 1 *' })).status).toBe(201);
    expect((await user.client.delete(`/api/v1/teams/${team}/workflows/${wf}`)).status).toBe(204);
  });

  it('admits a scheduled run like an API start: counted under the quota, stopped before its graph over it', async () => {
    const user = await signUp(t.app, smtp);
    const team = user.personalTeamId;
    const wf = await saveWorkflow(user, 'scheduled', { nodes: [{ id: 'double', type: 'transform', config: { expression: '21 * 2' } }] });
    const schedule = await user.client.post(`/api/v1/teams/${team}/workflows/${wf}/schedules`, { cron: '0 0 1 1 *' });
    expect(schedule.status).toBe(201);
    const handle = t.temporal.schedule.getHandle(schedule.body.id as string);
    const fired = new Set<string>();
    let lastSecond = 0;
    /** Fires the schedule now; the id of the run it queued (its firing's result, ADR 028). */
    const fire = async (): Promise<string> => {
      // A scheduled run's id is the schedule id and the fire time in whole seconds: a second
      // fire within the same second as the last one the server recorded would reuse its id. The
      // server stamps a fire after this process asks for it (one clock), so asking once this
      // clock has left that second is enough.
      while (Math.floor(Date.now() / 1000) <= lastSecond) await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));
      // ALLOW_ALL: the schedule's own overlap policy (skip) would drop this fire while the
      // scheduler has not yet noticed that the previous run ended.
      await handle.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
      for (let i = 0; i < 200; i++) {
        const action = (await handle.describe()).info.recentActions.find((a) => !fired.has(a.action.workflow.workflowId));
        const started = action?.action.workflow.workflowId;
        if (action && started) {
          fired.add(started);
          lastSecond = Math.floor(action.scheduledAt.getTime() / 1000);
          const result = await t.temporal.workflow.getHandle(started).result() as { runId: string };
          return result.runId;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      const info = (await handle.describe()).info;
      throw new Error(`the schedule did not fire: ${JSON.stringify({ taken: info.numActionsTaken, skipped: info.numActionsSkippedOverlap, missed: info.numActionsMissedCatchupWindow, running: info.runningActions, recent: info.recentActions })}`);
    };

    const first = await finished(user, await fire());
    expect(first).toMatchObject({ status: 'succeeded', trigger: 'schedule', nodes: { double: { output: 42 } } });
    expect(await monthlyRuns(user)).toBe(1);

    await usage.record(team, { runs: PLANS.free.runsPerMonth! - 1 });
    const runId = await fire();
    const refused = await finished(user, runId);
    expect(refused.status).toBe('failed');
    expect(refused.error.message).toContain('runs per month');
    // No node ran: it never started.
    expect(Object.values(refused.nodes as Record<string, { status: string }>).every((n) => n.status === 'pending')).toBe(true);
    await expect(t.temporal.workflow.getHandle(runId).describe()).rejects.toThrow();
    expect(await monthlyRuns(user)).toBe(PLANS.free.runsPerMonth);
    expect((await user.client.delete(`/api/v1/teams/${team}/workflows/${wf}`)).status).toBe(204);
  });

  it('answers a replayed Idempotency-Key with its run, and admits a key whose run was refused afresh', async () => {
    const user = await signUp(t.app, smtp);
    const team = user.personalTeamId;
    const wf = await saveWorkflow(user, 'idem', { nodes: [out('o', 1)] });
    const start = (key: string) => user.client.post(`/api/v1/teams/${team}/workflows/${wf}/runs`, {}).set('Idempotency-Key', key);
    const first = await start('k1');
    expect(first.status).toBe(202);
    expect((await finished(user, first.body.runId as string)).status).toBe('succeeded');

    await usage.record(team, { runs: PLANS.free.runsPerMonth! - 1 });
    // The month is used up: a replay still answers its run (no new start) …
    const replay = await start('k1');
    expect(replay.status).toBe(202);
    expect(replay.body.runId).toBe(first.body.runId);
    // … while a new key is refused, and its replay is refused too instead of starting past the check.
    const refused = await start('k2');
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('quota_runs_per_month');
    const again = await start('k2');
    expect(again.status).toBe(429);
    expect(again.body.code).toBe('quota_runs_per_month');
    expect((await user.client.get(`/api/v1/teams/${team}/runs?workflowId=${wf}`)).body.items).toHaveLength(1);
    expect(await monthlyRuns(user)).toBe(PLANS.free.runsPerMonth);
  });
});
