// The instance admin over HTTP, on SQLite and PostgreSQL: the first registered user and the
// addresses of TRELLIS_ADMIN_EMAILS list every team with this month's usage and change a team's
// plan; everyone else (other users, API keys, no credentials) is refused with a typed problem.
import { ConfigError, loadConfig } from '../../core/config.ts';
import { createUsageService } from '../../core/usage/service.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testDatabases } from '../support/env.ts';
import { Client, signUp, uniqueEmail, type SignedUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';

describe.each(testDatabases)('instance admin on %s', (_name, databaseUrl) => {
  let smtp: TestSmtp;
  let t: TestApp;
  let first: SignedUp;
  let listed: SignedUp;
  let someone: SignedUp;
  const listedEmail = uniqueEmail('operator');

  beforeAll(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp(testConfig({ DATABASE_URL: await databaseUrl(), SMTP_URL: smtp.url, TRELLIS_ADMIN_EMAILS: ` someone@else.test , ${listedEmail.toUpperCase()}` }));
    // A fresh database: the first to register is the first user of the instance.
    first = await signUp(t.app, smtp, { name: 'First' });
    [listed, someone] = await Promise.all([signUp(t.app, smtp, { email: listedEmail, name: 'Listed' }), signUp(t.app, smtp, { name: 'Someone' })]);
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('says in /me who is an instance admin', async () => {
    expect((await first.client.get('/api/v1/me')).body.instanceAdmin).toBe(true);
    expect((await listed.client.get('/api/v1/me')).body.instanceAdmin).toBe(true);
    expect((await someone.client.get('/api/v1/me')).body.instanceAdmin).toBe(false);
  });

  it('lists every team with its plan and this month\'s usage', async () => {
    await createUsageService({ orm: t.orm }).record(someone.personalTeamId, { runs: 3, nodeExecutions: 7, aiTokens: 120, costUsd: 0.25 });
    const all = await listed.client.get('/api/v1/admin/teams?limit=100');
    expect(all.status).toBe(200);
    const ids = all.body.items.map((team: { id: string }) => team.id);
    expect(ids).toEqual(expect.arrayContaining([first.personalTeamId, listed.personalTeamId, someone.personalTeamId]));
    const team = all.body.items.find((item: { id: string }) => item.id === someone.personalTeamId);
    expect(team).toMatchObject({ name: "Someone's team", plan: 'free', personal: true, members: 1, usage: { runs: 3, nodeExecutions: 7, aiTokens: 120, costUsd: 0.25 } });
    expect(team.limits.runsPerMonth).toBe(1_000);
    expect(new Date(team.usage.period.start).getUTCDate()).toBe(1);
    // Pages and a search by name, any case.
    const firstPage = await first.client.get('/api/v1/admin/teams?limit=2');
    expect(firstPage.body.items).toHaveLength(2);
    const secondPage = await first.client.get(`/api/v1/admin/teams?limit=2&cursor=${firstPage.body.nextCursor}`);
    expect(secondPage.body.nextCursor).toBeNull();
    expect([...firstPage.body.items, ...secondPage.body.items].map((item: { id: string }) => item.id).sort()).toEqual([...ids].sort());
    const search = await first.client.get('/api/v1/admin/teams?q=SOMEONE');
    expect(search.body.items.map((item: { id: string }) => item.id)).toEqual([someone.personalTeamId]);
    const bad = await first.client.get('/api/v1/admin/teams?limit=1000');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_query');
  });

  it('changes a team\'s plan, and the team\'s own limits follow', async () => {
    const changed = await first.client.patch(`/api/v1/admin/teams/${someone.personalTeamId}`, { plan: 'pro' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ id: someone.personalTeamId, plan: 'pro', limits: { runsPerMonth: 50_000 } });
    const usage = await someone.client.get(`/api/v1/teams/${someone.personalTeamId}/usage`);
    expect(usage.body).toMatchObject({ plan: 'pro', limits: { concurrentRuns: 20 } });
    expect((await listed.client.patch(`/api/v1/admin/teams/${someone.personalTeamId}`, { plan: 'free' })).body.plan).toBe('free');
  });

  it('refuses bad plans with problem+json naming the field, and unknown teams with 404', async () => {
    for (const body of [{ plan: 'gold' }, {}, { plan: 'pro', name: 'x' }, { plan: ['pro'] }]) {
      const refused = await first.client.patch(`/api/v1/admin/teams/${someone.personalTeamId}`, body);
      expect(refused.status).toBe(400);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body.code).toBe('invalid_request');
      expect(refused.body.problems.length).toBeGreaterThan(0);
    }
    expect((await first.client.patch(`/api/v1/admin/teams/${someone.personalTeamId}`, { plan: 'gold' })).body.problems[0].path).toBe('plan');
    const missing = await first.client.patch('/api/v1/admin/teams/team_doesnotexist', { plan: 'pro' });
    expect(missing.status).toBe(404);
    expect((await someone.client.get(`/api/v1/teams/${someone.personalTeamId}`)).body.plan).toBe('free');
  });

  it('refuses everyone else: 403 instance_admin_required for users and API keys, 401 without credentials', async () => {
    for (const call of [someone.client.get('/api/v1/admin/teams'), someone.client.patch(`/api/v1/admin/teams/${someone.personalTeamId}`, { plan: 'enterprise' })]) {
      const refused = await call;
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('instance_admin_required');
    }
    // An API key of the first user's team is still not the first user.
    const key = await first.client.post(`/api/v1/teams/${first.personalTeamId}/api-keys`, { name: 'ops', scopes: ['workflows:read', 'workflows:write', 'runs:read', 'runs:write'] });
    expect(key.status).toBe(201);
    const byKey = await new Client(t.app, { token: key.body.key as string }).get('/api/v1/admin/teams');
    expect(byKey.status).toBe(403);
    expect(byKey.body.code).toBe('instance_admin_required');
    const anonymous = await new Client(t.app).get('/api/v1/admin/teams');
    expect(anonymous.status).toBe(401);
    expect((await new Client(t.app).patch(`/api/v1/admin/teams/${someone.personalTeamId}`, { plan: 'pro' })).status).toBe(401);
    expect((await someone.client.get(`/api/v1/teams/${someone.personalTeamId}`)).body.plan).toBe('free');
  });
});

describe('TRELLIS_ADMIN_EMAILS', () => {
  it('is a comma-separated list of addresses, compared lower-case; anything else names the variable', () => {
    expect(loadConfig({ TRELLIS_ADMIN_EMAILS: ' Ops@Example.test,, second@example.test ' }).admin.emails).toEqual(['ops@example.test', 'second@example.test']);
    expect(loadConfig({}).admin.emails).toEqual([]);
    let error: unknown;
    try {
      loadConfig({ TRELLIS_ADMIN_EMAILS: 'ops@example.test, not an address' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.variable)).toEqual(['TRELLIS_ADMIN_EMAILS']);
  });
});
