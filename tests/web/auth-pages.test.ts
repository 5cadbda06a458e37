// The account pages' loaders and actions against a real API (SQLite, a real SMTP server): sign up,
// confirm the emailed link, log in (the session cookie handed on, `next` kept on this site), log
// out, forgotten password, the account page (history, sessions, password change), the instance
// admin page, a new team and an invitation. What the browser sees of them is the e2e suite's part.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig } from '../support/env.ts';
import { GOOD_PASSWORD, uniqueEmail } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';

// The web modules read API_URL on first use, so they are imported once it is set.
type Module = { loader?: (args: never) => unknown; action?: (args: never) => unknown };
let pages: Record<'login' | 'register' | 'verify' | 'forgot' | 'reset' | 'logout' | 'invitation' | 'account' | 'teamsNew' | 'admin', Module>;

const WEB = 'http://localhost:3000';
const ADMIN_EMAIL = uniqueEmail('web-admin');

function post(path: string, fields: Record<string, string>, cookie?: string): Request {
  return new Request(`${WEB}${path}`, {
    method: 'POST',
    body: new URLSearchParams(fields),
    headers: { origin: WEB, 'user-agent': 'auth-pages-test', ...(cookie ? { cookie } : {}) },
  });
}

function get(path: string, cookie?: string): Request {
  return new Request(`${WEB}${path}`, { headers: { 'user-agent': 'auth-pages-test', ...(cookie ? { cookie } : {}) } });
}

/** Runs a loader or action; a thrown Response (redirect) comes back like a returned one. */
async function run(fn: ((args: never) => unknown) | undefined, request: Request, params: Record<string, string> = {}): Promise<unknown> {
  try {
    return await fn!({ request, params, context: {} } as never);
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}

function asResponse(value: unknown): Response {
  expect(value).toBeInstanceOf(Response);
  return value as Response;
}

/** The `trellis_session=…` pair of a response's Set-Cookie headers ('' when cleared). */
function sessionCookie(headers: Headers): string | undefined {
  const cookie = headers.getSetCookie().find((c) => c.startsWith('trellis_session='));
  return cookie?.split(';')[0];
}

/** Actions returning data() carry { data, init }; plain objects are the data itself. */
function payload<T>(value: unknown): T {
  const wrapped = value as { type?: string; data?: T };
  return (wrapped?.type === 'DataWithResponseInit' ? wrapped.data : value) as T;
}

describe('account pages', () => {
  let smtp: TestSmtp;
  let t: TestApp;
  let server: http.Server;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp(testConfig({ SMTP_URL: smtp.url, TRELLIS_ADMIN_EMAILS: ADMIN_EMAIL }));
    server = t.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    process.env.API_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    pages = {
      login: await import('../../web/app/routes/auth/login.tsx'),
      register: await import('../../web/app/routes/auth/register.tsx'),
      verify: await import('../../web/app/routes/auth/verify-email.tsx'),
      forgot: await import('../../web/app/routes/auth/forgot-password.tsx'),
      reset: await import('../../web/app/routes/auth/reset-password.tsx'),
      logout: await import('../../web/app/routes/auth/logout.tsx'),
      invitation: await import('../../web/app/routes/auth/invitation.tsx'),
      account: await import('../../web/app/routes/account.tsx'),
      teamsNew: await import('../../web/app/routes/teams-new.tsx'),
      admin: await import('../../web/app/routes/admin.tsx'),
    };
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await t?.close();
    await smtp?.close();
  });

  /** Register → verification link → verify → log in; returns the session cookie. */
  async function signUp(email = uniqueEmail('web')): Promise<{ email: string; cookie: string }> {
    const registered = (await run(pages.register.action, post('/register', { intent: 'register', name: 'Web Tester', email, password: GOOD_PASSWORD }))) as { registered?: boolean };
    expect(registered.registered).toBe(true);
    const link = await smtp.linkFor(email, '/verify-email');
    expect(link.pathname).toBe('/verify-email');
    const verified = (await run(pages.verify.action, post('/verify-email', { token: link.searchParams.get('token')! }))) as { verified?: boolean };
    expect(verified.verified).toBe(true);
    const login = asResponse(await run(pages.login.action, post('/login', { intent: 'login', email, password: GOOD_PASSWORD, next: '/' })));
    const cookie = sessionCookie(login.headers);
    expect(cookie).toMatch(/^trellis_session=.+/);
    return { email: email.toLowerCase(), cookie: cookie! };
  }

  it('signs up with field errors first, refuses login before the email is confirmed, and a used link twice', async () => {
    const email = uniqueEmail('signup');
    const weak = (await run(pages.register.action, post('/register', { intent: 'register', name: 'A', email, password: 'short' }))) as { problem?: { code?: string } };
    expect(weak.problem?.code).toBe('weak_password');

    const registered = (await run(pages.register.action, post('/register', { intent: 'register', name: 'Web Tester', email, password: GOOD_PASSWORD }))) as { registered?: boolean };
    expect(registered.registered).toBe(true);
    // A second sign-up with the address looks the same to the visitor; the owner gets an email.
    const twice = (await run(pages.register.action, post('/register', { intent: 'register', name: 'Web Tester', email, password: GOOD_PASSWORD }))) as { registered?: boolean };
    expect(twice.registered).toBe(true);
    await smtp.waitFor(email, { subject: /confirm your email/i });
    await smtp.waitFor(email, { subject: /tried to sign up/i });

    const early = (await run(pages.login.action, post('/login', { intent: 'login', email, password: GOOD_PASSWORD }))) as { unverified?: boolean; problem?: { detail?: string } };
    expect(early.unverified).toBe(true);
    expect(early.problem?.detail).toMatch(/confirm your email address first/i);
    const resent = (await run(pages.login.action, post('/login', { intent: 'resend', email }))) as { resent?: boolean };
    expect(resent.resent).toBe(true);

    // Only the newest link works (the resend replaced the first).
    const link = await smtp.linkFor(email, '/verify-email');
    const token = link.searchParams.get('token')!;
    expect(((await run(pages.verify.action, post('/verify-email', { token }))) as { verified?: boolean }).verified).toBe(true);
    const again = (await run(pages.verify.action, post('/verify-email', { token }))) as { problem?: { code?: string } };
    expect(again.problem?.code).toBe('invalid_token');
  });

  it('logs in to `next` on this site only, handing on the session cookie; wrong passwords say so', async () => {
    const { email, cookie } = await signUp();
    const wrong = (await run(pages.login.action, post('/login', { intent: 'login', email, password: `${GOOD_PASSWORD}x` }))) as { problem?: { detail?: string } };
    expect(wrong.problem?.detail).toMatch(/the email or the password is wrong/i);

    const toNext = asResponse(await run(pages.login.action, post('/login', { intent: 'login', email, password: GOOD_PASSWORD, next: '/account?x=1' })));
    expect(toNext.status).toBe(302);
    expect(toNext.headers.get('location')).toBe('/account?x=1');
    expect(sessionCookie(toNext.headers)).toMatch(/^trellis_session=.+/);
    for (const next of ['//evil.example', 'https://evil.example', '/\\evil.example', '/\t/evil.example', '/.//evil.example']) {
      const elsewhere = asResponse(await run(pages.login.action, post('/login', { intent: 'login', email, password: GOOD_PASSWORD, next })));
      expect(elsewhere.headers.get('location')).toBe('/');
    }

    // Signed in already: the login page sends the person on.
    expect(asResponse(await run(pages.login.loader, get('/login?next=/account', cookie))).headers.get('location')).toBe('/account');
    // The phishing link of the review (M9): a signed-in victim is not bounced to another site.
    expect(asResponse(await run(pages.login.loader, get('/login?next=/%09/evil.example', cookie))).headers.get('location')).toBe('/');
    const anonymous = (await run(pages.login.loader, get('/login?error=oauth_state_mismatch'))) as { oauthError?: string };
    expect(anonymous.oauthError).toMatch(/start again/i);
  });

  it('the account page lists sign-ins and sessions, renames, changes the password and revokes sessions', async () => {
    const { email, cookie } = await signUp();
    const second = sessionCookie(asResponse(await run(pages.login.action, post('/login', { intent: 'login', email, password: GOOD_PASSWORD }))).headers)!;

    type AccountData = { user: { name: string }; logins: { items: { method: string; success: boolean; userAgent: string | null }[] }; sessions: { id: string; current: boolean }[] };
    const account = (await run(pages.account.loader, get('/account', cookie))) as AccountData;
    expect(account.logins.items.filter((l) => l.success && l.method === 'password')).toHaveLength(2);
    expect(account.logins.items[0]?.userAgent).toBe('auth-pages-test');
    expect(account.sessions).toHaveLength(2);
    expect(account.sessions.filter((s) => s.current)).toHaveLength(1);

    expect(await run(pages.account.action, post('/account', { intent: 'profile', name: 'Renamed' }, cookie))).toEqual({ intent: 'profile', toast: 'Profile saved' });
    const wrong = payload<{ problem?: { code?: string } }>(await run(pages.account.action, post('/account', { intent: 'password', currentPassword: 'nope', newPassword: `${GOOD_PASSWORD}-2` }, cookie)));
    expect(wrong.problem?.code).toBe('wrong_password');

    // Revoking the other session ends it.
    const other = account.sessions.find((s) => !s.current)!;
    expect(await run(pages.account.action, post('/account', { intent: 'revoke', sessionId: other.id }, cookie))).toEqual({ intent: 'revoke', toast: 'Session revoked' });
    expect(asResponse(await run(pages.account.loader, get('/account', second))).headers.get('location')).toBe('/login?next=%2Faccount');

    // A password change revokes every session and hands this browser a new cookie.
    const changed = (await run(pages.account.action, post('/account', { intent: 'password', currentPassword: GOOD_PASSWORD, newPassword: `${GOOD_PASSWORD}-2` }, cookie))) as { data: { toast?: string }; init: { headers: Headers } };
    expect(changed.data.toast).toMatch(/password changed/i);
    const renewed = sessionCookie(new Headers(changed.init.headers))!;
    expect(renewed).not.toBe(cookie);
    expect(((await run(pages.account.loader, get('/account', renewed))) as AccountData).user.name).toBe('Renamed');
    expect(asResponse(await run(pages.account.loader, get('/account', cookie))).status).toBe(302);
  });

  it('the admin page lists teams by name and changes a plan, and is a 404 for everyone else', async () => {
    const admin = await signUp(ADMIN_EMAIL);
    const someone = await signUp();
    type AdminData = { teams: { id: string; name: string; plan: string }[]; nextCursor: string | null };
    const found = (await run(pages.admin.loader, get(`/admin?q=${encodeURIComponent('Web Tester')}`, admin.cookie))) as AdminData;
    expect(found.teams.length).toBeGreaterThanOrEqual(2);
    expect(found.teams.every((team) => team.name.includes('Web Tester'))).toBe(true);
    const team = found.teams[0]!;

    const changed = await run(pages.admin.action, post('/admin', { teamId: team.id, plan: 'pro' }, admin.cookie));
    expect(changed).toEqual({ toast: `${team.name} is now on the pro plan` });
    const after = (await run(pages.admin.loader, get('/admin?q=Web', admin.cookie))) as AdminData;
    expect(after.teams.find((t) => t.id === team.id)?.plan).toBe('pro');
    // An unknown plan is the API's problem, shown on the page.
    const refused = payload<{ problem?: { status?: number; problems?: { path: string }[] } }>(await run(pages.admin.action, post('/admin', { teamId: team.id, plan: 'platinum' }, admin.cookie)));
    expect(refused.problem?.status).toBe(400);
    expect(refused.problem?.problems?.map((p) => p.path)).toContain('plan');

    // Not an instance admin: the page does not exist, and its action is refused by the API.
    await expect(run(pages.admin.loader, get('/admin', someone.cookie))).rejects.toMatchObject({ init: { status: 404 } });
    const forbidden = payload<{ problem?: { status?: number } }>(await run(pages.admin.action, post('/admin', { teamId: team.id, plan: 'free' }, someone.cookie)));
    expect(forbidden.problem?.status).toBe(403);
  });

  it('creates a team, and an invited person accepts after logging in', async () => {
    const owner = await signUp();
    const blank = (await run(pages.teamsNew.action, post('/teams/new', { name: ' ' }, owner.cookie))) as { problem?: { problems?: { path: string }[] } };
    expect(blank.problem?.problems?.[0]?.path).toBe('name');
    const created = asResponse(await run(pages.teamsNew.action, post('/teams/new', { name: 'Web team' }, owner.cookie)));
    const teamPath = created.headers.get('location')!;
    expect(teamPath).toMatch(/^\/t\/team_/);
    const teamId = decodeURIComponent(teamPath.slice(3));

    const guest = await signUp();
    const invited = await fetch(`${process.env.API_URL}/api/v1/teams/${teamId}/invitations`, {
      method: 'POST',
      headers: { cookie: owner.cookie, origin: WEB, 'content-type': 'application/json' },
      body: JSON.stringify({ email: guest.email, role: 'editor' }),
    });
    expect(invited.status).toBe(201);
    const token = (await smtp.linkFor(guest.email, '/invitations/')).pathname.split('/').pop()!;

    const path = `/invitations/${token}`;
    expect(asResponse(await run(pages.invitation.loader, get(path), { token })).headers.get('location')).toBe(`/login?next=${encodeURIComponent(path)}`);
    const mismatch = (await run(pages.invitation.action, post(path, {}, owner.cookie), { token })) as { problem?: { code?: string } };
    expect(mismatch.problem?.code).toBe('invitation_email_mismatch');
    expect(((await run(pages.invitation.loader, get(path, guest.cookie), { token })) as { email: string }).email).toBe(guest.email);
    expect(asResponse(await run(pages.invitation.action, post(path, {}, guest.cookie), { token })).headers.get('location')).toBe(`/t/${encodeURIComponent(teamId)}`);
    const used = (await run(pages.invitation.action, post(path, {}, guest.cookie), { token })) as { problem?: { code?: string } };
    expect(used.problem?.code).toBe('invalid_token');
  });

  it('logs out (cookie cleared even without the API) and resets a forgotten password', async () => {
    const { email, cookie } = await signUp();
    const out = asResponse(await run(pages.logout.action, post('/logout', {}, cookie)));
    expect(out.headers.get('location')).toBe('/login');
    expect(out.headers.getSetCookie().some((c) => /^trellis_session=;/.test(c))).toBe(true);
    expect(asResponse(await run(pages.account.loader, get('/account', cookie))).status).toBe(302);
    const back = asResponse(await run(pages.logout.action, post('/logout', { next: '/invitations/abc' })));
    expect(back.headers.get('location')).toBe('/login?next=%2Finvitations%2Fabc');

    expect(await run(pages.forgot.action, post('/forgot-password', { email: uniqueEmail('nobody') }))).toMatchObject({ sent: true });
    expect(await run(pages.forgot.action, post('/forgot-password', { email }))).toMatchObject({ sent: true });
    const token = (await smtp.linkFor(email, '/reset-password')).searchParams.get('token')!;
    const weak = (await run(pages.reset.action, post('/reset-password', { token, password: 'short' }))) as { problem?: { code?: string } };
    expect(weak.problem?.code).toBe('weak_password');
    const done = payload<{ changed: boolean }>(await run(pages.reset.action, post('/reset-password', { token, password: `${GOOD_PASSWORD}-new` })));
    expect(done.changed).toBe(true);
    const spent = (await run(pages.reset.action, post('/reset-password', { token, password: `${GOOD_PASSWORD}-new` }))) as { problem?: { code?: string } };
    expect(spent.problem?.code).toBe('invalid_token');
    expect(asResponse(await run(pages.login.action, post('/login', { intent: 'login', email, password: `${GOOD_PASSWORD}-new` }))).status).toBe(302);
  });
});
