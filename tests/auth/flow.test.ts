// The account flow over HTTP, on SQLite and on PostgreSQL: register → verification email (read
// from a real SMTP server) → verify → login → me → logout; identical failures for an unknown
// email and a wrong password; the login history; cookies and CSRF; password change.
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testDatabases } from '../support/env.ts';
import { Client, cookieFrom, GOOD_PASSWORD, signUp, uniqueEmail } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';

describe.each(testDatabases)('accounts on %s', (_name, databaseUrl) => {
  let smtp: TestSmtp;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp(testConfig({ DATABASE_URL: await databaseUrl(), SMTP_URL: smtp.url, PUBLIC_URL: 'http://app.trellis.test' }));
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('register → verify → login → me → logout', async () => {
    const client = new Client(t.app);
    const email = uniqueEmail('ada');

    const registered = await client.post('/api/v1/auth/register', { email, password: GOOD_PASSWORD, name: 'Ada Lovelace' });
    expect(registered.status).toBe(202);
    expect(registered.body).toEqual({ status: 'accepted' });

    // Not verified yet: the right password is not enough.
    const early = await client.post('/api/v1/auth/login', { email, password: GOOD_PASSWORD });
    expect(early.status).toBe(403);
    expect(early.body.code).toBe('email_not_verified');

    const mail = await smtp.waitFor(email, { subject: /confirm your email/i });
    expect(mail.from).toBe('no-reply@trellis.local');
    const link = new URL(mail.links.find((l) => l.includes('/verify-email'))!);
    expect(link.origin).toBe('http://app.trellis.test');
    const token = link.searchParams.get('token')!;

    const verified = await client.post('/api/v1/auth/verify-email', { token });
    expect(verified.status).toBe(200);
    expect(verified.body.user.emailVerified).toBe(true);
    const again = await client.post('/api/v1/auth/verify-email', { token });
    expect(again.status).toBe(400);
    expect(again.body.code).toBe('invalid_token');

    // Email addresses are case-insensitive.
    const login = await client.post('/api/v1/auth/login', { email: email.toUpperCase(), password: GOOD_PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body.token).toMatch(/^[a-z2-7]+\.[a-z2-7]+$/);
    expect(login.body.user.email).toBe(email.toLowerCase());
    const cookie = cookieFrom(login, 'trellis_session');
    expect(cookie?.value).toBe(login.body.token);
    expect(cookie?.attributes).toMatch(/HttpOnly/);
    expect(cookie?.attributes).toMatch(/SameSite=Lax/);
    expect(cookie?.attributes).toMatch(/Path=\//);
    expect(cookie?.attributes).not.toMatch(/Secure/); // http:// PUBLIC_URL outside production

    const bearer = client.withToken(login.body.token);
    const me = await bearer.get('/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ email: email.toLowerCase(), emailVerified: true });
    expect(me.body.teams).toEqual([expect.objectContaining({ name: "Ada Lovelace's team", role: 'owner', personal: true, plan: 'free' })]);

    const viaCookie = await client.get('/api/v1/me').set('Cookie', `trellis_session=${login.body.token}`);
    expect(viaCookie.status).toBe(200);
    expect(viaCookie.body.user.id).toBe(me.body.user.id);

    const logout = await bearer.post('/api/v1/auth/logout');
    expect(logout.status).toBe(204);
    const after = await bearer.get('/api/v1/me');
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('invalid_session');
    expect(after.headers['content-type']).toMatch(/application\/problem\+json/);
    const cookieAfter = await client.get('/api/v1/me').set('Cookie', `trellis_session=${login.body.token}`);
    expect(cookieAfter.status).toBe(401);
  });

  it('answers an unknown email exactly like a wrong password, and records both attempts', async () => {
    const { client, email } = await signUp(t.app, smtp);
    const anonymous = new Client(t.app, { ip: client.ip });
    const wrong = await anonymous.post('/api/v1/auth/login', { email, password: 'not-the-password-at-all' });
    const unknown = await anonymous.post('/api/v1/auth/login', { email: uniqueEmail('nobody'), password: 'not-the-password-at-all' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const strip = (body: Record<string, unknown>) => ({ ...body, requestId: undefined });
    expect(strip(wrong.body)).toEqual(strip(unknown.body));
    expect(wrong.body.code).toBe('invalid_credentials');

    const logins = await client.get('/api/v1/me/logins').set('User-Agent', 'jest');
    expect(logins.status).toBe(200);
    expect(logins.body.items).toHaveLength(2);
    expect(logins.body.items).toEqual(expect.arrayContaining([
      expect.objectContaining({ method: 'password', success: false, reason: 'wrong_password', ip: client.ip }),
      expect.objectContaining({ method: 'password', success: true, reason: null, ip: client.ip }),
    ]));
    expect(logins.body.items[0].time).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(logins.body.items[0].time >= logins.body.items[1].time).toBe(true);

    const page = await client.get('/api/v1/me/logins?limit=1');
    expect(page.body.items).toHaveLength(1);
    expect(page.body.nextCursor).toEqual(expect.any(String));
    const next = await client.get(`/api/v1/me/logins?limit=1&cursor=${page.body.nextCursor}`);
    expect(next.body.items[0].id).toBe(logins.body.items[1].id);
    expect((await client.get('/api/v1/me/logins?cursor=garbage')).status).toBe(400);
  });

  it('never makes a second account for the same email in another case (the owner is told, the caller is not); refuses weak passwords', async () => {
    const { email, password, user } = await signUp(t.app, smtp, { name: 'Owner' });
    const client = new Client(t.app);
    const fresh = await client.post('/api/v1/auth/register', { email: uniqueEmail(), password: GOOD_PASSWORD, name: 'X' });
    const duplicate = await client.post('/api/v1/auth/register', { email: email.toUpperCase(), password: 'another-good-password-2', name: 'X' });
    expect(duplicate.status).toBe(fresh.status);
    expect(duplicate.body).toEqual(fresh.body);
    const notice = await smtp.waitFor(email, { subject: /tried to sign up/i });
    expect(notice.body).toMatch(/Hello Owner,/);
    expect(notice.links.some((l) => l.endsWith('/forgot-password'))).toBe(true);
    // The account and its password are unchanged.
    const login = await client.post('/api/v1/auth/login', { email, password });
    expect(login.status).toBe(200);
    expect(login.body.user.id).toBe(user.id);
    expect((await client.post('/api/v1/auth/login', { email, password: 'another-good-password-2' })).status).toBe(401);

    const short = await client.post('/api/v1/auth/register', { email: uniqueEmail(), password: 'short', name: 'X' });
    expect(short.status).toBe(400);
    expect(short.body).toMatchObject({ code: 'weak_password', problems: [{ path: 'password', message: expect.stringMatching(/at least 12/) }] });
    const common = await client.post('/api/v1/auth/register', { email: uniqueEmail(), password: 'Password1234', name: 'X' });
    expect(common.status).toBe(400);
    expect(common.body.problems[0].message).toMatch(/common/);
    const invalid = await client.post('/api/v1/auth/register', { email: 'not-an-email', password: GOOD_PASSWORD });
    expect(invalid.status).toBe(400);
    expect(invalid.body.problems.map((p: { path: string }) => p.path).sort()).toEqual(['email', 'name']);
  });

  it('protects cookie-authenticated writes against cross-site requests (Origin check)', async () => {
    const { token } = await signUp(t.app, smtp);
    const client = new Client(t.app);
    const cookie = `trellis_session=${token}`;
    const evil = await client.post('/api/v1/teams', { name: 'Evil' }).set('Cookie', cookie).set('Origin', 'https://evil.example');
    expect(evil.status).toBe(403);
    expect(evil.body.code).toBe('csrf_origin_mismatch');
    const evilReferer = await client.post('/api/v1/teams', { name: 'Evil' }).set('Cookie', cookie).set('Referer', 'https://evil.example/page');
    expect(evilReferer.status).toBe(403);
    const fromApp = await client.post('/api/v1/teams', { name: 'Mine' }).set('Cookie', cookie).set('Origin', 'http://app.trellis.test');
    expect(fromApp.status).toBe(201);
    // A bearer token is never sent by a browser on its own: no CSRF risk, no Origin check.
    const bearer = await client.withToken(token).post('/api/v1/teams', { name: 'Script' });
    expect(bearer.status).toBe(201);
    // But a page on another origin never acts with a session, even reading (ADR 039): its
    // session token is refused and its cookie not read; tests/api/cors.test.ts has the rest.
    const elsewhere = await client.withToken(token).post('/api/v1/teams', { name: 'Script' }).set('Origin', 'https://evil.example');
    expect(elsewhere.body.code).toBe('cross_origin_session');
    expect((await client.get('/api/v1/me').set('Cookie', cookie).set('Origin', 'https://evil.example')).status).toBe(401);
  });

  it('changing the password revokes every session and signs this client in again', async () => {
    const { client, email } = await signUp(t.app, smtp);
    const other = await new Client(t.app).post('/api/v1/auth/login', { email, password: GOOD_PASSWORD });
    const otherClient = new Client(t.app, { token: other.body.token });
    expect((await otherClient.get('/api/v1/me')).status).toBe(200);
    const sessions = await client.get('/api/v1/me/sessions');
    expect(sessions.body.items).toHaveLength(2);
    expect(sessions.body.items.filter((s: { current: boolean }) => s.current)).toHaveLength(1);

    const wrong = await client.post('/api/v1/me/password', { currentPassword: 'nope-nope-nope', newPassword: 'violet-anchor-river-42' });
    expect(wrong.status).toBe(403);
    const changed = await client.post('/api/v1/me/password', { currentPassword: GOOD_PASSWORD, newPassword: 'violet-anchor-river-42' });
    expect(changed.status).toBe(200);
    expect((await client.get('/api/v1/me')).status).toBe(401);
    expect((await otherClient.get('/api/v1/me')).status).toBe(401);
    expect((await client.withToken(changed.body.token).get('/api/v1/me')).status).toBe(200);
    expect((await new Client(t.app).post('/api/v1/auth/login', { email, password: GOOD_PASSWORD })).status).toBe(401);
    expect((await new Client(t.app).post('/api/v1/auth/login', { email, password: 'violet-anchor-river-42' })).status).toBe(200);
  });

  it('updates the profile and revokes a single session', async () => {
    const { client, email } = await signUp(t.app, smtp);
    const patched = await client.patch('/api/v1/me', { name: 'Grace', timezone: 'Europe/Paris', locale: 'fr-FR', avatarUrl: 'https://img.example/a.png' });
    expect(patched.status).toBe(200);
    expect(patched.body.user).toMatchObject({ name: 'Grace', timezone: 'Europe/Paris', locale: 'fr-FR', avatarUrl: 'https://img.example/a.png' });
    expect((await client.patch('/api/v1/me', { timezone: 'Mars/Olympus' })).status).toBe(400);
    expect((await client.patch('/api/v1/me', { email: 'x@y.z' })).status).toBe(400);

    const second = await new Client(t.app).post('/api/v1/auth/login', { email, password: GOOD_PASSWORD });
    const list = await client.get('/api/v1/me/sessions');
    const other = list.body.items.find((s: { current: boolean }) => !s.current);
    expect((await client.delete(`/api/v1/me/sessions/${other.id}`)).status).toBe(204);
    expect((await new Client(t.app, { token: second.body.token }).get('/api/v1/me')).status).toBe(401);
    expect((await client.delete(`/api/v1/me/sessions/${other.id}`)).status).toBe(404);
  });

  it('answers 401 without credentials and for a malformed Authorization header', async () => {
    const client = new Client(t.app);
    const none = await client.get('/api/v1/me');
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('unauthenticated');
    expect(none.headers['www-authenticate']).toMatch(/Bearer/);
    expect((await client.get('/api/v1/me').set('Authorization', 'Basic abc')).status).toBe(401);
    expect((await client.get('/api/v1/me').set('Authorization', 'Bearer nonsense')).status).toBe(401);
    // A stale cookie is not an error on a public endpoint: the client is simply signed out.
    const stale = await client.post('/api/v1/auth/password-reset', { email: uniqueEmail() }).set('Cookie', 'trellis_session=abc.def');
    expect(stale.status).toBe(202);
  });
});
