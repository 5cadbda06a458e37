// The GCRA limiter: exact under concurrency in Redis (one Lua script), the same answers from the
// in-process fallback, and a quiet switch to that fallback when Redis is unreachable.
import { randomUUID } from 'node:crypto';
import { createLocalGcra, createRateLimiter } from '../../core/limits/limiter.ts';
import { createRedis, type Redis } from '../../core/redis/client.ts';
import { freePort } from '../../infra/scripts/services.ts';
import { testEnv } from '../support/env.ts';

describe('rate limiter in Redis', () => {
  let redis: Redis;
  beforeAll(async () => {
    redis = createRedis(testEnv.redisUrl);
    await new Promise((resolve) => redis.once('ready', resolve));
  });
  afterAll(() => {
    redis.disconnect();
  });

  const rule = (limit: number, windowSeconds = 60) => ({ name: `test-${randomUUID()}`, limit, windowSeconds });

  it('allows a burst of exactly `limit`, then refuses with Retry-After and RateLimit values', async () => {
    const limiter = createRateLimiter({ redis });
    const r = rule(5, 60);
    const decisions = [];
    for (let i = 0; i < 6; i++) decisions.push(await limiter.consume(r, 'a'));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
    expect(decisions.every((d) => d.store === 'redis')).toBe(true);
    // One request comes back every 12 s; the bucket is full again 60 s after the burst.
    expect(decisions[5]!.retryAfterSeconds).toBeGreaterThanOrEqual(11);
    expect(decisions[5]!.retryAfterSeconds).toBeLessThanOrEqual(12);
    expect(decisions[4]!.resetSeconds).toBeGreaterThanOrEqual(59);
    expect(decisions[4]!.resetSeconds).toBeLessThanOrEqual(60);
    // Another id has its own bucket.
    expect((await limiter.consume(r, 'b')).remaining).toBe(4);
  });

  it('is exact under concurrency: 100 simultaneous requests against a limit of 20 let 20 through', async () => {
    const limiter = createRateLimiter({ redis });
    const r = rule(20, 60);
    const decisions = await Promise.all(Array.from({ length: 100 }, () => limiter.consume(r, 'x')));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(20);
  });

  it('refills continuously (token bucket), not at window boundaries', async () => {
    const limiter = createRateLimiter({ redis });
    // One token every 2 s: wide margins, so a loaded machine cannot blur the refill.
    const r = rule(10, 20);
    for (let i = 0; i < 10; i++) expect((await limiter.consume(r, 'y')).allowed).toBe(true);
    expect((await limiter.consume(r, 'y')).allowed).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 2_600));
    // Well inside the window of 20 s, one token is back: the bucket refills, it does not reset.
    expect((await limiter.consume(r, 'y')).allowed).toBe(true);
    expect((await limiter.consume(r, 'y')).allowed).toBe(false);
  });

  it('expires idle buckets (no key outlives its window)', async () => {
    const limiter = createRateLimiter({ redis, keyPrefix: `ttl-${randomUUID()}:` });
    const r = { name: 'ttl', limit: 10, windowSeconds: 30 };
    await limiter.consume(r, 'z');
    const [key] = await redis.keys('ttl-*');
    const ttl = await redis.pttl(key!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3_000); // one token's worth: 30 s / 10
  });
});

describe('rate limiter without Redis', () => {
  it('decides in process memory, with the same algorithm, without throwing or waiting', async () => {
    const port = await freePort(); // nobody listens there
    const redis = createRedis(`redis://127.0.0.1:${port}`);
    try {
      const limiter = createRateLimiter({ redis, timeoutMs: 200 });
      const r = { name: 'down', limit: 3, windowSeconds: 60 };
      const started = performance.now();
      const decisions = [];
      for (let i = 0; i < 4; i++) decisions.push(await limiter.consume(r, 'ip'));
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
      expect(decisions.every((d) => d.store === 'local')).toBe(true);
      expect(limiter.degraded).toBe(true);
    } finally {
      redis.disconnect();
    }
  });

  it('the local GCRA matches the Lua script on a fake clock, and forgets idle buckets', () => {
    let now = 1_000_000;
    const gcra = createLocalGcra(() => now);
    const take = () => gcra.take('k', 4, 4_000, 1); // one token per second, burst 4
    expect([take(), take(), take(), take()].map((r) => r[0])).toEqual([1, 1, 1, 1]);
    const refused = take();
    expect(refused[0]).toBe(0);
    expect(refused[3]).toBe(1_000); // retry after 1 s
    now += 1_000;
    expect(take()[0]).toBe(1);
    expect(take()[0]).toBe(0);
    now += 120_000; // idle long enough: swept on the next call
    gcra.take('other', 4, 4_000, 1);
    expect(gcra.size).toBe(1);
  });
});
