// Rate limits over HTTP, on SQLite and PostgreSQL: failed sign-ins are throttled per account
// (a back-off that rotating addresses do not escape, while the owner still signs in from a network
// they used before) and per network (an IPv6 /64 is one network; people behind one IPv4 NAT still
// sign in after someone else's failures); the other auth endpoints per network; RateLimit-*
// headers; per-credential and per-team limits; and with Redis stopped, sign-in and authenticated
// requests keep working under per-process limits — no 500s.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Redis } from '../../core/redis/client.ts';
import { freePort, startRedis, type Service } from '../../infra/scripts/services.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { tempDir, testConfig, testDatabases } from '../support/env.ts';
import { Client, GOOD_PASSWORD, randomIp, signUp, uniqueEmail } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';

const AUTH_PER_IP = 8;
const LOGIN_FAILURES_PER_NETWORK = 12;
const FREE_FAILURES = 3;
/** Long enough that a test never sees a back-off end by itself. */
const BACKOFF_BASE_SECONDS = 60;

async function ready(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
}

describe.each(testDatabases)('rate limits on %s', (_name, databaseUrl) => {
  let smtp: TestSmtp;
  let t: TestApp;
  let redis: Service;
  let redisPort: number;
  let redisDir: string;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    // A Redis of this suite's own, so stopping it disturbs no other suite.
    redisPort = await freePort();
    redisDir = tempDir('redis');
    redis = await startRedis({ port: redisPort, dir: redisDir, logFile: join(redisDir, 'redis.log') });
    t = await createTestApp(
      testConfig({
        DATABASE_URL: await databaseUrl(),
        SMTP_URL: smtp.url,
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        RATE_LIMIT_AUTH_PER_IP: String(AUTH_PER_IP),
        RATE_LIMIT_AUTH_WINDOW_SECONDS: '600',
        RATE_LIMIT_PRINCIPAL_PER_MINUTE: '1000',
        RATE_LIMIT_ANONYMOUS_PER_MINUTE: '120',
        RATE_LIMIT_LOGIN_FAILURES_PER_NETWORK: String(LOGIN_FAILURES_PER_NETWORK),
        RATE_LIMIT_LOGIN_FREE_FAILURES: String(FREE_FAILURES),
        RATE_LIMIT_LOGIN_BACKOFF_BASE_SECONDS: String(BACKOFF_BASE_SECONDS),
      }),
    );
    await ready(t.redis);
  });

  afterAll(async () => {
    await t?.close();
    await redis?.stop();
    await smtp?.close();
  });

  const login = (client: Client, email: string, password: string) => client.post('/api/v1/auth/login', { email, password });

  it('guessing one account from one address: a few failures, then 429 rate_limited_account before any password check; the owner still signs in', async () => {
    const victim = await signUp(t.app, smtp); // signed in from victim.client.ip: a network this account knows
    const attacker = new Client(t.app);
    const answers = [];
    for (let i = 0; i < FREE_FAILURES + 2; i++) answers.push(await login(attacker, victim.email, `guess-number-${i}-xyz`));
    expect(answers.slice(0, FREE_FAILURES).map((r) => r.status)).toEqual(Array(FREE_FAILURES).fill(401));
    const refused = answers[FREE_FAILURES]!;
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body.code).toBe('rate_limited_account');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(BACKOFF_BASE_SECONDS);
    // Even the right password is refused from the attacker's address (no oracle) …
    expect((await login(attacker, victim.email, GOOD_PASSWORD)).status).toBe(429);
    // … and from any new network while the back-off lasts; but the owner, on the network they
    // signed in from before (another address of it), gets in.
    expect((await login(new Client(t.app), victim.email, GOOD_PASSWORD)).body.code).toBe('rate_limited_account');
    expect((await login(victim.client, victim.email, GOOD_PASSWORD)).status).toBe(200);
    expect((await victim.client.get('/api/v1/me')).status).toBe(200);
  });

  it('guessing one account from rotating networks is slowed by the same back-off', async () => {
    const victim = await signUp(t.app, smtp);
    const statuses = [];
    for (let i = 0; i < FREE_FAILURES + 3; i++) {
      const answer = await login(new Client(t.app, { ip: `198.51.100.${i + 1}` }), victim.email, `rotating-guess-${i}-xyz`);
      statuses.push(answer.body.code ?? answer.status);
    }
    expect(statuses).toEqual([...Array(FREE_FAILURES).fill('invalid_credentials'), 'rate_limited_account', 'rate_limited_account', 'rate_limited_account']);
    // Spelling the address differently is the same account.
    expect((await login(new Client(t.app), `  ${victim.email.toUpperCase()}`, 'one-more-guess-xyz')).body.code).toBe('rate_limited_account');
  });

  it('someone behind the same IPv4 address signs in after a third party failed on other accounts, up to the network ceiling', async () => {
    const colleague = await signUp(t.app, smtp);
    const office = randomIp();
    const stuffer = new Client(t.app, { ip: office });
    // More failures than the old per-address limit (and than one account allows), spread over accounts.
    for (let i = 0; i < AUTH_PER_IP + 2; i++) expect((await login(stuffer, uniqueEmail(`leak${i}`), 'leaked-password-1')).status).toBe(401);
    const signedIn = await login(new Client(t.app, { ip: office }), colleague.email, GOOD_PASSWORD);
    expect(signedIn.status).toBe(200);
    // A success gives its attempt back; the failures reach the network's ceiling, then 429.
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await login(stuffer, uniqueEmail(`more${i}`), 'leaked-password-1')).status);
    expect(statuses).toEqual([401, 401, 429]);
    const refused = await login(stuffer, uniqueEmail('last'), 'leaked-password-1');
    expect(refused.body.code).toBe('rate_limited_network');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Another network is not affected.
    expect((await login(new Client(t.app), uniqueEmail('elsewhere'), 'leaked-password-1')).status).toBe(401);
  });

  it('many IPv6 addresses of one /64 are one network; the next /64 is another', async () => {
    const prefix = `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}`;
    const statuses = [];
    for (let i = 0; i < LOGIN_FAILURES_PER_NETWORK + 1; i++) {
      const address = `${prefix}:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}:${i + 1}`;
      statuses.push((await login(new Client(t.app, { ip: address }), uniqueEmail(`v6-${i}`), 'leaked-password-1')).body.code);
    }
    expect(statuses).toEqual([...Array(LOGIN_FAILURES_PER_NETWORK).fill('invalid_credentials'), 'rate_limited_network']);
    const neighbour = prefix.replace(/:([0-9a-f]+)$/, (_m, last: string) => `:${((parseInt(last, 16) + 1) % 0x10000).toString(16)}`);
    expect((await login(new Client(t.app, { ip: `${neighbour}::1` }), uniqueEmail('v6-next'), 'leaked-password-1')).status).toBe(401);
  });

  it('the other auth endpoints stay limited per network: IPv6 rotation within a /64 does not help', async () => {
    const prefix = `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}`;
    const statuses = [];
    for (let i = 0; i < AUTH_PER_IP + 1; i++) {
      statuses.push((await new Client(t.app, { ip: `${prefix}::${i + 1}` }).post('/api/v1/auth/password-reset', { email: uniqueEmail('reset') })).status);
    }
    expect(statuses).toEqual([...Array(AUTH_PER_IP).fill(202), 429]);
  });

  it('sends RateLimit-* headers on API responses, for the tightest bucket hit', async () => {
    const { client, personalTeamId } = await signUp(t.app, smtp);
    const me = await client.get('/api/v1/me');
    expect(me.headers['ratelimit-limit']).toBe('1000');
    expect(Number(me.headers['ratelimit-remaining'])).toBeLessThan(1000);
    expect(Number(me.headers['ratelimit-reset'])).toBeGreaterThanOrEqual(0);
    // A free team allows 300 requests per minute: tighter than the caller's 1000.
    const team = await client.get(`/api/v1/teams/${personalTeamId}`);
    expect(team.headers['ratelimit-limit']).toBe('300');
    const anonymous = await new Client(t.app).get('/api/v1/me');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['ratelimit-limit']).toBe('120');
    // Probes are never limited.
    expect((await new Client(t.app).get('/healthz')).headers['ratelimit-limit']).toBeUndefined();
  });

  it('limits a team by its plan: a free team gets a burst of 300 requests, then 429 (refilling at 5 per second)', async () => {
    const { client, personalTeamId } = await signUp(t.app, smtp);
    const started = Date.now();
    let allowed = 0;
    let refused: Awaited<ReturnType<Client['get']>> | undefined;
    while (!refused && allowed < 500) {
      const batch = await Promise.all(Array.from({ length: 25 }, () => client.get(`/api/v1/teams/${personalTeamId}/usage`)));
      allowed += batch.filter((r) => r.status === 200).length;
      refused = batch.find((r) => r.status === 429);
    }
    const refilled = Math.ceil(((Date.now() - started) / 1000) * 5);
    expect(refused?.body.code).toBe('rate_limited_team');
    expect(refused?.headers['retry-after']).toBeDefined();
    expect(allowed).toBeGreaterThanOrEqual(300 - 2); // signUp spent none on the team; allow for timing
    expect(allowed).toBeLessThanOrEqual(300 + refilled + 1);
    // Routes outside the team are not affected.
    expect((await client.get('/api/v1/me')).status).toBe(200);
  });

  it('with Redis down, sign-in and authenticated requests still work, limits hold per process, and nothing answers 500', async () => {
    const { client, email } = await signUp(t.app, smtp);
    await redis.stop();
    try {
      const me = await client.get('/api/v1/me');
      expect(me.status).toBe(200);
      expect(me.headers['ratelimit-limit']).toBe('1000');
      const signedIn = await new Client(t.app).post('/api/v1/auth/login', { email, password: GOOD_PASSWORD });
      expect(signedIn.status).toBe(200);

      const attacker = new Client(t.app);
      const statuses = [];
      for (let i = 0; i < FREE_FAILURES + 1; i++) statuses.push((await attacker.post('/api/v1/auth/login', { email, password: `nope-nope-${i}` })).status);
      expect(statuses).toEqual([...Array(FREE_FAILURES).fill(401), 429]);
      const resets = [];
      for (let i = 0; i < AUTH_PER_IP + 1; i++) resets.push((await attacker.post('/api/v1/auth/password-reset', { email })).status);
      expect(resets.at(-1)).toBe(429);
      expect([...statuses, ...resets]).not.toContain(500);
    } finally {
      redis = await startRedis({ port: redisPort, dir: redisDir, logFile: join(redisDir, 'redis.log') });
    }
    await ready(t.redis);
    // Back in Redis: the shared buckets apply again.
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the limiter retries Redis after 1 s
    const after = await client.get('/api/v1/me');
    expect(after.status).toBe(200);
    expect(await t.redis.keys('trellis:rl:principal:*')).not.toHaveLength(0);
  });
});
