// A start that died after queueing its run but before answering (the api SIGKILLed, found by the
// fault campaign, tests/chaos/): a retry with the same Idempotency-Key answers the same run, which
// the dispatcher starts from the queue (ADR 028) — never a second run, never one that never executes.
import { randomUUID } from 'node:crypto';
import { RunIdempotency, RunRecord } from '../../core/runs/entities.ts';
import { newRunId } from '../../core/runs/start-run.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testEnv } from '../support/env.ts';
import { signUp, type SignedUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { startTestWorker } from '../support/worker.ts';

let smtp: TestSmtp;
let t: TestApp;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let user: SignedUp;

beforeAll(async () => {
  smtp = await startTestSmtp();
  const taskQueue = `retry-${randomUUID()}`;
  t = await createTestApp(testConfig({ SMTP_URL: smtp.url, TEMPORAL_TASK_QUEUE: taskQueue }));
  worker = await startTestWorker({ address: testEnv.temporalAddress, orm: t.orm, taskQueue });
  user = await signUp(t.app, smtp);
});

afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await smtp?.close();
});

it('a retry with the same Idempotency-Key answers the run its first request queued before it died, and that run runs once', async () => {
  const graph = { nodes: [{ id: 'done', type: 'output', config: { value: { seen: '{{ input.n }}' } } }], edges: [] };
  const created = await user.client.post(`/api/v1/teams/${user.personalTeamId}/workflows`, { name: 'retry', graph });
  expect(created.status).toBe(201);
  const workflowId = created.body.id as string;
  // What the first request left behind: the key claimed and the run queued (ADR 028), no answer sent.
  const runId = newRunId();
  const key = `retry-${randomUUID()}`;
  const em = t.orm.em.fork();
  await em.insert(RunIdempotency, { teamId: user.personalTeamId, key, runId, createdAt: new Date() });
  await em.insert(RunRecord, {
    id: runId, teamId: user.personalTeamId, workflowId, version: 1, trigger: 'api', status: 'queued',
    startedAt: new Date(), endedAt: null, error: null, input: JSON.stringify({ n: 7 }), triggeredBy: user.user.id,
    aiTokens: 0, costUsd: 0, nodeExecutions: 0, priority: 3, dispatchedAt: null,
  });

  const retried = await user.client.post(`/api/v1/teams/${user.personalTeamId}/workflows/${workflowId}/runs`, { input: { n: 8 } }).set('Idempotency-Key', key);
  expect(retried.status).toBe(202);
  expect(retried.body.runId).toBe(runId);

  let run: { status?: string; output?: unknown } = {};
  for (let i = 0; i < 600 && !['succeeded', 'failed'].includes(run.status ?? ''); i++) {
    run = (await user.client.get(`/api/v1/teams/${user.personalTeamId}/runs/${runId}`)).body as typeof run;
    if (run.status !== 'succeeded') await new Promise((r) => setTimeout(r, 100));
  }
  // The run the first request admitted, with its own input.
  expect(run).toMatchObject({ status: 'succeeded', output: { seen: 7 } });

  // A second retry changes nothing: one execution.
  const again = await user.client.post(`/api/v1/teams/${user.personalTeamId}/workflows/${workflowId}/runs`, { input: {} }).set('Idempotency-Key', key);
  expect(again.body.runId).toBe(runId);
  const listed = await user.client.get(`/api/v1/teams/${user.personalTeamId}/runs?workflowId=${workflowId}`);
  expect((listed.body.items as unknown[]).length).toBe(1);
});
