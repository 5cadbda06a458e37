// OAuth sign-in with Google and GitHub, on SQLite and PostgreSQL. Only the providers' HTTP
// endpoints are fake (tests/support/oauth-providers.ts, at the fetch boundary); arctic, the
// state and PKCE handling, the account linking and the sessions are the real code.
import type { Response } from 'supertest';
import { LoginEvent } from '../../core/auth/entities.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testDatabases } from '../support/env.ts';
import { Client, cookieFrom, GOOD_PASSWORD, signUp, uniqueEmail } from '../support/identity.ts';
import { installFakeProviders, type FakeProviders, type FakeUser } from '../support/oauth-providers.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';

const CLIENTS = { google: { id: 'google-client.apps.test', secret: 'g-secret' }, github: { id: 'gh-client', secret: 'gh-secret' } };
const PUBLIC_URL = 'http://app.trellis.test';

let nextId = 1_000;
const person = (overrides: Partial<FakeUser> = {}): FakeUser => ({ id: String(nextId++), email: uniqueEmail('oauth').toLowerCase(), emailVerified: true, name: 'Octo Cat', avatarUrl: 'https://avatars.test/1.png', ...overrides });

/** The cookies a redirect set, as a Cookie header for the next request. */
function cookiesOf(res: Response): string {
  return ['trellis_oauth_state', 'trellis_oauth_verifier', 'trellis_oauth_next'].map((name) => `${name}=${cookieFrom(res, name)?.value ?? ''}`).join('; ');
}

describe.each(testDatabases)('OAuth sign-in on %s', (_name, databaseUrl) => {
  let smtp: TestSmtp;
  let t: TestApp;
  let providers: FakeProviders;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    providers = installFakeProviders(CLIENTS);
    t = await createTestApp(
      testConfig({
        DATABASE_URL: await databaseUrl(),
        SMTP_URL: smtp.url,
        PUBLIC_URL,
        GOOGLE_CLIENT_ID: CLIENTS.google.id,
        GOOGLE_CLIENT_SECRET: CLIENTS.google.secret,
        GITHUB_CLIENT_ID: CLIENTS.github.id,
        GITHUB_CLIENT_SECRET: CLIENTS.github.secret,
        RATE_LIMIT_LOGIN_BACKOFF_BASE_SECONDS: '60', // a back-off that outlasts any test
      }),
    );
  });

  afterAll(async () => {
    providers?.restore();
    await t?.close();
    await smtp?.close();
  });

  /** Start → provider consent → callback; returns the callback's response. */
  async function signInWith(provider: 'google' | 'github', user: FakeUser, options: { json?: boolean; client?: Client; next?: string } = {}) {
    const client = options.client ?? new Client(t.app);
    const start = await client.get(`/api/v1/auth/oauth/${provider}${options.next === undefined ? '' : `?next=${encodeURIComponent(options.next)}`}`);
    expect(start.status).toBe(302);
    const location = new URL(start.headers.location!);
    const code = providers.authorize(location.toString(), user);
    const callback = client
      .get(`/api/v1/auth/oauth/${provider}/callback?code=${code}&state=${location.searchParams.get('state')}`)
      .set('Cookie', cookiesOf(start));
    return options.json === false ? callback.set('Accept', 'text/html') : callback.set('Accept', 'application/json');
  }

  it('an account in sign-in back-off (someone guessing its password) still signs in with its provider', async () => {
    const user = person();
    expect((await signInWith('github', user)).status).toBe(200);
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push((await new Client(t.app).post('/api/v1/auth/login', { email: user.email, password: `guess-${i}-xxxxxxxx` })).body.code);
    expect(codes).toEqual([...Array(5).fill('invalid_credentials'), 'rate_limited_account']);
    const again = await signInWith('github', user, { client: new Client(t.app) });
    expect(again.status).toBe(200);
    expect(again.body.user.email).toBe(user.email);
  });

  it('lists the configured providers', async () => {
    expect((await new Client(t.app).get('/api/v1/auth/providers')).body).toEqual({ password: true, google: true, github: true });
  });

  it('redirects to Google with state, PKCE (S256) and the callback URL, keeping state and verifier in short-lived cookies', async () => {
    const start = await new Client(t.app).get('/api/v1/auth/oauth/google');
    expect(start.status).toBe(302);
    const url = new URL(start.headers.location!);
    expect(url.origin + url.pathname).toBe('https://accounts.google.com/o/oauth2/v2/auth');
    expect(url.searchParams.get('client_id')).toBe(CLIENTS.google.id);
    expect(url.searchParams.get('redirect_uri')).toBe(`${PUBLIC_URL}/api/v1/auth/oauth/google/callback`);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('scope')).toBe('openid profile email');
    const state = cookieFrom(start, 'trellis_oauth_state');
    expect(state?.value).toBe(url.searchParams.get('state'));
    expect(state?.attributes).toMatch(/HttpOnly/);
    expect(state?.attributes).toMatch(/Path=\/api\/v1\/auth\/oauth/);
    expect(state?.attributes).toMatch(/Max-Age=600/);
    expect(cookieFrom(start, 'trellis_oauth_verifier')?.value).toHaveLength(43);

    const github = new URL((await new Client(t.app).get('/api/v1/auth/oauth/github')).headers.location!);
    expect(github.origin + github.pathname).toBe('https://github.com/login/oauth/authorize');
    expect(github.searchParams.get('code_challenge_method')).toBe('S256');
    expect((await new Client(t.app).get('/api/v1/auth/oauth/gitlab')).status).toBe(404);
  });

  it('creates a verified user with a personal team on first Google sign-in, and finds it again', async () => {
    const user = person();
    const first = await signInWith('google', user);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ created: true, linked: false, user: { email: user.email, name: 'Octo Cat', emailVerified: true, hasPassword: false, avatarUrl: user.avatarUrl } });
    const session = new Client(t.app, { token: first.body.token });
    const me = await session.get('/api/v1/me');
    expect(me.body.teams).toEqual([expect.objectContaining({ personal: true, role: 'owner' })]);

    const again = await signInWith('google', { ...user, email: 'changed@elsewhere.test' });
    expect(again.body).toMatchObject({ created: false, user: { id: first.body.user.id } });
    const logins = await session.get('/api/v1/me/logins');
    expect(logins.body.items.filter((l: { method: string; success: boolean }) => l.method === 'google' && l.success)).toHaveLength(2);
    // The token request carried the PKCE verifier and the registered redirect URI.
    const exchange = providers.requests.filter((r) => r.url === 'https://oauth2.googleapis.com/token').at(-1)!;
    expect(new URLSearchParams(exchange.body).get('code_verifier')).toHaveLength(43);
  });

  it('a browser is sent to the web app with the session cookie', async () => {
    const res = await signInWith('github', person(), { json: false });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`${PUBLIC_URL}/`);
    const session = cookieFrom(res, 'trellis_session');
    expect(session?.attributes).toMatch(/HttpOnly/);
    expect((await new Client(t.app).get('/api/v1/me').set('Cookie', `trellis_session=${session!.value}`)).status).toBe(200);
    // The one-time state and verifier cookies are cleared.
    expect(cookieFrom(res, 'trellis_oauth_state')?.value).toBe('');
  });

  it('lands the browser on the page it came from (an invitation), never on another site', async () => {
    const back = await signInWith('google', person(), { json: false, next: '/invitations/inv_token?x=1' });
    expect(back.headers.location).toBe(`${PUBLIC_URL}/invitations/inv_token?x=1`);
    for (const unsafe of ['//evil.example/steal', 'https://evil.example/', '/\\evil.example', '/\t/evil.example', '/%09/evil.example', '/.//evil.example', '/%2F%2Fevil.example']) {
      const res = await signInWith('github', person(), { json: false, next: unsafe });
      expect(res.headers.location).toBe(`${PUBLIC_URL}/`);
    }
  });

  it('links GitHub to the existing account with the same verified email', async () => {
    const { email, user, client } = await signUp(t.app, smtp);
    const res = await signInWith('github', person({ email: email.toUpperCase(), login: 'octo' }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: false, linked: true, user: { id: user.id, hasPassword: true } });
    // Both ways in keep working.
    expect((await new Client(t.app).post('/api/v1/auth/login', { email, password: GOOD_PASSWORD })).status).toBe(200);
    expect((await client.get('/api/v1/me')).status).toBe(200);
  });

  it('takes over an unverified password account for the verified owner of the email (no pre-registration hijack)', async () => {
    const email = uniqueEmail('squatted');
    const attacker = new Client(t.app);
    expect((await attacker.post('/api/v1/auth/register', { email, password: GOOD_PASSWORD, name: 'Squatter' })).status).toBe(202);
    const res = await signInWith('google', person({ email: email.toLowerCase() }));
    expect(res.body).toMatchObject({ linked: true, user: { emailVerified: true, hasPassword: false } });
    // The squatter's password no longer opens the account.
    expect((await attacker.post('/api/v1/auth/login', { email, password: GOOD_PASSWORD })).status).toBe(401);
  });

  it('refuses a callback whose state does not match the browser (no session, the attempt recorded)', async () => {
    const client = new Client(t.app);
    const start = await client.get('/api/v1/auth/oauth/google');
    const location = new URL(start.headers.location!);
    const code = providers.authorize(location.toString(), person());

    const forged = await client.get(`/api/v1/auth/oauth/google/callback?code=${code}&state=attacker-state`).set('Cookie', cookiesOf(start)).set('Accept', 'application/json');
    expect(forged.status).toBe(400);
    expect(forged.body.code).toBe('oauth_state_mismatch');
    expect(cookieFrom(forged, 'trellis_session')).toBeUndefined();

    const noCookies = await client.get(`/api/v1/auth/oauth/google/callback?code=${code}&state=${location.searchParams.get('state')}`).set('Accept', 'application/json');
    expect(noCookies.status).toBe(400);
    expect(noCookies.body.code).toBe('oauth_state_mismatch');

    const browser = await client.get(`/api/v1/auth/oauth/google/callback?code=${code}&state=attacker-state`).set('Cookie', cookiesOf(start));
    expect(browser.status).toBe(302);
    expect(browser.headers.location).toBe(`${PUBLIC_URL}/login?error=oauth_state_mismatch`);
    expect(cookieFrom(browser, 'trellis_session')).toBeUndefined();
    // The code was never sent to the provider, and the refusals are in the login history.
    expect(providers.requests.some((r) => r.body.includes(code))).toBe(false);
    expect(await t.orm.em.fork().count(LoginEvent, { method: 'google', success: false, reason: 'state_mismatch' })).toBeGreaterThanOrEqual(3);
  });

  it('refuses a wrong PKCE verifier, a reused code, an unverified provider email and a denied consent', async () => {
    const client = new Client(t.app);
    const start = await client.get('/api/v1/auth/oauth/google');
    const location = new URL(start.headers.location!);
    const code = providers.authorize(location.toString(), person());
    const state = location.searchParams.get('state');
    const wrongVerifier = await client
      .get(`/api/v1/auth/oauth/google/callback?code=${code}&state=${state}`)
      .set('Cookie', `trellis_oauth_state=${state}; trellis_oauth_verifier=${'x'.repeat(43)}`)
      .set('Accept', 'application/json');
    expect(wrongVerifier.status).toBe(401);
    expect(wrongVerifier.body.code).toBe('oauth_failed');

    // A code works once: replaying it in a fresh flow of the same browser fails at the provider.
    const fresh = await client.get('/api/v1/auth/oauth/google');
    const freshState = new URL(fresh.headers.location!).searchParams.get('state');
    const used = providers.authorize(new URL(fresh.headers.location!).toString(), person());
    const ok = await client.get(`/api/v1/auth/oauth/google/callback?code=${used}&state=${freshState}`).set('Cookie', cookiesOf(fresh)).set('Accept', 'application/json');
    expect(ok.status).toBe(200);
    const replay = await client.get(`/api/v1/auth/oauth/google/callback?code=${used}&state=${freshState}`).set('Cookie', cookiesOf(fresh)).set('Accept', 'application/json');
    expect(replay.status).toBe(401);

    const unverified = await signInWith('github', person({ emailVerified: false }));
    expect(unverified.status).toBe(403);
    expect(unverified.body.code).toBe('oauth_email_unverified');

    const denied = await client.get(`/api/v1/auth/oauth/github/callback?error=access_denied&state=x`).set('Accept', 'application/json');
    expect(denied.status).toBe(401);
    expect(denied.body.code).toBe('oauth_denied');
  });
});

describe('OAuth without provider settings', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(testConfig());
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 404 naming the missing configuration, and lists no provider', async () => {
    expect((await new Client(t.app).get('/api/v1/auth/providers')).body).toEqual({ password: true, google: false, github: false });
    const res = await new Client(t.app).get('/api/v1/auth/oauth/google');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('oauth_provider_not_configured');
  });
});
