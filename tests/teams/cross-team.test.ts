// Tenancy, table-driven: for EVERY team-scoped route the api serves (read from the Express router
// itself, plus every `/teams/{teamId}` path of the OpenAPI document), team A's user and team A's
// API key get 404 for team B's resources — never 403, never data — and nothing of B changes.
// On SQLite and PostgreSQL.
import { readFileSync } from 'node:fs';
import { createTestApp, type TestApp } from '../support/app.ts';
import { expressRoutes, type ServedRoute } from '../support/contract.ts';
import { testConfig, testDatabases } from '../support/env.ts';
import { Client, signUp, type SignedUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';

const HELLO_GRAPH = JSON.parse(readFileSync(new URL('../fixtures/hello-graph.json', import.meta.url), 'utf8')) as unknown;

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type RouteEntry = ServedRoute;

function openApiRoutes(document: { paths: Record<string, Record<string, unknown>> }): RouteEntry[] {
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.keys(operations)
      .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map((method) => ({ method: method as Method, path })),
  );
}

const isTeamRoute = (r: RouteEntry) => r.path.startsWith('/api/v1/teams/{teamId}');
const key = (r: RouteEntry) => `${r.method.toUpperCase()} ${r.path}`;

// A body that passes the validation of any of these routes, so only authorization can refuse it.
const BODY = { name: 'pwned', role: 'viewer', email: 'intruder@example.test', scopes: ['runs:read'], graph: { nodes: [], edges: [] }, decision: 'approve' };

describe.each(testDatabases)('cross-team isolation on %s', (_name, databaseUrl) => {
  let smtp: TestSmtp;
  let t: TestApp;
  let a: SignedUp;
  let b: SignedUp;
  let aKey: string;
  let bTeamId: string;
  const bResources: Record<string, string> = {};
  let table: RouteEntry[];

  beforeAll(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp(testConfig({ DATABASE_URL: await databaseUrl(), SMTP_URL: smtp.url, TRELLIS_SECRET_KEY: Buffer.alloc(32, 3).toString('base64') }));
    [a, b] = await Promise.all([signUp(t.app, smtp), signUp(t.app, smtp)]);
    aKey = (await a.client.post(`/api/v1/teams/${a.personalTeamId}/api-keys`, { name: 'a', scopes: ['workflows:read', 'workflows:write', 'runs:read', 'runs:write'] })).body.key;

    // Team B with a second member, a pending invitation and an API key.
    bTeamId = (await b.client.post('/api/v1/teams', { name: 'Team B' })).body.id;
    const bMember = await signUp(t.app, smtp);
    await b.client.post(`/api/v1/teams/${bTeamId}/invitations`, { email: bMember.email, role: 'editor' });
    const token = (await smtp.linkFor(bMember.email, '/invitations/')).pathname.split('/').pop()!;
    await bMember.client.post(`/api/v1/invitations/${token}/accept`);
    bResources.userId = bMember.user.id;
    bResources.invitationId = (await b.client.post(`/api/v1/teams/${bTeamId}/invitations`, { email: 'pending@example.test', role: 'viewer' })).body.id;
    const bKey = (await b.client.post(`/api/v1/teams/${bTeamId}/api-keys`, { name: 'b', scopes: ['runs:read'] })).body;
    bResources.keyId = bKey.id;
    bResources.bKey = bKey.key;
    // Team B's workflow, webhook, schedule and credential, through the public API (API.md), so
    // their routes are probed with ids that really exist in B. Best effort: a route that cannot
    // create them yet is still probed, with made-up ids.
    const workflow = await b.client.post(`/api/v1/teams/${bTeamId}/workflows`, { name: 'B flow', graph: HELLO_GRAPH });
    if (workflow.status === 201) {
      bResources.id = workflow.body.id;
      const webhook = await b.client.post(`/api/v1/teams/${bTeamId}/workflows/${workflow.body.id}/webhooks`, {});
      if (webhook.status === 201) bResources.webhookId = webhook.body.id;
      const schedule = await b.client.post(`/api/v1/teams/${bTeamId}/workflows/${workflow.body.id}/schedules`, { cron: '0 0 1 1 *' });
      if (schedule.status === 201) bResources.scheduleId = schedule.body.id;
    }
    const credential = await b.client.post(`/api/v1/teams/${bTeamId}/credentials`, { name: 'b-token', type: 'http_bearer', data: { token: 'secret-of-b' }, allowedHosts: ['api.b.example'] });
    if (credential.status === 201) bResources.credentialId = credential.body.id;

    const document = (await new Client(t.app).get('/api/v1/openapi.json')).body;
    const all = new Map<string, RouteEntry>();
    for (const route of [...expressRoutes(t.app), ...openApiRoutes(document)].filter(isTeamRoute)) all.set(key(route), route);
    table = [...all.values()].sort((x, y) => key(x).localeCompare(key(y)));
  });

  afterAll(async () => {
    if (bResources.id) await b.client.delete(`/api/v1/teams/${bTeamId}/workflows/${bResources.id}`); // and its Temporal schedule
    await t?.close();
    await smtp?.close();
  });

  const madeUp = (param: string) => `${param}_${Math.random().toString(36).slice(2, 10)}`;
  const fill = (path: string, teamId: string, ids: Record<string, string> = bResources) =>
    path.replace(/\{(\w+)\}/g, (_, param: string) => (param === 'teamId' ? teamId : (ids[param] ?? madeUp(param))));
  const send = (client: Client, route: RouteEntry, url: string) => client.request(route.method, url).send(route.method === 'get' || route.method === 'delete' ? undefined : BODY);

  it('covers every team route: members, invitations, API keys, usage and the team itself', () => {
    const keys = table.map(key);
    for (const expected of [
      'GET /api/v1/teams/{teamId}',
      'PATCH /api/v1/teams/{teamId}',
      'GET /api/v1/teams/{teamId}/members',
      'PATCH /api/v1/teams/{teamId}/members/{userId}',
      'DELETE /api/v1/teams/{teamId}/members/{userId}',
      'GET /api/v1/teams/{teamId}/invitations',
      'POST /api/v1/teams/{teamId}/invitations',
      'DELETE /api/v1/teams/{teamId}/invitations/{invitationId}',
      'GET /api/v1/teams/{teamId}/api-keys',
      'POST /api/v1/teams/{teamId}/api-keys',
      'DELETE /api/v1/teams/{teamId}/api-keys/{keyId}',
      'GET /api/v1/teams/{teamId}/usage',
    ]) {
      expect(keys).toContain(expected);
    }
  });

  it("team A's user and team A's API key get 404 for team B on every team route", async () => {
    const principals = { 'A user': a.client, 'A api key': new Client(t.app, { token: aKey }) };
    const failures: string[] = [];
    for (const route of table) {
      for (const [who, client] of Object.entries(principals)) {
        const url = fill(route.path, bTeamId);
        const res = await client.request(route.method, url).send(route.method === 'get' || route.method === 'delete' ? undefined : BODY);
        if (res.status !== 404 || res.body.code !== 'not_found') failures.push(`${who}: ${key(route)} → ${res.status} ${res.body.code ?? ''}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("inside team A, ids of team B's resources answer exactly like ids that do not exist", async () => {
    const failures: string[] = [];
    for (const route of table.filter((r) => /\{(?!teamId)\w+\}/.test(r.path))) {
      const withB = await send(a.client, route, fill(route.path, a.personalTeamId));
      const withNothing = await send(a.client, route, fill(route.path, a.personalTeamId, {}));
      const identityRoute = /\/(members|invitations|api-keys)\//.test(route.path);
      if (withB.status < 400 || withB.status !== withNothing.status || withB.body.code !== withNothing.body.code || (identityRoute && withB.status !== 404)) {
        failures.push(`A user in A: ${key(route)} → ${withB.status} ${withB.body.code ?? ''} (made-up ids: ${withNothing.status} ${withNothing.body.code ?? ''})`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('left team B exactly as it was', async () => {
    const team = await b.client.get(`/api/v1/teams/${bTeamId}`);
    expect(team.body.name).toBe('Team B');
    const members = await b.client.get(`/api/v1/teams/${bTeamId}/members`);
    expect(members.body.items.map((m: { userId: string; role: string }) => [m.userId, m.role]).sort()).toEqual([[b.user.id, 'owner'], [bResources.userId, 'editor']].sort());
    expect((await b.client.get(`/api/v1/teams/${bTeamId}/invitations`)).body.items).toHaveLength(1);
    expect((await b.client.get(`/api/v1/teams/${bTeamId}/api-keys`)).body.items).toHaveLength(1);
    expect((await new Client(t.app, { token: bResources.bKey }).get(`/api/v1/teams/${bTeamId}`)).status).toBe(403); // valid key, people-only route
    if (bResources.id) expect((await b.client.get(`/api/v1/teams/${bTeamId}/workflows/${bResources.id}`)).status).toBe(200);
  });

  it('documents every identity route it serves in the OpenAPI document', async () => {
    const documented = new Set(openApiRoutes((await new Client(t.app).get('/api/v1/openapi.json')).body).map(key));
    const identity = (r: RouteEntry) => /^\/api\/v1\/(auth|me|invitations)\b|^\/api\/v1\/teams($|\/\{teamId\}($|\/(members|invitations|api-keys|usage)))/.test(r.path);
    const undocumented = expressRoutes(t.app).filter(identity).map(key).filter((k) => !documented.has(k));
    expect(undocumented).toEqual([]);
  });
});
