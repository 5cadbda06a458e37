// Rate limits over HTTP, on SQLite and PostgreSQL: brute force on login from one address gets
// 429 (and credential stuffing across accounts too) while the right password from another address
// still works; RateLimit-* headers; per-credential and per-team limits; and with Redis stopped,
// sign-in and authenticated requests keep working under per-process limits — no 500s.
import { join } from 'node:path';
import type { Redis } from '../../core/redis/client.ts';
import { freePort, startRedis, type Service } from '../../infra/scripts/services.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { tempDir, testConfig, testDatabases } from '../support/env.ts';
import { Client, GOOD_PASSWORD, signUp, uniqueEmail } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';

const AUTH_PER_IP = 8;

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
      }),
    );
    await ready(t.redis);
  });

  afterAll(async () => {
    await t?.close();
    await redis?.stop();
    await smtp?.close();
  });

  it('brute force on login gets 429 with Retry-After; the right password from another address still works', async () => {
    const victim = await signUp(t.app, smtp);
    const attacker = new Client(t.app);
    const answers = [];
    for (let i = 0; i < AUTH_PER_IP + 2; i++) {
      answers.push(await attacker.post('/api/v1/auth/login', { email: victim.email, password: `guess-number-${i}-xyz` }));
    }
    expect(answers.slice(0, AUTH_PER_IP).map((r) => r.status)).toEqual(Array(AUTH_PER_IP).fill(401));
    const refused = answers[AUTH_PER_IP]!;
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('rate_limited_ip');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.headers['ratelimit-remaining']).toBe('0');
    expect(refused.headers['ratelimit-limit']).toBe(String(AUTH_PER_IP));
    // Even the right password is refused from the attacking address …
    expect((await attacker.post('/api/v1/auth/login', { email: victim.email, password: GOOD_PASSWORD })).status).toBe(429);
    // … while the owner, elsewhere, signs in normally.
    const owner = await new Client(t.app).post('/api/v1/auth/login', { email: victim.email, password: GOOD_PASSWORD });
    expect(owner.status).toBe(200);
    // Nothing was refused for the account itself, only for the address.
    expect((await victim.client.get('/api/v1/me')).status).toBe(200);
  });

  it('credential stuffing across many accounts from one address is slowed the same way', async () => {
    const stuffer = new Client(t.app);
    const statuses = [];
    for (let i = 0; i < AUTH_PER_IP + 1; i++) {
      statuses.push((await stuffer.post('/api/v1/auth/login', { email: uniqueEmail(`leak${i}`), password: 'leaked-password-1' })).status);
    }
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.filter((s) => s === 401)).toHaveLength(AUTH_PER_IP);
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
      const login = await new Client(t.app).post('/api/v1/auth/login', { email, password: GOOD_PASSWORD });
      expect(login.status).toBe(200);

      const attacker = new Client(t.app);
      const statuses = [];
      for (let i = 0; i < AUTH_PER_IP + 1; i++) statuses.push((await attacker.post('/api/v1/auth/login', { email, password: `nope-nope-${i}` })).status);
      expect(statuses.slice(0, AUTH_PER_IP).every((s) => s === 401)).toBe(true);
      expect(statuses.at(-1)).toBe(429);
      expect(statuses).not.toContain(500);
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
