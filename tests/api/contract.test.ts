// The routes answer what the contract says (contract/routes.ts): every route the app serves is in
// the route table and the other way round, and a team's main routes — workflows, runs, keys,
// credentials, usage, queue, stats, failures, notifications, members, sessions — answer, for their
// successes and their refusals alike, only shapes the contract describes (tests/support/contract.ts
// checks each answer; an undescribed field fails). Plus the interactive reference at /api/docs,
// served offline from swagger-ui-dist.
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ROUTES } from '../../contract/routes.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { checkAnswersAgainstContract, expressRoutes } from '../support/contract.ts';
import { testConfig, testEnv } from '../support/env.ts';
import { signUp, type SignedUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { startTestWorker } from '../support/worker.ts';

let smtp: TestSmtp;
let t: TestApp;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let me: SignedUp;
let team: string;

beforeAll(async () => {
  smtp = await startTestSmtp();
  const taskQueue = `contract-${randomUUID()}`;
  t = await createTestApp(testConfig({ SMTP_URL: smtp.url, TEMPORAL_TASK_QUEUE: taskQueue, TRELLIS_DIAGNOSTICS: 'true' }));
  worker = await startTestWorker({ address: testEnv.temporalAddress, orm: t.orm, taskQueue });
  checkAnswersAgainstContract();
  me = await signUp(t.app, smtp);
  team = me.personalTeamId;
});

afterAll(async () => {
  checkAnswersAgainstContract(false);
  await worker?.stop();
  await t?.close();
  await smtp?.close();
});

const GRAPH = {
  nodes: [
    { id: 'ask', type: 'approval', config: { message: 'Greet {{ input.name }}?', form: [{ name: 'note', type: 'string', required: true }] } },
    { id: 'greet', type: 'transform', config: { expression: '"Hello, " & input.name' } },
    { id: 'done', type: 'output', config: { value: '{{ steps.greet.output }}' } },
  ],
  edges: [{ from: 'ask', port: 'approved', to: 'greet' }, { from: 'greet', to: 'done' }],
};

describe('the route table', () => {
  it('holds exactly the routes the app serves', () => {
    const key = (r: { method: string; path: string }) => `${r.method.toUpperCase()} ${r.path}`;
    const served = new Set(expressRoutes(t.app).map(key));
    const described = new Set(ROUTES.map(key));
    expect([...served].filter((k) => !described.has(k)).sort()).toEqual([]);
    expect([...described].filter((k) => !served.has(k)).sort()).toEqual([]);
  });
});

describe("a team's main routes answer what the contract describes", () => {
  it('identity: me, providers, teams, members, invitations, sessions, logins, API keys, usage', async () => {
    const c = me.client;
    expect((await c.get('/api/v1/auth/providers')).status).toBe(200);
    expect((await c.get('/api/v1/me')).status).toBe(200);
    expect((await c.patch('/api/v1/me', { timezone: 'Europe/Paris' })).status).toBe(200);
    expect((await c.patch('/api/v1/me', { timezone: 'Mars/Olympus' })).status).toBe(400);
    expect((await c.get('/api/v1/me/sessions')).status).toBe(200);
    expect((await c.get('/api/v1/me/logins?limit=5')).status).toBe(200);
    expect((await c.get('/api/v1/teams')).status).toBe(200);
    expect((await c.get(`/api/v1/teams/${team}`)).status).toBe(200);
    const created = await c.post('/api/v1/teams', { name: 'Contract team' });
    expect(created.status).toBe(201);
    expect((await c.patch(`/api/v1/teams/${created.body.id}`, { name: 'Contract team 2' })).status).toBe(200);
    expect((await c.get(`/api/v1/teams/${team}/members`)).status).toBe(200);
    const invited = await c.post(`/api/v1/teams/${team}/invitations`, { email: 'grace@example.test', role: 'editor' });
    expect(invited.status).toBe(201);
    expect((await c.get(`/api/v1/teams/${team}/invitations`)).status).toBe(200);
    expect((await c.delete(`/api/v1/teams/${team}/invitations/${invited.body.id}`)).status).toBe(204);
    const key = await c.post(`/api/v1/teams/${team}/api-keys`, { name: 'ci', scopes: ['workflows:read', 'runs:read'] });
    expect(key.status).toBe(201);
    expect((await c.get(`/api/v1/teams/${team}/api-keys`)).status).toBe(200);
    expect((await c.withToken(key.body.key).get(`/api/v1/teams/${team}/workflows`)).status).toBe(200);
    expect((await c.withToken(key.body.key).post(`/api/v1/teams/${team}/workflows`, { name: 'x', graph: GRAPH })).status).toBe(403);
    expect((await c.delete(`/api/v1/teams/${team}/api-keys/${key.body.id}`)).status).toBe(204);
    expect((await c.get(`/api/v1/teams/${team}/usage`)).status).toBe(200);
    expect((await c.get('/api/v1/teams/team_nope/usage')).status).toBe(404);
    expect((await c.withToken(undefined).get('/api/v1/me')).status).toBe(401);
  });

  it('platform: credentials, workflows, versions, webhooks, schedules', async () => {
    const c = me.client;
    const credential = await c.post(`/api/v1/teams/${team}/credentials`, { name: 'gh', type: 'http_bearer', data: { token: 'tok-1' }, allowedHosts: ['api.github.com'] });
    expect(credential.status).toBe(201);
    expect((await c.get(`/api/v1/teams/${team}/credentials`)).status).toBe(200);
    expect((await c.patch(`/api/v1/teams/${team}/credentials/${credential.body.id}`, { allowedHosts: ['api.github.com', '*.github.com'] })).status).toBe(200);
    expect((await c.post(`/api/v1/teams/${team}/credentials`, { name: 'gh', type: 'nope', data: {} })).status).toBe(400);
    expect((await c.delete(`/api/v1/teams/${team}/credentials/${credential.body.id}`)).status).toBe(204);

    const wf = await c.post(`/api/v1/teams/${team}/workflows`, { name: 'Greeter', graph: GRAPH, tool: { name: 'greet', description: 'Greets', inputSchema: { type: 'object', properties: { name: { type: 'string' } } } } });
    expect(wf.status).toBe(201);
    const base = `/api/v1/teams/${team}/workflows/${wf.body.id}`;
    expect((await c.post(`/api/v1/teams/${team}/workflows`, { name: 'Bad', graph: { nodes: [{ id: 'a', type: 'nope', config: {} }] } })).status).toBe(422);
    expect((await c.get(`/api/v1/teams/${team}/workflows?q=greet`)).status).toBe(200);
    expect((await c.get(base)).status).toBe(200);
    expect((await c.request('put', base).send({ name: 'Greeter 2', graph: GRAPH })).status).toBe(200);
    expect((await c.get(`${base}/versions`)).status).toBe(200);
    expect((await c.get(`${base}/versions/1`)).status).toBe(200);
    const hook = await c.post(`${base}/webhooks`, { priority: 2 });
    expect(hook.status).toBe(201);
    expect((await c.get(`${base}/webhooks`)).status).toBe(200);
    expect((await c.patch(`${base}/webhooks/${hook.body.id}`, { priority: 1 })).status).toBe(200);
    expect((await c.delete(`${base}/webhooks/${hook.body.id}`)).status).toBe(204);
    const schedule = await c.post(`${base}/schedules`, { cron: '0 9 * * 1', timezone: 'Europe/Paris', input: { name: 'Ada' } });
    expect(schedule.status).toBe(201);
    expect((await c.get(`${base}/schedules`)).status).toBe(200);
    expect((await c.post(`${base}/schedules/${schedule.body.id}/pause`)).status).toBe(200);
    expect((await c.post(`${base}/schedules/${schedule.body.id}/resume`)).status).toBe(200);
    expect((await c.patch(`${base}/schedules/${schedule.body.id}`, { priority: 2, version: 1 })).status).toBe(200);
    expect((await c.post(`${base}/schedules`, { cron: 'not a cron' })).status).toBe(400);
    expect((await c.delete(`${base}/schedules/${schedule.body.id}`)).status).toBe(204);
  });

  it('runs: start, list, read, decide (refused, then approved), outputs, rerun, cancel, queue, stats, failures', async () => {
    const c = me.client;
    const wf = await c.post(`/api/v1/teams/${team}/workflows`, { name: 'Approve then greet', graph: GRAPH });
    const started = await c.post(`/api/v1/teams/${team}/workflows/${wf.body.id}/runs`, { input: { name: 'Ada' } });
    expect(started.status).toBe(202);
    const runId = started.body.runId as string;
    const runPath = `/api/v1/teams/${team}/runs/${runId}`;
    let run = await c.get(runPath);
    for (let i = 0; i < 100 && run.body.status !== 'waiting'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      run = await c.get(runPath);
    }
    expect(run.body.nodes.ask.status).toBe('waiting');
    expect((await c.post(`${runPath}/approvals/ask`, { decision: 'approve', data: {} })).status).toBe(422);
    expect((await c.post(`${runPath}/approvals/done`, { decision: 'approve' })).status).toBe(409);
    expect((await c.post(`${runPath}/approvals/ask`, { decision: 'maybe' })).status).toBe(400);
    expect((await c.post(`${runPath}/approvals/ask`, { decision: 'approve', data: { note: 'ok' } })).status).toBe(200);
    for (let i = 0; i < 100 && run.body.status !== 'succeeded'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      run = await c.get(runPath);
    }
    expect(run.body.output).toEqual('Hello, Ada');
    expect((await c.get(`${runPath}/output`)).body).toEqual({ output: 'Hello, Ada' });
    expect((await c.get(`${runPath}/nodes/greet/output`)).status).toBe(200);
    expect((await c.get(`/api/v1/teams/${team}/runs?status=succeeded&limit=5`)).status).toBe(200);
    expect((await c.get(`/api/v1/teams/${team}/runs?status=nope`)).status).toBe(400);
    const rerun = await c.post(`${runPath}/rerun`, { fromNode: 'greet' });
    expect(rerun.status).toBe(202);
    const second = await c.post(`/api/v1/teams/${team}/workflows/${wf.body.id}/runs`, { input: { name: 'Grace' }, priority: 1 });
    expect((await c.post(`/api/v1/teams/${team}/runs/${second.body.runId}/cancel`)).status).toBe(202);
    expect((await c.get(`/api/v1/teams/${team}/runs/run_nope`)).status).toBe(404);
    expect((await c.get(`/api/v1/teams/${team}/queue`)).status).toBe(200);
    expect((await c.get(`/api/v1/teams/${team}/stats?days=7`)).status).toBe(200);
    expect((await c.get(`/api/v1/teams/${team}/stats?days=9999`)).status).toBe(400);
    expect((await c.get(`/api/v1/teams/${team}/failures?since=2026-01-01`)).status).toBe(200);
  });

  it('notifications: channels, test sends and the delivery log', async () => {
    const c = me.client;
    const channel = await c.post(`/api/v1/teams/${team}/notification-channels`, { name: 'hooks', type: 'webhook', config: { url: 'https://hooks.example.test/trellis' }, events: ['run.failed'] });
    expect(channel.status).toBe(201);
    expect(typeof channel.body.secret).toBe('string');
    expect((await c.get(`/api/v1/teams/${team}/notification-channels`)).status).toBe(200);
    expect((await c.post(`/api/v1/teams/${team}/notification-channels/${channel.body.id}/test`)).status).toBe(202);
    expect((await c.get(`/api/v1/teams/${team}/notification-channels/${channel.body.id}/deliveries`)).status).toBe(200);
    expect((await c.post(`/api/v1/teams/${team}/notification-channels`, { name: 'x', type: 'email', events: [] })).status).toBe(400);
    expect((await c.delete(`/api/v1/teams/${team}/notification-channels/${channel.body.id}`)).status).toBe(204);
  });
});

describe('the API reference at /api/docs', () => {
  it('is Swagger UI served from this origin: the page, its assets and the document, with no external URL', async () => {
    const page = await request(t.app).get('/api/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/https?:|\*/);
    const urls = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(urls.length).toBeGreaterThanOrEqual(4);
    expect(urls.filter((url) => !url.startsWith('/'))).toEqual([]);
    expect(page.text).not.toMatch(/https?:\/\//);
    for (const url of urls.filter((u) => u.startsWith('/api/docs/assets/'))) {
      const asset = await request(t.app).get(url);
      expect([url, asset.status]).toEqual([url, 200]);
      expect(asset.headers['content-type']).toMatch(/^(text\/(css|javascript)|image\/png)/);
    }
    const init = await request(t.app).get('/api/docs/assets/init.js');
    expect(init.text).toContain("url: '/api/v1/openapi.json'");
    expect(init.text).toContain('validatorUrl: null');
    expect(init.text).not.toMatch(/https?:\/\//);
    expect((await request(t.app).get('/api/docs/assets/package.json')).body).toMatchObject({ status: 404, code: 'not_found' });
    const doc = await request(t.app).get('/api/v1/openapi.json');
    expect(doc.body.paths['/hooks/{webhookId}'].post.description).toContain('sign-webhook.sh');
  });
});
