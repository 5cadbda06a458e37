// Rate limits as a token bucket in the GCRA form (generic cell rate algorithm): one Redis key per
// bucket holding its "theoretical arrival time", updated by one Lua script, so a check-and-take
// is atomic across every API replica and costs one round trip. Time comes from Redis (TIME), so
// replicas with skewed clocks agree.
//
// When Redis is unreachable or slow, the same algorithm runs in this process's memory instead:
// limits keep holding per replica (N replicas let N× through) rather than vanishing or turning
// into 500s. See docs/decisions/011-rate-limits.md.
import type { Logger } from '../log.ts';
import type { Redis } from '../redis/client.ts';

export interface RateRule {
  /** Bucket family, part of the key: `auth-ip`, `principal`, `team` … */
  name: string;
  /** Requests allowed per window; also the burst size. */
  limit: number;
  windowSeconds: number;
}

export interface Decision {
  allowed: boolean;
  limit: number;
  /** Requests that would still be allowed right now. */
  remaining: number;
  /** Seconds until the bucket is full again (RateLimit-Reset). */
  resetSeconds: number;
  /** Seconds to wait before a retry can succeed; 0 when allowed. */
  retryAfterSeconds: number;
  /** Where the decision was made: Redis, or this process while Redis is unavailable. */
  store: 'redis' | 'local';
}

export interface RateLimiter {
  consume(rule: RateRule, id: string, cost?: number): Promise<Decision>;
  /** True while decisions are made locally because Redis failed recently. */
  readonly degraded: boolean;
}

// KEYS[1] bucket; ARGV: limit, period ms, cost. Returns {allowed, remaining, reset ms, retry ms}.
export const GCRA_SCRIPT = `
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local interval = period / limit
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = now
local stored = redis.call('GET', KEYS[1])
if stored then tat = math.max(tonumber(stored), now) end
local new_tat = tat + interval * cost
local allow_at = new_tat - period
if now < allow_at then
  local remaining = math.floor((now - (tat - period)) / interval)
  if remaining < 0 then remaining = 0 end
  return {0, remaining, math.ceil(tat - now), math.ceil(allow_at - now)}
end
redis.call('SET', KEYS[1], string.format('%.17g', new_tat), 'PX', math.max(1, math.ceil(new_tat - now)))
return {1, math.floor((now - allow_at) / interval), math.ceil(new_tat - now), 0}
`;

type GcraReply = [number, number, number, number];
type RedisWithGcra = Redis & { trellisGcra(key: string, limit: number, periodMs: number, cost: number): Promise<GcraReply> };

export interface LimiterOptions {
  redis: Redis;
  logger?: Logger;
  /** Give up on Redis after this long and decide locally (default 1 s: generous, so a saturated event loop is not taken for a dead Redis). */
  timeoutMs?: number;
  /** After a Redis failure, decide locally for this long before trying Redis again (default 1 s). */
  retryRedisAfterMs?: number;
  keyPrefix?: string;
  now?: () => number;
}

export function createRateLimiter(options: LimiterOptions): RateLimiter {
  const redis = options.redis as RedisWithGcra;
  if (typeof redis.trellisGcra !== 'function') redis.defineCommand('trellisGcra', { numberOfKeys: 1, lua: GCRA_SCRIPT });
  const timeoutMs = options.timeoutMs ?? 1_000;
  const retryAfterMs = options.retryRedisAfterMs ?? 1_000;
  const prefix = options.keyPrefix ?? 'trellis:rl:';
  const now = options.now ?? Date.now;
  const local = createLocalGcra(now);
  let redisBackoffUntil = 0;
  let degraded = false;

  const toDecision = (reply: GcraReply, limit: number, store: Decision['store']): Decision => ({
    allowed: reply[0] === 1,
    limit,
    remaining: Math.max(0, Math.min(limit, reply[1])),
    resetSeconds: Math.max(0, Math.ceil(reply[2] / 1000)),
    retryAfterSeconds: reply[0] === 1 ? 0 : Math.max(1, Math.ceil(reply[3] / 1000)),
    store,
  });

  return {
    get degraded() {
      return degraded;
    },
    async consume(rule, id, cost = 1) {
      const key = `${prefix}${rule.name}:${id}`;
      const periodMs = rule.windowSeconds * 1000;
      // Not connected (yet, or any more): decide locally at once; ioredis reconnects by itself.
      if (redis.status === 'ready' && now() >= redisBackoffUntil) {
        let timer: NodeJS.Timeout | undefined;
        try {
          const reply = await Promise.race([
            redis.trellisGcra(key, rule.limit, periodMs, cost),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`Redis gave no answer within ${timeoutMs} ms`)), timeoutMs);
            }),
          ]);
          if (degraded) options.logger?.info('rate limits are decided in Redis again');
          degraded = false;
          return toDecision(reply.map(Number) as GcraReply, rule.limit, 'redis');
        } catch (error) {
          if (!degraded) options.logger?.warn({ err: (error as Error).message }, 'Redis unavailable: rate limits are decided per process until it is back');
          degraded = true;
          redisBackoffUntil = now() + retryAfterMs;
        } finally {
          clearTimeout(timer);
        }
      }
      if (redis.status !== 'ready' && !degraded) {
        options.logger?.warn({ status: redis.status }, 'Redis not connected: rate limits are decided per process until it is');
        degraded = true;
      }
      return toDecision(local.take(key, rule.limit, periodMs, cost), rule.limit, 'local');
    },
  };
}

/** The same GCRA in memory, for when Redis is unavailable. Bounded: idle buckets are swept. */
export function createLocalGcra(now: () => number = Date.now, maxEntries = 100_000) {
  const tats = new Map<string, number>();
  let lastSweep = now();
  const sweep = (at: number) => {
    for (const [key, tat] of tats) if (tat <= at) tats.delete(key);
    lastSweep = at;
  };
  return {
    take(key: string, limit: number, periodMs: number, cost: number): GcraReply {
      const at = now();
      if (at - lastSweep > 60_000 || tats.size > maxEntries) sweep(at);
      const interval = periodMs / limit;
      const tat = Math.max(tats.get(key) ?? at, at);
      const newTat = tat + interval * cost;
      const allowAt = newTat - periodMs;
      if (at < allowAt) {
        return [0, Math.max(0, Math.floor((at - (tat - periodMs)) / interval)), Math.ceil(tat - at), Math.ceil(allowAt - at)];
      }
      if (tats.size >= maxEntries) tats.delete(tats.keys().next().value as string); // still full after a sweep: drop the oldest
      tats.set(key, newTat);
      return [1, Math.floor((at - allowAt) / interval), Math.ceil(newTat - at), 0];
    },
    get size() {
      return tats.size;
    },
  };
}
