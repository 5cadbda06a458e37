// Failed password sign-ins, throttled per account and per network (docs/decisions/011-rate-limits.md):
// - per network (an IPv4 address, an IPv6 /64): a GCRA bucket of failures, high enough that
//   people behind one NAT still sign in while someone among them guesses;
// - per account: a growing back-off. The first `freeFailures` failures cost nothing; from then on
//   each failure doubles the wait before the next attempt (1 s, 2 s, 4 s … capped). A success
//   resets it; failures are forgotten a day after the last back-off ends.
// So that an attacker cannot lock the owner out, the account-wide back-off does not apply on a
// network the account signed in from successfully in the last 30 days: there the attempts count
// in a back-off of their own, per (account, network).
// Every attempt is counted before the password is verified (and given back when it succeeds), so
// parallel guesses cannot slip past the count, and a refused attempt costs no argon2 work and
// tells nothing about the password. OAuth sign-ins do not pass here.
import { TooManyRequestsError, UnauthorizedError, UserError } from '../errors.ts';
import type { Config } from '../config.ts';
import { createRateLimiter, type RateRule } from '../limits/limiter.ts';
import { networkOf } from '../limits/network.ts';
import type { Logger } from '../log.ts';
import type { Redis } from '../redis/client.ts';
import { sha256Hex } from './random.ts';

const KNOWN_NETWORK_MS = 30 * 24 * 60 * 60 * 1000;
const FORGET_AFTER_MS = 24 * 60 * 60 * 1000;
const NETWORK_WINDOW_SECONDS = 15 * 60;

export interface BackoffAttempt {
  allowed: boolean;
  retryAfterMs: number;
  /** The network is known for the account: the attempt counted in the (account, network) back-off. */
  known: boolean;
}

// KEYS: account state, (account, network) state, known-network mark.
// ARGV: now ms, free failures, base ms, cap ms, forget ms. Returns {allowed, retry ms, known}.
// The state's times are the caller's clock (kept in the hash, as well as the key's TTL), so
// replicas agree within their clock skew and tests can move time.
export const BACKOFF_ATTEMPT_SCRIPT = `
local known = redis.call('EXISTS', KEYS[3]) == 1
local key = KEYS[1]
if known then key = KEYS[2] end
local now = tonumber(ARGV[1])
local state = redis.call('HMGET', key, 'n', 'until', 'forget')
local n = tonumber(state[1]) or 0
local untilMs = tonumber(state[2]) or 0
if now >= (tonumber(state[3]) or now + 1) then
  n = 0
  untilMs = 0
end
local k = 0
if known then k = 1 end
if now < untilMs then return {0, untilMs - now, k} end
n = n + 1
local free = tonumber(ARGV[2])
if n >= free then untilMs = now + math.min(tonumber(ARGV[3]) * 2 ^ math.min(n - free, 40), tonumber(ARGV[4])) end
local forget = math.max(untilMs, now) + tonumber(ARGV[5])
redis.call('HSET', key, 'n', n, 'until', string.format('%.0f', untilMs), 'forget', string.format('%.0f', forget))
redis.call('PEXPIRE', key, forget - now)
return {1, 0, k}
`;

type Reply = [number, number, number];
type RedisWithBackoff = Redis & { trellisLoginAttempt(a: string, an: string, known: string, now: number, free: number, baseMs: number, capMs: number, forgetMs: number): Promise<Reply> };

export type LoginThrottleSettings = Pick<Config['rateLimit'], 'enabled' | 'login'>;

export interface LoginThrottle {
  /** Runs one password sign-in under the limits: 429 before any work when over one; counts its outcome. */
  guard<T>(email: string, ip: string | undefined, signIn: () => Promise<T>): Promise<T>;
  /** The account back-off on its own (tests and the ADR's numbers). */
  attempt(email: string, ip: string | undefined): Promise<BackoffAttempt>;
  succeeded(email: string, ip: string | undefined, known: boolean): Promise<void>;
}

export function createLoginThrottle(deps: { redis: Redis; settings: LoginThrottleSettings; logger?: Logger; now?: () => number; keyPrefix?: string }): LoginThrottle {
  const { settings } = deps;
  const login = settings.login;
  const redis = deps.redis as RedisWithBackoff;
  if (typeof redis.trellisLoginAttempt !== 'function') redis.defineCommand('trellisLoginAttempt', { numberOfKeys: 3, lua: BACKOFF_ATTEMPT_SCRIPT });
  const now = deps.now ?? Date.now;
  const prefix = deps.keyPrefix ?? 'trellis:login:';
  const limiter = createRateLimiter({ redis: deps.redis, ...(deps.logger ? { logger: deps.logger } : {}) });
  const networkRule: RateRule = { name: 'login-network', limit: login.failuresPerNetwork, windowSeconds: NETWORK_WINDOW_SECONDS };
  const baseMs = login.backoffBaseSeconds * 1000;
  const capMs = login.backoffMaxSeconds * 1000;
  const local = createLocalBackoff();
  let redisBackoffUntil = 0;

  // Never the email itself in Redis: a hash of the normalised address.
  const keys = (email: string, ip: string | undefined) => {
    const account = sha256Hex(email.trim().toLowerCase()).slice(0, 32);
    const network = networkOf(ip);
    return { account: `${prefix}a:${account}`, accountNetwork: `${prefix}an:${account}:${network}`, known: `${prefix}k:${account}:${network}`, network };
  };

  /** Redis when it answers within a second; this process's memory otherwise (as the GCRA limiter does). */
  async function inRedis<T>(work: () => Promise<T>): Promise<T | undefined> {
    if (redis.status !== 'ready' || Date.now() < redisBackoffUntil) return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([work(), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('Redis gave no answer within 1000 ms')), 1_000)))]);
    } catch (error) {
      deps.logger?.warn({ err: (error as Error).message }, 'Redis unavailable: sign-in back-off is kept per process');
      redisBackoffUntil = Date.now() + 1_000;
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  const throttle: LoginThrottle = {
    async attempt(email, ip) {
      const k = keys(email, ip);
      const at = now();
      const reply = await inRedis(() => redis.trellisLoginAttempt(k.account, k.accountNetwork, k.known, at, login.freeFailures, baseMs, capMs, FORGET_AFTER_MS));
      const [allowed, retryMs, known] = (reply ?? local.attempt(k.account, k.accountNetwork, k.known, at, login.freeFailures, baseMs, capMs)).map(Number) as Reply;
      return { allowed: allowed === 1, retryAfterMs: retryMs, known: known === 1 };
    },

    async succeeded(email, ip, known) {
      const k = keys(email, ip);
      const reset = known ? k.accountNetwork : k.account;
      const done = await inRedis(() => redis.multi().del(reset).set(k.known, '1', 'PX', KNOWN_NETWORK_MS).exec());
      if (!done) local.succeeded(reset, k.known, now());
    },

    async guard(email, ip, signIn) {
      if (!settings.enabled) return signIn();
      const network = networkOf(ip);
      const giveBack = () => limiter.consume(networkRule, network, -1);
      const net = await limiter.consume(networkRule, network);
      if (!net.allowed) {
        throw new TooManyRequestsError('rate_limited_network', 'Too many failed sign-ins from your network; wait a little', net.retryAfterSeconds);
      }
      const attempt = await throttle.attempt(email, ip);
      if (!attempt.allowed) {
        await giveBack(); // refused before any guess: not a failure of this network
        throw new TooManyRequestsError(
          'rate_limited_account',
          'Too many failed sign-ins to this account; wait before trying again, sign in from a network you used before, or reset the password',
          attempt.retryAfterMs / 1000,
        );
      }
      try {
        const result = await signIn();
        await Promise.all([giveBack(), throttle.succeeded(email, ip, attempt.known)]);
        return result;
      } catch (error) {
        const rightPassword = error instanceof UserError && error.code === 'email_not_verified';
        if (rightPassword) await Promise.all([giveBack(), throttle.succeeded(email, ip, attempt.known)]);
        else if (!(error instanceof UnauthorizedError)) await giveBack(); // not a wrong guess (say, the database failed)
        throw error;
      }
    },
  };
  return throttle;
}

/** The same back-off in memory, for when Redis is unavailable. Bounded: expired entries are swept. */
export function createLocalBackoff(maxEntries = 100_000) {
  const states = new Map<string, { n: number; until: number; expires: number }>();
  const known = new Map<string, number>();
  let lastSweep = 0;
  const sweep = (at: number) => {
    for (const [key, state] of states) if (state.expires <= at) states.delete(key);
    for (const [key, expires] of known) if (expires <= at) known.delete(key);
    lastSweep = at;
  };
  const bound = (map: Map<string, unknown>) => {
    if (map.size >= maxEntries) map.delete(map.keys().next().value as string); // still full after a sweep: drop the oldest
  };
  return {
    attempt(accountKey: string, accountNetworkKey: string, knownKey: string, at: number, free: number, baseMs: number, capMs: number): Reply {
      if (at - lastSweep > 60_000 || states.size + known.size > maxEntries) sweep(at);
      const isKnown = (known.get(knownKey) ?? 0) > at;
      const key = isKnown ? accountNetworkKey : accountKey;
      const state = states.get(key);
      const k = isKnown ? 1 : 0;
      if (state && state.expires > at && at < state.until) return [0, state.until - at, k];
      const n = (state && state.expires > at ? state.n : 0) + 1;
      const until = n >= free ? at + Math.min(baseMs * 2 ** Math.min(n - free, 40), capMs) : (state?.until ?? 0);
      bound(states);
      states.set(key, { n, until, expires: Math.max(until, at) + FORGET_AFTER_MS });
      return [1, 0, k];
    },
    succeeded(resetKey: string, knownKey: string, at: number): void {
      states.delete(resetKey);
      bound(known);
      known.set(knownKey, at + KNOWN_NETWORK_MS);
    },
    get size() {
      return states.size + known.size;
    },
  };
}
