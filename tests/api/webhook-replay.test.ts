// Signed webhooks against replay and budget exhaustion: a captured signed request, replayed with
// a new, another or no delivery id, never starts a second run; requests that fail verification
// are charged to the caller's address, never to the webhook's budget.
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { Team } from '../../core/teams/entities.ts';
import { sign } from '../../core/webhooks/service.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testEnv } from '../support/env.ts';
import { randomIp, signUp, type SignedUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { startTestWorker } from '../support/worker.ts';

const PER_MINUTE = 5;

let smtp: TestSmtp;
let t: TestApp;
let me: SignedUp;
let worker: Awaited<ReturnType<typeof startTestWorker>>;

beforeAll(async () => {
  smtp = await startTestSmtp();
  const taskQueue = `webhook-replay-${randomUUID()}`;
  t = await createTestApp(
    testConfig({ SMTP_URL: smtp.url, TRELLIS_SECRET_KEY: randomBytes(32).toString('base64'), TEMPORAL_TASK_QUEUE: taskQueue, RATE_LIMIT_WEBHOOK_PER_MINUTE: String(PER_MINUTE) }),
  );
  worker = await startTestWorker({ address: testEnv.temporalAddress, orm: t.orm, taskQueue });
  me = await signUp(t.app, smtp);
  // Room for every run these tests start at once: the plan's concurrency is not what they test.
  await t.orm.em.fork().nativeUpdate(Team, { id: me.personalTeamId }, { plan: 'enterprise' });
});

afterAll(async () => {
  await worker.stop();
  await t.close();
  await smtp.close();
});

async function newHook(): Promise<{ workflowId: string; id: string; secret: string }> {
  const team = me.personalTeamId;
  const wf = await me.client.post(`/api/v1/teams/${team}/workflows`, { name: `echo-${randomBytes(4).toString('hex')}`, graph: { nodes: [{ id: 'o', type: 'output', config: { value: '{{ input }}' } }] } });
  expect(wf.status).toBe(201);
  const hook = await me.client.post(`/api/v1/teams/${team}/workflows/${wf.body.id}/webhooks`);
  expect(hook.status).toBe(201);
  return { workflowId: wf.body.id as string, id: hook.body.id as string, secret: hook.body.secret as string };
}

function post(hookId: string, body: string, headers: Record<string, string | undefined>, ip = randomIp()) {
  const req = request(t.app).post(`/hooks/${hookId}`).set('Content-Type', 'application/json').set('X-Forwarded-For', ip);
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) req.set(name, value);
  return req.send(body);
}

const signature = (secret: string, body: string, ts = Math.floor(Date.now() / 1000)) => `t=${ts},v1=${sign(secret, ts, body)}`;

async function runCount(workflowId: string): Promise<number> {
  const runs = await me.client.get(`/api/v1/teams/${me.personalTeamId}/runs?workflowId=${workflowId}`);
  expect(runs.status).toBe(200);
  return (runs.body.items as unknown[]).length;
}

describe('webhook replay', () => {
  it('answers a replayed signed request with the first run, whatever its delivery id', async () => {
    const hook = await newHook();
    const body = '{"amount":100}';
    const signed = signature(hook.secret, body);
    const first = await post(hook.id, body, { 'X-Trellis-Signature': signed, 'X-Trellis-Delivery': 'a' });
    expect(first.status).toBe(202);
    expect(first.body.duplicate).toBe(false);
    for (const delivery of ['b', 'c', undefined, 'a']) {
      const replay = await post(hook.id, body, { 'X-Trellis-Signature': signed, 'X-Trellis-Delivery': delivery });
      expect(replay.status).toBe(202);
      expect(replay.body).toEqual({ runId: first.body.runId, duplicate: true });
    }
    // Ten at once, without delivery ids, from different addresses: still the one run.
    const parallel = await Promise.all(Array.from({ length: 10 }, () => post(hook.id, body, { 'X-Trellis-Signature': signed })));
    expect(parallel.map((r) => r.status)).toEqual(Array(10).fill(202));
    expect(new Set(parallel.map((r) => r.body.runId as string))).toEqual(new Set([first.body.runId]));
    expect(await runCount(hook.workflowId)).toBe(1);
  });

  it('answers a replay with ?wait=true with the first run and its output', async () => {
    const hook = await newHook();
    const body = '{"wait":1}';
    const signed = signature(hook.secret, body);
    const first = await post(hook.id, body, { 'X-Trellis-Signature': signed });
    expect(first.status).toBe(202);
    const waited = await request(t.app).post(`/hooks/${hook.id}?wait=true`).set('Content-Type', 'application/json').set('X-Forwarded-For', randomIp()).set('X-Trellis-Signature', signed).send(body);
    expect(waited.status).toBe(200);
    expect(waited.body).toEqual({ runId: first.body.runId, output: { wait: 1 } });
    expect(await runCount(hook.workflowId)).toBe(1);
  });

  it('starts one run when the first two copies of a signed request race', async () => {
    const hook = await newHook();
    const body = '{"race":true}';
    const signed = signature(hook.secret, body);
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(hook.id, body, { 'X-Trellis-Signature': signed })));
    expect(answers.map((r) => r.status)).toEqual(Array(8).fill(202));
    expect(new Set(answers.map((r) => r.body.runId as string)).size).toBe(1);
    expect(answers.filter((r) => r.body.duplicate === false)).toHaveLength(1);
    expect(await runCount(hook.workflowId)).toBe(1);
  });

  it("keeps the sender's own semantics: a re-signed retry with its delivery id is the same run, a new signed request is a new run", async () => {
    const hook = await newHook();
    const body = '{"n":1}';
    const now = Math.floor(Date.now() / 1000);
    const first = await post(hook.id, body, { 'X-Trellis-Signature': signature(hook.secret, body, now - 2), 'X-Trellis-Delivery': 'd-1' });
    const retry = await post(hook.id, body, { 'X-Trellis-Signature': signature(hook.secret, body, now - 1), 'X-Trellis-Delivery': 'd-1' });
    expect(retry.body).toEqual({ runId: first.body.runId, duplicate: true });
    // That retry's own signature, replayed under another delivery id, is the same run too.
    const replayOfRetry = await post(hook.id, body, { 'X-Trellis-Signature': signature(hook.secret, body, now - 1), 'X-Trellis-Delivery': 'd-2' });
    expect(replayOfRetry.body).toEqual({ runId: first.body.runId, duplicate: true });
    const fresh = await post(hook.id, body, { 'X-Trellis-Signature': signature(hook.secret, body, now) });
    expect(fresh.status).toBe(202);
    expect(fresh.body.duplicate).toBe(false);
    expect(fresh.body.runId).not.toBe(first.body.runId);
    expect(await runCount(hook.workflowId)).toBe(2);
  });
});

describe('webhook budgets', () => {
  it("charges unsigned and wrongly signed requests to the caller's address, not to the webhook", async () => {
    const hook = await newHook();
    const body = '{"x":1}';
    const attacker = randomIp();
    const codes: string[] = [];
    for (let i = 0; i < PER_MINUTE * 3; i++) {
      const headers = i % 2 === 0 ? {} : { 'X-Trellis-Signature': signature('whsec_wrong', body) };
      const answer = await post(hook.id, body, headers, attacker);
      codes.push(`${answer.status} ${answer.body.code as string}`);
    }
    expect(codes.slice(0, PER_MINUTE).every((c) => c.startsWith('401 '))).toBe(true);
    expect(codes.slice(PER_MINUTE)).toEqual(Array(PER_MINUTE * 2).fill('429 rate_limited_webhook_refused'));
    // Unknown webhooks count against the same address.
    expect((await post('wh_doesnotexist', body, {}, attacker)).status).toBe(429);
    // The real sender, elsewhere, still has its whole budget.
    for (let i = 0; i < PER_MINUTE; i++) {
      const delivered = await post(hook.id, `{"i":${i}}`, { 'X-Trellis-Signature': signature(hook.secret, `{"i":${i}}`) });
      expect(delivered.status).toBe(202);
    }
    expect(await runCount(hook.workflowId)).toBe(PER_MINUTE);
  });

  it('does not charge replays; a new request over the budget is refused and can be sent again later', async () => {
    const hook = await newHook();
    const first = await post(hook.id, '{"k":0}', { 'X-Trellis-Signature': signature(hook.secret, '{"k":0}', Math.floor(Date.now() / 1000) - 5) });
    expect(first.status).toBe(202);
    const replayed = signature(hook.secret, '{"k":0}');
    // A fresh signature of the same body is a new request; replays of *that* one are free.
    const second = await post(hook.id, '{"k":0}', { 'X-Trellis-Signature': replayed });
    expect(second.body.duplicate).toBe(false);
    for (let i = 0; i < PER_MINUTE * 2; i++) {
      expect((await post(hook.id, '{"k":0}', { 'X-Trellis-Signature': replayed })).body).toEqual({ runId: second.body.runId, duplicate: true });
    }
    for (let i = 2; i < PER_MINUTE; i++) {
      expect((await post(hook.id, `{"k":${i}}`, { 'X-Trellis-Signature': signature(hook.secret, `{"k":${i}}`) })).status).toBe(202);
    }
    const over = signature(hook.secret, '{"over":1}');
    const refused = await post(hook.id, '{"over":1}', { 'X-Trellis-Signature': over });
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('rate_limited_webhook');
    // Refused, it was not remembered: sending it again is charged again (not answered as a duplicate of no run).
    const again = await post(hook.id, '{"over":1}', { 'X-Trellis-Signature': over });
    expect(again.status).toBe(429);
    expect(await runCount(hook.workflowId)).toBe(PER_MINUTE);
  });
});
