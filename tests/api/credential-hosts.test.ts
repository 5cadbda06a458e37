// Credentials bound to hosts, over HTTP and in real runs: an http credential names the hosts it
// may be sent to when it is created; an API key or editor who may not read it cannot aim it at
// their own server; only team admins move it elsewhere.
import { randomBytes, randomUUID } from 'node:crypto';
import { createCredentialService } from '../../core/credentials/service.ts';
import { createVault } from '../../core/credentials/vault.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testEnv } from '../support/env.ts';
import { json, startHttpTarget } from '../support/http-target.ts';
import { Client, signUp, type SignedUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { startTestWorker } from '../support/worker.ts';

let smtp: TestSmtp;
let t: TestApp;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
let owner: SignedUp;
let team: string;

beforeAll(async () => {
  smtp = await startTestSmtp();
  target = await startHttpTarget({ '/collect': json(200, { ok: true }) });
  const secretKey = randomBytes(32).toString('base64');
  const taskQueue = `credential-hosts-${randomUUID()}`;
  t = await createTestApp(testConfig({ SMTP_URL: smtp.url, TRELLIS_SECRET_KEY: secretKey, TEMPORAL_TASK_QUEUE: taskQueue }));
  worker = await startTestWorker({
    address: testEnv.temporalAddress, orm: t.orm, taskQueue,
    credentials: createCredentialService({ orm: t.orm, vault: createVault(secretKey) }).store,
  });
  owner = await signUp(t.app, smtp);
  const created = await owner.client.post('/api/v1/teams', { name: 'Hosts' });
  expect(created.status).toBe(201);
  team = created.body.id as string;
});

afterAll(async () => {
  await worker.stop();
  await t.close();
  await Promise.all([smtp.close(), target.close()]);
});

const credentials = () => `/api/v1/teams/${team}/credentials`;

async function runToEnd(client: Client, url: string, credentialId: string) {
  const wf = await client.post(`/api/v1/teams/${team}/workflows`, {
    name: `send-${randomUUID().slice(0, 8)}`,
    graph: { nodes: [{ id: 'send', type: 'http', config: { method: 'POST', url, credentialId, body: { hello: 1 } } }] },
  });
  expect(wf.status).toBe(201);
  const started = await client.post(`/api/v1/teams/${team}/workflows/${wf.body.id}/runs`, { input: {} });
  expect(started.status).toBe(202);
  for (let polls = 0; ; polls++) {
    const run = await client.get(`/api/v1/teams/${team}/runs/${started.body.runId}`);
    if (['succeeded', 'failed', 'cancelled', 'timed_out'].includes(run.body.status as string)) return run.body as { status: string; nodes: Record<string, unknown> };
    if (polls > 600) throw new Error(`run still ${run.body.status as string}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('allowed hosts of a credential', () => {
  it('are required for http credentials, validated and stored in canonical form', async () => {
    const missing = await owner.client.post(credentials(), { name: 'no-hosts', type: 'http_bearer', data: { token: 't' } });
    expect(missing.status).toBe(400);
    expect(missing.body.problems).toEqual([expect.objectContaining({ path: 'allowedHosts' })]);

    const bad = await owner.client.post(credentials(), { name: 'bad', type: 'http_header', data: { name: 'X-Key', value: 'v' }, allowedHosts: ['ok.example.com', 'https://api.example.com/v1', '*', '*.com', 'a b', 'api.example.com:8443'] });
    expect(bad.status).toBe(400);
    expect((bad.body.problems as { path: string }[]).map((p) => p.path)).toEqual(['allowedHosts.1', 'allowedHosts.2', 'allowedHosts.3', 'allowedHosts.4', 'allowedHosts.5']);

    const good = await owner.client.post(credentials(), { name: 'vendor', type: 'http_basic', data: { username: 'u', password: 'p' }, allowedHosts: ['API.Vendor.example.', '*.Vendor.Example', '10.0.0.1', '::1', 'bücher.example'] });
    expect(good.status).toBe(201);
    expect(good.body.allowedHosts).toEqual(['api.vendor.example', '*.vendor.example', '10.0.0.1', '[::1]', 'xn--bcher-kva.example']);

    const openaiWithHosts = await owner.client.post(credentials(), { name: 'ai-hosts', type: 'openai', data: { apiKey: 'sk-x' }, allowedHosts: ['api.openai.com'] });
    expect(openaiWithHosts.status).toBe(400);
    const openai = await owner.client.post(credentials(), { name: 'ai', type: 'openai', data: { apiKey: 'sk-x' } });
    expect(openai.status).toBe(201);
    expect(openai.body.allowedHosts).toBeNull();

    const listed = await owner.client.get(credentials());
    expect(listed.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ id: good.body.id, allowedHosts: good.body.allowedHosts })]));
  });

  it("keep a credential from reaching a server an API key chose, while it reaches its own hosts", async () => {
    const credential = await owner.client.post(credentials(), { name: 'prod-token', type: 'http_bearer', data: { token: 'SUPERSECRET-123456' }, allowedHosts: ['127.0.0.1'] });
    expect(credential.status).toBe(201);
    const key = await owner.client.post(`/api/v1/teams/${team}/api-keys`, { name: 'ci', scopes: ['workflows:read', 'workflows:write', 'runs:read', 'runs:write'] });
    expect(key.status).toBe(201);
    const ci = new Client(t.app, { token: key.body.key as string });
    expect((await ci.get(credentials())).status).toBe(403);

    // The attacker's "server" is the same target under another name: only the name differs.
    const collector = target.url.replace('127.0.0.1', 'localhost');
    const refused = await runToEnd(ci, `${collector}/collect`, credential.body.id as string);
    expect(refused.status).toBe('failed');
    expect(JSON.stringify(refused.nodes.send)).toContain('credential_host_not_allowed');
    expect(JSON.stringify(refused.nodes.send)).toContain('localhost');
    expect(target.count('/collect')).toBe(0);

    const allowed = await runToEnd(ci, `${target.url}/collect`, credential.body.id as string);
    expect(allowed.status).toBe('succeeded');
    expect(target.hits.filter((h) => h.path === '/collect').map((h) => h.headers.authorization)).toEqual(['Bearer SUPERSECRET-123456']);
  });

  it('are changed by team admins only', async () => {
    const editor = await signUp(t.app, smtp);
    const invited = await owner.client.post(`/api/v1/teams/${team}/invitations`, { email: editor.email, role: 'editor' });
    expect(invited.status).toBe(201);
    const link = await smtp.linkFor(editor.email, '/invitations/', { subject: /invited you/ });
    expect((await editor.client.post(`/api/v1/invitations/${link.pathname.split('/').pop()!}/accept`)).status).toBe(200);

    // An editor may create credentials of their own, with their hosts...
    const own = await editor.client.post(credentials(), { name: 'editor-token', type: 'http_bearer', data: { token: 'e' }, allowedHosts: ['api.editor.example'] });
    expect(own.status).toBe(201);
    const ownerCredential = await owner.client.post(credentials(), { name: 'owner-token', type: 'http_bearer', data: { token: 'o' }, allowedHosts: ['api.prod.example'] });
    // ...but not re-aim anyone's, their own included (an admin decides where secrets go).
    for (const id of [ownerCredential.body.id, own.body.id] as string[]) {
      const denied = await editor.client.patch(`${credentials()}/${id}`, { allowedHosts: ['attacker.example'] });
      expect(denied.status).toBe(403);
    }
    const changed = await owner.client.patch(`${credentials()}/${ownerCredential.body.id as string}`, { allowedHosts: ['api.prod.example', '*.cdn.prod.example'] });
    expect(changed.status).toBe(200);
    expect(changed.body.allowedHosts).toEqual(['api.prod.example', '*.cdn.prod.example']);
    expect((await owner.client.patch(`${credentials()}/${ownerCredential.body.id as string}`, { allowedHosts: [] })).status).toBe(400);
    expect((await owner.client.patch(`${credentials()}/${ownerCredential.body.id as string}`, { allowedHosts: ['http://x.example/'] })).body.problems[0].path).toBe('allowedHosts.0');
    expect((await owner.client.patch(`${credentials()}/cred_nope`, { allowedHosts: ['a.example'] })).status).toBe(404);
  });
});
