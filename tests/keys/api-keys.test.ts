// API keys over HTTP, on SQLite and PostgreSQL: shown once, stored hashed with a visible prefix,
// scopes enforced (a runs:read key cannot create workflows), confined to their team, last-used
// time kept, and refused from the very next request once revoked.
import request from 'supertest';
import { ApiKey } from '../../core/keys/entities.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testDatabases } from '../support/env.ts';
import { guardProbe } from '../support/guard-probe.ts';
import { Client, signUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';

describe.each(testDatabases)('API keys on %s', (_name, databaseUrl) => {
  let smtp: TestSmtp;
  let t: TestApp;
  let probe: ReturnType<typeof guardProbe>;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    const config = testConfig({ DATABASE_URL: await databaseUrl(), SMTP_URL: smtp.url });
    t = await createTestApp(config);
    probe = guardProbe({ config, orm: t.orm, redis: t.redis });
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('shows the key once; lists keep only the prefix; the database keeps only a hash', async () => {
    const { client, personalTeamId } = await signUp(t.app, smtp);
    const created = await client.post(`/api/v1/teams/${personalTeamId}/api-keys`, { name: 'CI', scopes: ['runs:write', 'runs:read', 'runs:read'] });
    expect(created.status).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const { key, prefix, id } = created.body;
    expect(key).toMatch(/^trk_[a-z2-7]{32}$/);
    expect(prefix).toBe(key.slice(0, 12));
    expect(created.body).toMatchObject({ name: 'CI', scopes: ['runs:read', 'runs:write'], lastUsedAt: null });

    const list = await client.get(`/api/v1/teams/${personalTeamId}/api-keys`);
    expect(list.body.items).toEqual([expect.objectContaining({ id, name: 'CI', prefix })]);
    expect(JSON.stringify(list.body)).not.toContain(key);
    expect(list.body.items[0]).not.toHaveProperty('key');

    const row = await t.orm.em.fork().findOneOrFail(ApiKey, { id });
    expect(JSON.stringify(row)).not.toContain(key);
    expect(row.keyHash).toMatch(/^[0-9a-f]{64}$/);

    expect((await client.post(`/api/v1/teams/${personalTeamId}/api-keys`, { name: 'bad', scopes: ['admin:everything'] })).status).toBe(400);
    expect((await client.post(`/api/v1/teams/${personalTeamId}/api-keys`, { name: 'none', scopes: [] })).status).toBe(400);
  });

  it('a key scoped runs:read reads runs but cannot create workflows or start runs', async () => {
    const { client, personalTeamId } = await signUp(t.app, smtp);
    const { key } = (await client.post(`/api/v1/teams/${personalTeamId}/api-keys`, { name: 'reader', scopes: ['runs:read'] })).body;
    const auth = { Authorization: `Bearer ${key}` };
    expect((await request(probe).get(`/api/v1/teams/${personalTeamId}/runs`).set(auth)).status).toBe(200);
    const create = await request(probe).post(`/api/v1/teams/${personalTeamId}/workflows`).set(auth).send({ name: 'x' });
    expect(create.status).toBe(403);
    expect(create.body.code).toBe('insufficient_scope');
    expect(create.body.detail).toMatch(/workflows:write/);
    expect((await request(probe).get(`/api/v1/teams/${personalTeamId}/workflows`).set(auth)).status).toBe(403);
    expect((await request(probe).post(`/api/v1/teams/${personalTeamId}/workflows/wf_1/runs`).set(auth)).status).toBe(403);

    // And on the real workflow route of the api.
    const real = await new Client(t.app, { token: key }).post(`/api/v1/teams/${personalTeamId}/workflows`, { name: 'x', graph: { nodes: [], edges: [] } });
    expect(real.status).toBe(403);
    expect(real.body.code).toBe('insufficient_scope');

    const writer = (await client.post(`/api/v1/teams/${personalTeamId}/api-keys`, { name: 'writer', scopes: ['workflows:write'] })).body.key;
    expect((await request(probe).post(`/api/v1/teams/${personalTeamId}/workflows`).set({ Authorization: `Bearer ${writer}` })).status).toBe(201);
  });

  it('keys act for people only where the table allows keys at all', async () => {
    const { client, personalTeamId } = await signUp(t.app, smtp);
    const { key } = (await client.post(`/api/v1/teams/${personalTeamId}/api-keys`, { name: 'all', scopes: ['workflows:read', 'workflows:write', 'runs:read', 'runs:write'] })).body;
    const keyClient = new Client(t.app, { token: key });
    const me = await keyClient.get('/api/v1/me');
    expect(me.status).toBe(403);
    expect(me.body.code).toBe('user_session_required');
    // Keys cannot manage keys or members, whatever their scopes.
    expect((await keyClient.post(`/api/v1/teams/${personalTeamId}/api-keys`, { name: 'child', scopes: ['runs:read'] })).status).toBe(403);
    expect((await keyClient.get(`/api/v1/teams/${personalTeamId}/members`)).status).toBe(403);
    expect((await keyClient.post('/api/v1/teams', { name: 'x' })).status).toBe(403);
  });

  it('records when a key was last used', async () => {
    const { client, personalTeamId } = await signUp(t.app, smtp);
    const { key, id } = (await client.post(`/api/v1/teams/${personalTeamId}/api-keys`, { name: 'ci', scopes: ['runs:read'] })).body;
    const before = Date.now();
    await request(probe).get(`/api/v1/teams/${personalTeamId}/runs`).set({ Authorization: `Bearer ${key}` });
    const listed = (await client.get(`/api/v1/teams/${personalTeamId}/api-keys`)).body.items.find((k: { id: string }) => k.id === id);
    expect(new Date(listed.lastUsedAt).getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  it('a revoked key is refused from the very next request', async () => {
    const { client, personalTeamId } = await signUp(t.app, smtp);
    const { key, id } = (await client.post(`/api/v1/teams/${personalTeamId}/api-keys`, { name: 'temp', scopes: ['runs:read'] })).body;
    const auth = { Authorization: `Bearer ${key}` };
    expect((await request(probe).get(`/api/v1/teams/${personalTeamId}/runs`).set(auth)).status).toBe(200);
    expect((await client.delete(`/api/v1/teams/${personalTeamId}/api-keys/${id}`)).status).toBe(204);
    const refused = await request(probe).get(`/api/v1/teams/${personalTeamId}/runs`).set(auth);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_api_key');
    expect((await new Client(t.app, { token: key }).get(`/api/v1/teams/${personalTeamId}`)).status).toBe(401);
    expect((await client.get(`/api/v1/teams/${personalTeamId}/api-keys`)).body.items).toEqual([]);
    expect((await client.delete(`/api/v1/teams/${personalTeamId}/api-keys/${id}`)).status).toBe(404);
  });
});
