// The lean run path (docs/decisions/029-lean-run-path.md): a run started through the start path
// records no start of its own, writes its end and whole final state once (a local activity, also
// when retried), and a finished run is read from the database alone — with its worker stopped and
// Temporal never asked.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { createActivities } from '../../activities/index.ts';
import type { ExpressionPool } from '../../activities/expressions/pool.ts';
import { createBlobStore } from '../../core/blobs/store.ts';
import { emptyCredentialStore } from '../../core/credentials/store.ts';
import { RunRecord } from '../../core/runs/entities.ts';
import { createLogger } from '../../core/log.ts';
import { createRedis } from '../../core/redis/client.ts';
import { DISPATCH_CHANNEL } from '../../core/runs/dispatcher.ts';
import { createRunRecords } from '../../core/runs/records.ts';
import { UsageCounter } from '../../core/usage/entities.ts';
import { createUsageService, periodOf } from '../../core/usage/service.ts';
import type { RunState } from '../../workflows/interpreter/state.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testEnv } from '../support/env.ts';
import { recordHistory } from '../support/histories.ts';
import { signUp, type SignedUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { startTestWorker } from '../support/worker.ts';

let smtp: TestSmtp;
let t: TestApp;
let worker: Awaited<ReturnType<typeof startTestWorker>> | undefined;
let user: SignedUp;
let team: string;

beforeAll(async () => {
  smtp = await startTestSmtp();
  const taskQueue = `records-${randomUUID()}`;
  t = await createTestApp(testConfig({ SMTP_URL: smtp.url, TEMPORAL_TASK_QUEUE: taskQueue }));
  worker = await startTestWorker({ address: testEnv.temporalAddress, orm: t.orm, taskQueue, usage: createUsageService({ orm: t.orm }) });
  user = await signUp(t.app, smtp);
  team = user.personalTeamId;
});

afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await smtp?.close();
});

const row = (runId: string) => t.orm.em.fork().findOneOrFail(RunRecord, { id: runId }, { populate: ['state'] });

/** Polls the run's row until it has ended. */
async function ended(runId: string): Promise<RunRecord> {
  for (let i = 0; i < 600; i++) {
    const found = await t.orm.em.fork().findOne(RunRecord, { id: runId }, { populate: ['state'] });
    if (found?.endedAt) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${runId} never ended`);
}

async function startRun(graph: unknown, input: unknown = {}): Promise<string> {
  const created = await user.client.post(`/api/v1/teams/${team}/workflows`, { name: `lean-${randomUUID().slice(0, 8)}`, graph });
  expect(created.status).toBe(201);
  const started = await user.client.post(`/api/v1/teams/${team}/workflows/${created.body.id as string}/runs`, { input });
  expect(started.status).toBe(202);
  return started.body.runId as string;
}

const DOUBLE = {
  nodes: [
    { id: 'a', type: 'transform', config: { expression: 'input.n * 2' } },
    { id: 'o', type: 'output', config: { value: '{{ steps.a.output }}' } },
  ],
  edges: [{ from: 'a', to: 'o' }],
};

let finishedRunId: string;

describe('the lean run path', () => {
  it('records no start of its own and writes its end and final state once, as a local activity', async () => {
    const runId = await startRun(DOUBLE, { n: 21 });
    const done = await ended(runId);
    expect(done.status).toBe('succeeded');
    expect(done.errorNodeId).toBeNull();
    expect(done.errorCode).toBeNull();
    expect(done.nodeExecutions).toBe(2);
    const state = JSON.parse(done.state!) as RunState;
    expect(state).toMatchObject({ status: 'succeeded', output: 42, endedAt: done.endedAt!.toISOString(), usage: { aiTokens: 0, costUsd: 0 } });
    expect(state.nodes.a).toMatchObject({ status: 'succeeded', output: 42, attempts: 1 });
    expect(state.nodes.o).toMatchObject({ status: 'succeeded', output: 42 });

    const handle = t.temporal.workflow.getHandle(runId);
    await handle.result();
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
    expect(scheduled).not.toContain('recordRunStarted');
    expect(scheduled).not.toContain('recordRunFinished');
    const markers = events.map((e) => e.markerRecordedEventAttributes?.markerName).filter(Boolean);
    expect(markers).toContain('core_patch');
    expect(markers).toContain('core_local_activity');
    // The final state went to the local activity, not into the history.
    expect(JSON.stringify(events)).not.toContain('"nodeExecutions"');
    await recordHistory(handle, 'lean-run-path');
    finishedRunId = runId;
  });

  it('stores where and how a failed run failed', async () => {
    const runId = await startRun({
      nodes: [
        { id: 'bad', type: 'transform', config: { expression: '$error("boom")' } },
        { id: 'o', type: 'output', config: { value: 'never' } },
      ],
      edges: [{ from: 'bad', to: 'o' }],
    });
    const done = await ended(runId);
    expect(done.status).toBe('failed');
    expect(done.errorNodeId).toBe('bad');
    const state = JSON.parse(done.state!) as RunState;
    expect(done.errorCode).toBe(state.nodes.bad!.error!.type);
    expect(done.errorCode).toBeTruthy();
    expect(state.error).toMatchObject({ nodeId: 'bad', message: expect.stringContaining('boom') });
    expect(state.nodes.o!.status).toBe('skipped');
    const read = await user.client.get(`/api/v1/teams/${team}/runs/${runId}`);
    expect(read.body).toMatchObject({ status: 'failed', error: { nodeId: 'bad' }, nodes: { bad: { status: 'failed' }, o: { status: 'skipped' } } });
  });

  it('writes the final state once when the activity is retried, counts usage once and kicks the dispatcher', async () => {
    const redis = createRedis(testEnv.redisUrl);
    const subscriber = createRedis(testEnv.redisUrl);
    const kicks: string[] = [];
    if (subscriber.status !== 'ready') await new Promise((resolve) => subscriber.once('ready', resolve));
    await subscriber.subscribe(DISPATCH_CHANNEL);
    subscriber.on('message', (_channel, message) => kicks.push(message));
    const usage = createUsageService({ orm: t.orm });
    const activities = createActivities({
      orm: t.orm, logger: createLogger({ level: 'silent', service: 'records-test' }), redis, blobs: createBlobStore(t.orm, { maxBytes: 1024 * 1024 }),
      blobThresholdBytes: 65_536, httpAllowlist: [], openai: { baseUrl: 'http://127.0.0.1:9/v1' }, credentials: emptyCredentialStore,
      expressions: {} as ExpressionPool, usage,
    });
    try {
      const runId = `run_${randomUUID().replaceAll('-', '')}`;
      await createRunRecords({ orm: t.orm }).reserve({ runId, teamId: team, workflowId: 'wf_x', version: 1, trigger: 'api', startedAt: new Date().toISOString() });
      const executions = async () => (await t.orm.em.fork().findOne(UsageCounter, { team, period: periodOf(new Date()) }))?.nodeExecutions ?? 0;
      const before = await executions();
      const state = (status: RunState['status'], output: unknown): RunState => ({
        status, startedAt: new Date().toISOString(), nodes: { a: { status: 'succeeded', attempts: 1, output } }, output, usage: { aiTokens: 0, costUsd: 0 },
      });
      const end = { runId, teamId: team, status: 'succeeded', endedAt: new Date().toISOString(), usage: { aiTokens: 0, costUsd: 0 }, nodeExecutions: 3, state: state('succeeded', 'first') };
      await activities.recordRunFinished(end);
      // The retry (say, the worker died after the write): a different answer changes nothing.
      await activities.recordRunFinished({ ...end, status: 'failed', error: 'second', endedAt: new Date(Date.now() + 5_000).toISOString(), state: state('failed', 'second') });
      const stored = await row(runId);
      expect(stored.status).toBe('succeeded');
      expect(stored.error).toBeNull();
      expect(stored.endedAt!.toISOString()).toBe(end.endedAt);
      expect(JSON.parse(stored.state!)).toMatchObject({ status: 'succeeded', output: 'first', nodes: { a: { output: 'first' } } });
      expect(await executions()).toBe(before + 3);
      for (let i = 0; i < 100 && !kicks.includes(team); i++) await new Promise((r) => setTimeout(r, 50));
      expect(kicks).toContain(team);
    } finally {
      subscriber.disconnect();
      redis.disconnect();
    }
  });

  it('reruns from a node with the stored outputs upstream of it', async () => {
    const original = await row(finishedRunId);
    const rerun = await user.client.post(`/api/v1/teams/${team}/runs/${finishedRunId}/rerun`, { fromNode: 'o' });
    expect(rerun.status).toBe(202);
    const done = await ended(rerun.body.runId as string);
    expect(done.status).toBe('succeeded');
    const state = JSON.parse(done.state!) as RunState;
    // "a" was not executed again: its state is the first run's, start time included.
    expect(state.nodes.a).toEqual((JSON.parse(original.state!) as RunState).nodes.a);
    expect(state.output).toBe(42);
  });

  it('answers a finished run without its state from Temporal once, then keeps it', async () => {
    const runId = await startRun(DOUBLE, { n: 5 });
    await ended(runId);
    await t.temporal.workflow.getHandle(runId).result();
    // As a run that ended before states were stored (or was closed by the reconciler).
    await t.orm.em.fork().nativeUpdate(RunRecord, { id: runId }, { state: null });
    const read = await user.client.get(`/api/v1/teams/${team}/runs/${runId}`);
    expect(read.body).toMatchObject({ status: 'succeeded', output: 10, nodes: { a: { status: 'succeeded', output: 10 } } });
    const kept = JSON.parse((await row(runId)).state!) as RunState;
    expect(kept).toMatchObject({ status: 'succeeded', output: 10, nodes: { a: { output: 10 } } });
  });

  it('stores the final state of a cancelled run', async () => {
    const runId = await startRun({ nodes: [{ id: 'ask', type: 'approval', config: { message: 'hold' } }] });
    for (let i = 0; i < 600; i++) {
      if ((await user.client.get(`/api/v1/teams/${team}/runs/${runId}`)).body.status === 'waiting') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await user.client.post(`/api/v1/teams/${team}/runs/${runId}/cancel`)).status).toBeLessThan(300);
    const done = await ended(runId);
    expect(done.status).toBe('cancelled');
    expect(JSON.parse(done.state!)).toMatchObject({ status: 'cancelled', nodes: { ask: { status: 'cancelled' } } });
  });

  it('child runs of a map write their own rows once, with their final state', async () => {
    const child = await user.client.post(`/api/v1/teams/${team}/workflows`, { name: `child-${randomUUID().slice(0, 8)}`, graph: DOUBLE });
    const runId = await startRun({
      nodes: [
        { id: 'each', type: 'map', config: { items: 'input.items', workflowId: child.body.id as string } },
        { id: 'o', type: 'output', config: { value: '{{ steps.each.output }}' } },
      ],
      edges: [{ from: 'each', to: 'o' }],
    }, { items: [{ n: 1 }, { n: 2 }] });
    const done = await ended(runId);
    expect(done.status).toBe('succeeded');
    expect(JSON.parse(done.state!)).toMatchObject({ output: [2, 4] });
    const children = await t.orm.em.fork().find(RunRecord, { id: { $like: `${runId}.%` } }, { populate: ['state'], orderBy: { id: 'asc' } });
    expect(children.map((c) => [c.id, c.trigger, c.status])).toEqual([[`${runId}.each.0`, 'map', 'succeeded'], [`${runId}.each.1`, 'map', 'succeeded']]);
    expect(children.map((c) => (JSON.parse(c.state!) as RunState).output)).toEqual([2, 4]);
    // Read like any run, from the database.
    const read = await user.client.get(`/api/v1/teams/${team}/runs/${runId}.each.1`);
    expect(read.body).toMatchObject({ status: 'succeeded', trigger: 'map', output: 4 });
  });

  it('reads a finished run from the database alone: worker stopped, Temporal never asked', async () => {
    await worker!.stop();
    worker = undefined;
    const workflow = t.temporal.workflow as Client['workflow'];
    const getHandle = workflow.getHandle.bind(workflow);
    let asked = 0;
    workflow.getHandle = ((...args: Parameters<typeof getHandle>) => {
      asked++;
      return getHandle(...args);
    }) as typeof workflow.getHandle;
    try {
      const began = Date.now();
      const read = await user.client.get(`/api/v1/teams/${team}/runs/${finishedRunId}`);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ runId: finishedRunId, status: 'succeeded', output: 42, input: { n: 21 }, nodes: { a: { status: 'succeeded', output: 42 }, o: { status: 'succeeded' } } });
      const output = await user.client.get(`/api/v1/teams/${team}/runs/${finishedRunId}/nodes/a/output`);
      expect(output.body).toEqual({ nodeId: 'a', output: 42 });
      expect((await user.client.get(`/api/v1/teams/${team}/runs/${finishedRunId}/output`)).body).toEqual({ output: 42 });
      expect(asked).toBe(0);
      // A query without a worker would wait for its 3 s time-out.
      expect(Date.now() - began).toBeLessThan(3_000);
    } finally {
      workflow.getHandle = getHandle;
    }
  });
});
