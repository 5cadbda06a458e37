// The sign-in back-off on its own, against the test Redis with a fake clock: free failures, then
// a wait that doubles with each failure up to a cap; a success resets it; a network the account
// signed in from keeps a back-off of its own (the owner is not locked out); the in-process
// fallback decides the same. And the client "network": IPv4 as is, IPv6 by /64.
import { randomUUID } from 'node:crypto';
import { createLocalBackoff, createLoginThrottle, type LoginThrottle } from '../../core/auth/login-throttle.ts';
import { networkOf } from '../../core/limits/network.ts';
import { createRedis, type Redis } from '../../core/redis/client.ts';
import { freePort } from '../../infra/scripts/services.ts';
import { testEnv } from '../support/env.ts';

const settings = { enabled: true, login: { failuresPerNetwork: 100, freeFailures: 5, backoffBaseSeconds: 1, backoffMaxSeconds: 900 } };

describe('client networks', () => {
  it('keys IPv4 by address and IPv6 by /64, whatever the spelling', () => {
    expect(networkOf('203.0.113.7')).toBe('203.0.113.7');
    expect(networkOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(networkOf('::ffff:cb00:7107')).toBe('203.0.113.7');
    expect(networkOf('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(networkOf('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(networkOf('2001:db8:1:2:a:b:1.2.3.4')).toBe('2001:db8:1:2::/64');
    expect(networkOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(networkOf('::1')).toBe('0:0:0:0::/64');
    expect(networkOf('2001:db8:1:3::1')).not.toBe(networkOf('2001:db8:1:2::1'));
    expect(networkOf(undefined)).toBe('unknown');
  });
});

describe.each([
  ['in Redis', () => testEnv.redisUrl],
  ['in memory (Redis unreachable)', async () => `redis://127.0.0.1:${await freePort()}`],
])('sign-in back-off %s', (_name, redisUrl) => {
  let redis: Redis;
  let clock = 1_800_000_000_000;
  let throttle: LoginThrottle;

  beforeAll(async () => {
    redis = createRedis(await redisUrl());
    if (_name === 'in Redis') await new Promise((resolve) => redis.once('ready', resolve));
    throttle = createLoginThrottle({ redis, settings, now: () => clock, keyPrefix: `test:${randomUUID()}:` });
  });
  afterAll(() => redis.disconnect());

  /** Attempts until one is refused; returns the refusal's wait. Each attempt after the wait counts a failure. */
  async function failUntilRefused(email: string, ip: string): Promise<number> {
    for (let i = 0; i < 50; i++) {
      const attempt = await throttle.attempt(email, ip);
      if (!attempt.allowed) return attempt.retryAfterMs;
    }
    throw new Error('never refused');
  }

  it('lets 5 failures through, then doubles the wait with each failure, up to the cap; a success resets', async () => {
    const email = `${randomUUID()}@example.test`;
    const waits = [];
    // From a different network each time: rotating addresses changes nothing.
    for (let round = 0; round < 13; round++) {
      if (round > 0) clock += waits.at(-1)!; // wait exactly as long as told, then fail again
      waits.push(await failUntilRefused(email, `198.51.100.${round + 1}`));
    }
    expect(waits.slice(0, 11)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900].map((s) => s * 1000));
    expect(waits.slice(11)).toEqual([900_000, 900_000]);
    // The normalised address is the account: case and spaces do not give a fresh budget.
    expect((await throttle.attempt(` ${email.toUpperCase()} `, '198.51.100.99')).allowed).toBe(false);

    clock += 900_000;
    const allowed = await throttle.attempt(email, '198.51.100.50');
    expect(allowed.allowed).toBe(true);
    await throttle.succeeded(email, '198.51.100.50', allowed.known);
    for (let i = 0; i < 5; i++) expect((await throttle.attempt(email, '198.51.100.51')).allowed).toBe(true);
    expect((await throttle.attempt(email, '198.51.100.51')).allowed).toBe(false);
  });

  it('a network the account signed in from keeps its own back-off: the owner is not locked out', async () => {
    const email = `${randomUUID()}@example.test`;
    const home = '2001:db8:aa:1::10';
    const first = await throttle.attempt(email, home);
    await throttle.succeeded(email, home, first.known);
    // An attacker elsewhere drives the account into back-off …
    expect(await failUntilRefused(email, '192.0.2.1')).toBe(1000);
    expect((await throttle.attempt(email, '192.0.2.2')).allowed).toBe(false);
    // … while the owner at home (another address of the same /64) still gets through.
    const owner = await throttle.attempt(email, '2001:db8:aa:1::99');
    expect(owner).toEqual({ allowed: true, retryAfterMs: 0, known: true });
    await throttle.succeeded(email, '2001:db8:aa:1::99', owner.known);
    // The owner's success does not reset what the attacker built up elsewhere.
    expect((await throttle.attempt(email, '192.0.2.3')).allowed).toBe(false);
  });

  it('forgets failures a day after the back-off ends', async () => {
    const email = `${randomUUID()}@example.test`;
    for (let i = 0; i < 4; i++) expect((await throttle.attempt(email, '192.0.2.9')).allowed).toBe(true);
    clock += 24 * 60 * 60 * 1000 + 1;
    for (let i = 0; i < 5; i++) expect((await throttle.attempt(email, '192.0.2.9')).allowed).toBe(true);
    expect((await throttle.attempt(email, '192.0.2.9')).allowed).toBe(false);
  });
});

describe('in-memory back-off', () => {
  it('stays bounded', () => {
    const local = createLocalBackoff(100);
    for (let i = 0; i < 1000; i++) local.attempt(`a${i}`, `an${i}`, `k${i}`, 0, 5, 1000, 900_000);
    expect(local.size).toBeLessThanOrEqual(100);
  });
});
