// Workflows, runs and triggers end to end, through HTTP only: register, store a credential,
// save a workflow (http + condition + ai + approval + output), trigger it with a signed webhook,
// watch the SSE stream, approve, read the output and the usage. Plus the webhook refusals,
// idempotent starts under 20 parallel requests, and schedules.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCredentialService } from '../../core/credentials/service.ts';
import { createVault } from '../../core/credentials/vault.ts';
import { RunRecord } from '../../core/runs/entities.ts';
import { createUsageService } from '../../core/usage/service.ts';
import { sign } from '../../core/webhooks/service.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testDatabases, testEnv } from '../support/env.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.ts';
import { json, startHttpTarget } from '../support/http-target.ts';
import { checkAnswersAgainstContract, streamEventProblems } from '../support/contract.ts';
import { signUp, type SignedUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { startTestWorker } from '../support/worker.ts';

let smtp: TestSmtp;
let t: TestApp;
let server: Server;
let base: string;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let openai: FakeOpenAI;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
let me: SignedUp;
let team: string;

/** The services, app and worker for one database; torn down by tearDown(). */
async function setUp(databaseUrl: string) {
  smtp = await startTestSmtp();
  openai = await startFakeOpenAI();
  target = await startHttpTarget({ '/article': json(200, { title: 'Durable runs', words: 900 }) });
  const secretKey = randomBytes(32).toString('base64');
  const taskQueue = `platform-${randomUUID()}`;
  t = await createTestApp(testConfig({ DATABASE_URL: databaseUrl, SMTP_URL: smtp.url, TRELLIS_SECRET_KEY: secretKey, TEMPORAL_TASK_QUEUE: taskQueue, PUBLIC_URL: 'http://app.trellis.test' }));
  worker = await startTestWorker({
    address: testEnv.temporalAddress, orm: t.orm, taskQueue, openaiBaseUrl: openai.url,
    credentials: createCredentialService({ orm: t.orm, vault: createVault(secretKey) }).store,
    usage: createUsageService({ orm: t.orm }),
  });
  server = t.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Every answer of this suite must be one the contract describes (tests/support/contract.ts).
  checkAnswersAgainstContract();
  me = await signUp(t.app, smtp);
  team = me.personalTeamId;
}

async function tearDown() {
  checkAnswersAgainstContract(false);
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await worker.stop();
  await t.close();
  await Promise.all([smtp.close(), openai.close(), target.close()]);
}

const graph = () => ({
  nodes: [
    { id: 'fetch', type: 'http', config: { url: `${target.url}/article`, credentialId: credentialId } },
    { id: 'ok', type: 'condition', config: { expression: 'steps.fetch.output.status = 200' } },
    { id: 'sum', type: 'ai', config: { prompt: 'Summarize {{ steps.fetch.output.body.title }} for {{ input.audience }}' } },
    { id: 'review', type: 'approval', config: { message: 'Publish "{{ steps.sum.output.text }}"?', form: [{ name: 'channel', type: 'string', required: true }] } },
    { id: 'done', type: 'output', config: { value: { summary: '{{ steps.sum.output.text }}', channel: '{{ steps.review.output.data.channel }}' } } },
  ],
  edges: [
    { from: 'fetch', to: 'ok' }, { from: 'ok', port: 'true', to: 'sum' }, { from: 'sum', to: 'review' },
    { from: 'review', port: 'approved', to: 'done' },
  ],
});
let credentialId = '';

interface SseEvent { event: string; data: Record<string, unknown> }

/** Reads an SSE stream until `until` says stop or it closes; returns every event. */
async function readEvents(url: string, token: string, until: (events: SseEvent[]) => boolean, onEvent?: (e: SseEvent) => Promise<void>): Promise<SseEvent[]> {
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token}`, 'X-Forwarded-For': me.client.ip } });
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const reader = response.body!.getReader();
  const events: SseEvent[] = [];
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += Buffer.from(value).toString();
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) {
        const parsed = { event, data: JSON.parse(data) as Record<string, unknown> };
        events.push(parsed);
        await onEvent?.(parsed);
      }
    }
    if (until(events)) {
      await reader.cancel();
      break;
    }
  }
  return events;
}

describe.each(testDatabases)('workflows, runs and triggers over HTTP (%s)', (_name, databaseUrl) => {
  beforeAll(async () => setUp(await databaseUrl()));
  afterAll(tearDown);

  it('webhook → run → live events → approval → output and usage', async () => {
    const credential = await me.client.post(`/api/v1/teams/${team}/credentials`, { name: 'article-api', type: 'http_bearer', data: { token: 's3cret-token' }, allowedHosts: ['127.0.0.1'] });
    expect(credential.status).toBe(201);
    expect(JSON.stringify(credential.body)).not.toContain('s3cret-token');
    credentialId = credential.body.id as string;
    const listed = await me.client.get(`/api/v1/teams/${team}/credentials`);
    expect(listed.body.items).toEqual([expect.objectContaining({ id: credentialId, name: 'article-api', type: 'http_bearer' })]);
    expect(JSON.stringify(listed.body)).not.toContain('s3cret-token');

    const created = await me.client.post(`/api/v1/teams/${team}/workflows`, { name: 'Summarize and publish', graph: graph() });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Summarize and publish', version: 1 });
    const workflowId = created.body.id as string;

    const hook = await me.client.post(`/api/v1/teams/${team}/workflows/${workflowId}/webhooks`);
    expect(hook.status).toBe(201);
    expect(hook.body.url).toBe(`http://app.trellis.test/hooks/${hook.body.id}`);
    const body = JSON.stringify({ audience: 'engineers' });
    const ts = Math.floor(Date.now() / 1000);
    const delivered = await fetch(`${base}/hooks/${hook.body.id}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Trellis-Signature': `t=${ts},v1=${sign(hook.body.secret as string, ts, body)}`, 'X-Trellis-Delivery': 'd-1' },
      body,
    });
    expect(delivered.status).toBe(202);
    const { runId } = (await delivered.json()) as { runId: string };

    // Live events: the snapshot first, node changes as they happen; approve when asked.
    const events = await readEvents(
      `${base}/api/v1/teams/${team}/runs/${runId}/events`,
      me.token,
      (all) => all.some((e) => e.event === 'run'),
      async (event) => {
        const state = event.data.state as { status?: string } | undefined;
        if (event.event === 'node' && event.data.nodeId === 'review' && state?.status === 'waiting') {
          // The workflow refuses a form without its required field by a typed failure code (422), not by message text.
          const missing = await me.client.post(`/api/v1/teams/${team}/runs/${runId}/approvals/review`, { decision: 'approve', data: {} });
          expect([missing.status, missing.body.code]).toEqual([422, 'invalid_form_data']);
          const approved = await me.client.post(`/api/v1/teams/${team}/runs/${runId}/approvals/review`, { decision: 'approve', data: { channel: 'blog' } });
          expect(approved.status).toBe(200);
        }
      },
    );
    expect(events[0]?.event).toBe('snapshot');
    // Every message of the stream is an event the contract describes, with its data's shape.
    expect(events.flatMap((e) => streamEventProblems(e.event, e.data))).toEqual([]);
    const nodeEvents = events.filter((e) => e.event === 'node').map((e) => `${String(e.data.nodeId)}:${String((e.data.state as { status: string }).status)}`);
    expect(nodeEvents).toEqual(expect.arrayContaining(['sum:succeeded', 'review:waiting', 'done:succeeded']));
    expect(events.at(-1)).toMatchObject({ event: 'run', data: { status: 'succeeded' } });

    const run = await me.client.get(`/api/v1/teams/${team}/runs/${runId}`);
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({
      runId, workflowId, version: 1, status: 'succeeded', input: { audience: 'engineers' },
      output: { summary: 'You said: Summarize Durable runs for engineers', channel: 'blog' },
    });
    expect(run.body.nodes.review.output).toMatchObject({ decision: 'approve', actor: me.user.id });
    expect(run.body.usage.aiTokens).toBeGreaterThan(0);

    // The credential reached the target, and nowhere else.
    expect(target.hits.find((h) => h.path === '/article')?.headers.authorization).toBe('Bearer s3cret-token');
    const history = JSON.stringify((await t.temporal.workflow.getHandle(runId).fetchHistory()).events);
    expect(history).not.toContain('s3cret-token');

    const list = await me.client.get(`/api/v1/teams/${team}/runs?workflowId=${workflowId}`);
    expect(list.body.items.map((r: { runId: string }) => r.runId)).toContain(runId);
    for (let i = 0; i < 50; i++) {
      const usage = await me.client.get(`/api/v1/teams/${team}/usage`);
      if (usage.body.usage.aiTokens > 0) {
        expect(usage.body.usage).toMatchObject({ runs: expect.any(Number), nodeExecutions: 5 });
        break;
      }
      if (i === 49) throw new Error(`usage never recorded: ${JSON.stringify(usage.body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    // The same delivery again: the same run, not a second one.
    const replay = await fetch(`${base}/hooks/${hook.body.id}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Trellis-Signature': `t=${ts},v1=${sign(hook.body.secret as string, ts, body)}`, 'X-Trellis-Delivery': 'd-1' },
      body,
    });
    expect(replay.status).toBe(202);
    expect(await replay.json()).toEqual({ runId, duplicate: true });
  });

  it('refuses a bad signature, a stale timestamp and a missing signature', async () => {
    const wf = await me.client.post(`/api/v1/teams/${team}/workflows`, { name: 'echo', graph: { nodes: [{ id: 'o', type: 'output', config: { value: '{{ input }}' } }] } });
    const hook = await me.client.post(`/api/v1/teams/${team}/workflows/${wf.body.id}/webhooks`);
    const body = '{"x":1}';
    const now = Math.floor(Date.now() / 1000);
    const post = (headers: Record<string, string>) => fetch(`${base}/hooks/${hook.body.id}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
    const wrong = await post({ 'X-Trellis-Signature': `t=${now},v1=${sign('whsec_wrong', now, body)}` });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { code: string }).code).toBe('invalid_signature');
    const stale = await post({ 'X-Trellis-Signature': `t=${now - 600},v1=${sign(hook.body.secret as string, now - 600, body)}` });
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as { code: string }).code).toBe('signature_expired');
    const missing = await post({});
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { code: string }).code).toBe('missing_signature');
    // ?wait=true answers with the output.
    const waited = await post({ 'X-Trellis-Signature': `t=${now},v1=${sign(hook.body.secret as string, now, body)}` }).then(() =>
      fetch(`${base}/hooks/${hook.body.id}?wait=true`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Trellis-Signature': `t=${now},v1=${sign(hook.body.secret as string, now, body)}` }, body }),
    );
    expect(waited.status).toBe(200);
    expect(await waited.json()).toMatchObject({ output: { x: 1 } });
  });

  it('starts one run for 20 parallel requests with the same Idempotency-Key', async () => {
    const wf = await me.client.post(`/api/v1/teams/${team}/workflows`, { name: 'idem', graph: { nodes: [{ id: 'o', type: 'output', config: { value: 1 } }] } });
    const key = `key-${randomUUID()}`;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${base}/api/v1/teams/${team}/workflows/${wf.body.id}/runs`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${me.token}`, 'Content-Type': 'application/json', 'Idempotency-Key': key, 'X-Forwarded-For': me.client.ip },
          body: JSON.stringify({ input: { n: 1 } }),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as { runId: string } })),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202));
    expect(new Set(answers.map((a) => a.body.runId)).size).toBe(1);
    const runs = await me.client.get(`/api/v1/teams/${team}/runs?workflowId=${wf.body.id}`);
    expect(runs.body.items).toHaveLength(1);
  });

  it('schedules: next fire times, pause/resume, and removal with the workflow', async () => {
    const wf = await me.client.post(`/api/v1/teams/${team}/workflows`, { name: 'cron', graph: { nodes: [{ id: 'o', type: 'output', config: { value: 'tick' } }] } });
    const bad = await me.client.post(`/api/v1/teams/${team}/workflows/${wf.body.id}/schedules`, { cron: 'every minute' });
    expect(bad.status).toBe(400);
    expect(bad.body.problems[0].path).toBe('cron');
    const schedule = await me.client.post(`/api/v1/teams/${team}/workflows/${wf.body.id}/schedules`, { cron: '0 9 * * 1-5', timezone: 'Europe/Paris' });
    expect(schedule.status).toBe(201);
    expect(schedule.body.nextRunTimes).toHaveLength(5);
    expect(schedule.body.paused).toBe(false);
    const paused = await me.client.post(`/api/v1/teams/${team}/workflows/${wf.body.id}/schedules/${schedule.body.id}/pause`);
    expect(paused.body.paused).toBe(true);
    const resumed = await me.client.post(`/api/v1/teams/${team}/workflows/${wf.body.id}/schedules/${schedule.body.id}/resume`);
    expect(resumed.body.paused).toBe(false);
    expect((await me.client.delete(`/api/v1/teams/${team}/workflows/${wf.body.id}`)).status).toBe(204);
    await expect(t.temporal.schedule.getHandle(schedule.body.id as string).describe()).rejects.toThrow();
  });

  it('a viewer can read runs but not approve; an editor approves, cancels and reruns from a node', async () => {
    const viewer = await signUp(t.app, smtp);
    const invited = await me.client.post(`/api/v1/teams/${team}/invitations`, { email: viewer.email, role: 'viewer' });
    expect(invited.status).toBe(201);
    const token = (await smtp.linkFor(viewer.email, '/invitations/')).pathname.split('/').pop()!;
    expect((await viewer.client.post(`/api/v1/invitations/${token}/accept`)).status).toBe(200);

    const wf = await me.client.post(`/api/v1/teams/${team}/workflows`, {
      name: 'ask',
      graph: {
        nodes: [
          { id: 'first', type: 'transform', config: { expression: 'input.n * 10' } },
          { id: 'ask', type: 'approval', config: { message: 'go on with {{ steps.first.output }}?' } },
          { id: 'o', type: 'output', config: { value: '{{ steps.first.output }}' } },
        ],
        edges: [{ from: 'first', to: 'ask' }, { from: 'ask', port: 'approved', to: 'o' }],
      },
    });
    const started = await me.client.post(`/api/v1/teams/${team}/workflows/${wf.body.id}/runs`, { input: { n: 4 } });
    expect(started.status).toBe(202);
    const runId = started.body.runId as string;
    let run = await viewer.client.get(`/api/v1/teams/${team}/runs/${runId}`);
    for (let i = 0; i < 100 && run.body.status !== 'waiting'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      run = await viewer.client.get(`/api/v1/teams/${team}/runs/${runId}`);
    }
    expect(run.body).toMatchObject({ status: 'waiting', nodes: { ask: { status: 'waiting', waiting: { message: 'go on with 40?' } } } });
    const refused = await viewer.client.post(`/api/v1/teams/${team}/runs/${runId}/approvals/ask`, { decision: 'approve' });
    expect(refused.status).toBe(403);
    const notWaiting = await me.client.post(`/api/v1/teams/${team}/runs/${runId}/approvals/o`, { decision: 'approve' });
    expect(notWaiting.status).toBe(409);

    // Rerun from the approval: "first" is reused, not executed again.
    const rerun = await me.client.post(`/api/v1/teams/${team}/runs/${runId}/rerun`, { fromNode: 'ask' });
    expect(rerun.status).toBe(202);
    const cancelled = await me.client.post(`/api/v1/teams/${team}/runs/${runId}/cancel`);
    expect(cancelled.status).toBe(202);
    for (let i = 0; i < 100 && run.body.status !== 'cancelled'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      run = await me.client.get(`/api/v1/teams/${team}/runs/${runId}`);
    }
    expect(run.body.status).toBe('cancelled');
    expect(run.body.nodes.ask.status).toBe('cancelled');

    const second = rerun.body.runId as string;
    let again = await me.client.get(`/api/v1/teams/${team}/runs/${second}`);
    for (let i = 0; i < 100 && again.body.status !== 'waiting'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      again = await me.client.get(`/api/v1/teams/${team}/runs/${second}`);
    }
    expect(again.body.trigger).toBe('rerun');
    expect(again.body.nodes.first).toMatchObject({ status: 'succeeded', output: 40 });
    expect(again.body.nodes.ask.status).toBe('waiting');
    expect((await me.client.post(`/api/v1/teams/${team}/runs/${second}/approvals/ask`, { decision: 'approve' })).status).toBe(200);
  });

  it('queues a run over the plan\'s concurrent runs instead of refusing it, and starts it when a slot frees', async () => {
    const other = await signUp(t.app, smtp); // a fresh team on the free plan: 2 concurrent runs
    const teamB = other.personalTeamId;
    const wf = await other.client.post(`/api/v1/teams/${teamB}/workflows`, { name: 'hold', graph: { nodes: [{ id: 'ask', type: 'approval', config: { message: 'hold' } }] } });
    const starts = [];
    for (let i = 0; i < 3; i++) starts.push(await other.client.post(`/api/v1/teams/${teamB}/workflows/${wf.body.id}/runs`, {}));
    expect(starts.map((r) => r.status)).toEqual([202, 202, 202]);
    expect(starts.map((r) => r.body.status)).toEqual(['queued', 'queued', 'queued']);
    const third = starts[2]!.body.runId as string;
    const statusOf = async (runId: string) => (await other.client.get(`/api/v1/teams/${teamB}/runs/${runId}`)).body.status as string;
    // The first two take the slots; the third waits in the queue.
    for (const started of starts.slice(0, 2)) {
      for (let i = 0; i < 200 && (await statusOf(started.body.runId as string)) !== 'waiting'; i++) await new Promise((r) => setTimeout(r, 50));
    }
    expect(await statusOf(third)).toBe('queued');
    // Ending a run frees its slot: the queued run takes it.
    await other.client.post(`/api/v1/teams/${teamB}/runs/${starts[0]!.body.runId}/cancel`);
    let status = 'queued';
    for (let i = 0; i < 200 && status !== 'waiting'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = await statusOf(third);
    }
    expect(status).toBe('waiting');
  });

  it('caches run listings in Redis and never serves a stale page after a change', async () => {
    const wf = await me.client.post(`/api/v1/teams/${team}/workflows`, { name: 'listed', graph: { nodes: [{ id: 'ask', type: 'approval', config: { message: 'ok?' } }] } });
    const started = await me.client.post(`/api/v1/teams/${team}/workflows/${wf.body.id}/runs`, {});
    const runId = started.body.runId as string;
    const path = `/api/v1/teams/${team}/runs?workflowId=${wf.body.id}`;
    // Queued at first, then running (or waiting) once dispatched: poll past the queue.
    let first = await me.client.get(path);
    for (let i = 0; i < 200 && first.body.items[0]?.status === 'queued'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      first = await me.client.get(path);
    }
    expect(first.body.items).toEqual([expect.objectContaining({ runId, status: expect.stringMatching(/^(running|waiting)$/) })]);
    const keys = await t.redis.keys(`runs:list:${team}:*`);
    expect(keys.length).toBeGreaterThan(0);
    await me.client.post(`/api/v1/teams/${team}/runs/${runId}/cancel`);
    let status = 'running';
    for (let i = 0; i < 100 && status !== 'cancelled'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await me.client.get(path)).body.items[0].status as string;
    }
    expect(status).toBe('cancelled');
    const bad = await me.client.get(`${path}&cursor=not-a-cursor`);
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_cursor');
  });

  it('serves a large node output from blob storage on demand, and the run\'s output', async () => {
    const wf = await me.client.post(`/api/v1/teams/${team}/workflows`, {
      name: 'large',
      graph: { nodes: [{ id: 'big', type: 'transform', config: { expression: '$pad("", 70000, "x")' } }, { id: 'done', type: 'output', config: { value: '{{ $length(steps.big.output) }}' } }], edges: [{ from: 'big', to: 'done' }] },
    });
    const runId = (await me.client.post(`/api/v1/teams/${team}/workflows/${wf.body.id}/runs`, {})).body.runId as string;
    let run = (await me.client.get(`/api/v1/teams/${team}/runs/${runId}`)).body;
    for (let i = 0; i < 300 && run.status !== 'succeeded'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      run = (await me.client.get(`/api/v1/teams/${team}/runs/${runId}`)).body;
    }
    expect(run.status).toBe('succeeded');
    // A finished run's final state is on its row: later reads need no worker replay (ADR 029).
    const kept = await t.orm.em.fork().findOneOrFail(RunRecord, { id: runId }, { populate: ['state'] });
    expect(JSON.parse(kept.state!)).toMatchObject({ status: 'succeeded', output: run.output, nodes: run.nodes });
    expect((await me.client.get(`/api/v1/teams/${team}/runs/${runId}`)).body).toEqual(run);
    expect(run.nodes.big.output).toBeUndefined();
    expect(run.nodes.big.outputRef).toMatchObject({ $trellisRef: 'blob' });
    const big = await me.client.get(`/api/v1/teams/${team}/runs/${runId}/nodes/big/output`);
    expect(big.status).toBe(200);
    expect(big.body).toEqual({ nodeId: 'big', output: 'x'.repeat(70000) });
    expect((await me.client.get(`/api/v1/teams/${team}/runs/${runId}/output`)).body).toEqual({ output: 70000 });
    expect((await me.client.get(`/api/v1/teams/${team}/runs/${runId}/nodes/ghost/output`)).status).toBe(404);
    // Another team never reaches it.
    const other = await signUp(t.app, smtp);
    expect((await other.client.get(`/api/v1/teams/${other.personalTeamId}/runs/${runId}/nodes/big/output`)).status).toBe(404);
  });

  it('answers 422 with every problem of an invalid graph', async () => {
    const res = await me.client.post(`/api/v1/teams/${team}/workflows`, {
      name: 'broken',
      graph: { nodes: [{ id: 'a', type: 'transform', config: { expression: 'input.(' } }, { id: 'a', type: 'nope', config: {} }], edges: [{ from: 'a', to: 'ghost' }] },
    });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('invalid_graph');
    expect(res.body.problems.length).toBeGreaterThanOrEqual(2);
    expect(res.body.problems.every((p: { path: string }) => p.path.startsWith('graph'))).toBe(true);
  });
});
