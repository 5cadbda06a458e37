// API keys over HTTP, on SQLite and PostgreSQL: shown once, stored hashed with a visible prefix,
// scopes enforced (a runs:read key cannot create workflows), confined to their team and able to
// tell which it is, last-used
// time kept, refused from the very next request once revoked or expired, and revoked when their
// creator leaves the team or loses the role that could create them.
import request from 'supertest';
import { createOrm, isPostgresUrl, migrate } from '../../core/db/orm.ts';
import { ApiKey } from '../../core/keys/entities.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testDatabases } from '../support/env.ts';
import { guardProbe } from '../support/guard-probe.ts';
import { Client, signUp, type SignedUp } from '../support/identity.ts';
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

  it('a key asks which key it is and which team it belongs to; a session is told to ask /me', async () => {
    const { client, personalTeamId } = await signUp(t.app, smtp, { name: 'Keyholder' });
    const { key, id, prefix } = (await client.post(`/api/v1/teams/${personalTeamId}/api-keys`, { name: 'deploy', scopes: ['workflows:read'] })).body;
    const current = await new Client(t.app, { token: key }).get('/api/v1/api-key');
    expect(current.status).toBe(200);
    expect(current.headers['cache-control']).toBe('no-store');
    expect(current.body).toMatchObject({ id, name: 'deploy', prefix, scopes: ['workflows:read'], team: { id: personalTeamId, name: "Keyholder's team" } });
    expect(JSON.stringify(current.body)).not.toContain(key);
    const session = await client.get('/api/v1/api-key');
    expect(session.status).toBe(403);
    expect(session.body.code).toBe('api_key_required');
    expect((await new Client(t.app).get('/api/v1/api-key')).status).toBe(401);
    // Revoked: the key no longer says anything.
    await client.delete(`/api/v1/teams/${personalTeamId}/api-keys/${id}`);
    expect((await new Client(t.app, { token: key }).get('/api/v1/api-key')).body.code).toBe('invalid_api_key');
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
    // At most one write a minute per key: a second use right after leaves the time as it was.
    await request(probe).get(`/api/v1/teams/${personalTeamId}/runs`).set({ Authorization: `Bearer ${key}` });
    expect((await client.get(`/api/v1/teams/${personalTeamId}/api-keys`)).body.items.find((k: { id: string }) => k.id === id).lastUsedAt).toBe(listed.lastUsedAt);
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

  const DAY = 24 * 60 * 60 * 1000;

  it('every key expires: 90 days by default, at most 365; an expired key answers 401 api_key_expired', async () => {
    const { client, personalTeamId } = await signUp(t.app, smtp);
    const base = `/api/v1/teams/${personalTeamId}/api-keys`;
    const before = Date.now();
    const plain = await client.post(base, { name: 'default', scopes: ['runs:read'] });
    expect(plain.status).toBe(201);
    expect(new Date(plain.body.expiresAt).getTime()).toBeGreaterThanOrEqual(before + 90 * DAY - 1000);
    expect(new Date(plain.body.expiresAt).getTime()).toBeLessThanOrEqual(Date.now() + 90 * DAY);
    expect(plain.body.expired).toBe(false);

    const chosen = new Date(Date.now() + 7 * DAY).toISOString();
    const week = await client.post(base, { name: 'week', scopes: ['runs:read'], expiresAt: chosen });
    expect(week.body.expiresAt).toBe(chosen);
    for (const expiresAt of [new Date(Date.now() + 366 * DAY).toISOString(), new Date(Date.now() - 1000).toISOString()]) {
      const refused = await client.post(base, { name: 'bad', scopes: ['runs:read'], expiresAt });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ code: 'invalid_expiry', problems: [{ path: 'expiresAt' }] });
    }
    expect((await client.post(base, { name: 'bad', scopes: ['runs:read'], expiresAt: 'next tuesday' })).status).toBe(400);

    const auth = { Authorization: `Bearer ${week.body.key}` };
    expect((await request(probe).get(`/api/v1/teams/${personalTeamId}/runs`).set(auth)).status).toBe(200);
    // A week later (the row moved back in time rather than the clock forward).
    await t.orm.em.fork().nativeUpdate(ApiKey, { id: week.body.id }, { expiresAt: new Date(Date.now() - 1000) });
    const expired = await request(probe).get(`/api/v1/teams/${personalTeamId}/runs`).set(auth);
    expect(expired.status).toBe(401);
    expect(expired.body.code).toBe('api_key_expired');
    expect(expired.headers['content-type']).toMatch(/application\/problem\+json/);
    const listed = (await client.get(base)).body.items.find((k: { id: string }) => k.id === week.body.id);
    expect(listed).toMatchObject({ expired: true, lastUsedAt: expect.any(String) });
  });

  it('the migration revokes existing keys whose creator already left the team or lost the admin role', async () => {
    const orm = await createOrm(await databaseUrl());
    try {
      await orm.migrator.up({ to: 'm004-triggers' });
      const conn = orm.em.getConnection();
      const now = isPostgresUrl(orm.config.get('clientUrl') ?? '') ? new Date() : Date.now();
      await conn.execute('insert into "user_account" ("id", "email", "name", "created_at", "updated_at") values (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)', ['usr_a', 'a@x.test', 'A', now, now, 'usr_b', 'b@x.test', 'B', now, now]);
      await conn.execute('insert into "team" ("id", "name", "personal", "plan", "created_at") values (?, ?, ?, ?, ?)', ['team_k', 'K', false, 'free', now]);
      await conn.execute('insert into "membership" ("id", "team_id", "user_id", "role", "created_at") values (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)', ['mem_a', 'team_k', 'usr_a', 'admin', now, 'mem_b', 'team_k', 'usr_b', 'viewer', now]);
      const key = (id: string, createdBy: string) => [id, 'team_k', id, 'trk_x', `${id}`.padEnd(64, '0'), '["runs:read"]', createdBy, now];
      await conn.execute('insert into "api_key" ("id", "team_id", "name", "prefix", "key_hash", "scopes", "created_by_id", "created_at") values (?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?)', [...key('key_admin', 'usr_a'), ...key('key_demoted', 'usr_b')]);
      await migrate(orm);
      const rows = await orm.em.fork().find(ApiKey, { team: 'team_k' }, { orderBy: { id: 'asc' } });
      expect(rows.map((r) => [r.id, r.revokedAt !== null, r.expiresAt])).toEqual([['key_admin', false, null], ['key_demoted', true, null]]);
    } finally {
      await orm.close();
    }
  });

  describe('when the creator leaves or is demoted', () => {
    async function teamWithAdmin(): Promise<{ owner: SignedUp; admin: SignedUp; teamId: string }> {
      const [owner, admin] = await Promise.all([signUp(t.app, smtp), signUp(t.app, smtp)]);
      const teamId = (await owner.client.post('/api/v1/teams', { name: 'Keys Inc' })).body.id as string;
      expect((await owner.client.post(`/api/v1/teams/${teamId}/invitations`, { email: admin.email, role: 'admin' })).status).toBe(201);
      const token = (await smtp.linkFor(admin.email, '/invitations/', { subject: /invited you/ })).pathname.split('/').pop()!;
      expect((await admin.client.post(`/api/v1/invitations/${token}/accept`)).status).toBe(200);
      return { owner, admin, teamId };
    }
    const everyScope = ['workflows:read', 'workflows:write', 'runs:read', 'runs:write'];

    it.each([
      ['removed by an owner', (owner: SignedUp, admin: SignedUp, teamId: string) => owner.client.delete(`/api/v1/teams/${teamId}/members/${admin.user.id}`)],
      ['leaving', (_owner: SignedUp, admin: SignedUp, teamId: string) => admin.client.delete(`/api/v1/teams/${teamId}/members/${admin.user.id}`)],
      ['demoted to editor', (owner: SignedUp, admin: SignedUp, teamId: string) => owner.client.patch(`/api/v1/teams/${teamId}/members/${admin.user.id}`, { role: 'editor' })],
    ])('%s: the keys they created are revoked, the others stay', async (_how, change) => {
      const { owner, admin, teamId } = await teamWithAdmin();
      const theirs = (await admin.client.post(`/api/v1/teams/${teamId}/api-keys`, { name: 'admin key', scopes: everyScope })).body;
      const ownersKey = (await owner.client.post(`/api/v1/teams/${teamId}/api-keys`, { name: 'owner key', scopes: ['workflows:read'] })).body;
      // The admin's key in their personal team is not this team's business.
      const personal = (await admin.client.post(`/api/v1/teams/${admin.personalTeamId}/api-keys`, { name: 'mine', scopes: ['runs:read'] })).body;
      expect((await new Client(t.app, { token: theirs.key }).get(`/api/v1/teams/${teamId}/workflows`)).status).toBe(200);

      expect([200, 204]).toContain((await change(owner, admin, teamId)).status);

      const refused = await new Client(t.app, { token: theirs.key }).get(`/api/v1/teams/${teamId}/workflows`);
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('invalid_api_key');
      expect((await new Client(t.app, { token: ownersKey.key }).get(`/api/v1/teams/${teamId}/workflows`)).status).toBe(200);
      expect((await new Client(t.app, { token: personal.key }).get(`/api/v1/teams/${admin.personalTeamId}/runs`)).status).toBe(200);
      expect((await owner.client.get(`/api/v1/teams/${teamId}/api-keys`)).body.items.map((k: { id: string }) => k.id)).toEqual([ownersKey.id]);
    });

    it('a change between roles that may create keys (admin to owner) keeps them', async () => {
      const { owner, admin, teamId } = await teamWithAdmin();
      const theirs = (await admin.client.post(`/api/v1/teams/${teamId}/api-keys`, { name: 'admin key', scopes: ['workflows:read'] })).body;
      expect((await owner.client.patch(`/api/v1/teams/${teamId}/members/${admin.user.id}`, { role: 'owner' })).status).toBe(200);
      expect((await new Client(t.app, { token: theirs.key }).get(`/api/v1/teams/${teamId}/workflows`)).status).toBe(200);
    });
  });
});
