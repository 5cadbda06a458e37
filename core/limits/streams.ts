// Open long-lived connections (live-event streams) counted across api replicas
// (docs/decisions/019-resource-ceilings.md). One Redis sorted set per counted owner (a user or
// API key, a team): a member per open stream, scored by when it expires. An open stream refreshes
// its expiry with every heartbeat, so the streams of a replica that died without closing them free
// their slots within `ttlMs` instead of being counted forever. Acquiring checks and takes every
// slot in one Lua script (atomic across replicas). Without Redis, the same limits hold per process.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.ts';
import type { Redis } from '../redis/client.ts';

export interface SlotRule {
  /** What is counted: `principal`, `team`. Part of the key and of the refusal. */
  name: string;
  id: string;
  limit: number;
}

export interface StreamSlot {
  /** Pushes the expiry out by ttlMs (call it more often than that). */
  refresh(): Promise<void>;
  /** Frees the slot in every rule; idempotent. */
  release(): Promise<void>;
}

export type SlotDecision = { allowed: true; slot: StreamSlot } | { allowed: false; rule: SlotRule; open: number };

export interface StreamSlots {
  acquire(rules: SlotRule[]): Promise<SlotDecision>;
  /** Streams open under one rule (expired slots not counted). */
  count(name: string, id: string): Promise<number>;
}

// KEYS: one sorted set per rule. ARGV: member, ttl ms, then one limit per key.
// Returns {0, 0} when taken, else {index of the full rule (1-based), streams open under it}.
const ACQUIRE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local open = redis.call('ZCARD', key)
  if open >= tonumber(ARGV[i + 2]) then return {i, open} end
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', key, tonumber(ARGV[2]))
end
return {0, 0}
`;

// KEYS: the slot's sorted sets. ARGV: member, ttl ms.
const REFRESH_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', key, tonumber(ARGV[2]))
end
return 1
`;

type RedisWithSlots = Redis & {
  trellisSlotAcquire(...args: (string | number)[]): Promise<[number, number]>;
  trellisSlotRefresh(...args: (string | number)[]): Promise<number>;
};

export interface StreamSlotsOptions {
  redis: Redis;
  logger?: Logger;
  /** How long a slot lives without a refresh (default 60 s). */
  ttlMs?: number;
  /** Give up on Redis after this long and count in this process (default 1 s). */
  timeoutMs?: number;
  keyPrefix?: string;
}

export function createStreamSlots(options: StreamSlotsOptions): StreamSlots {
  const redis = options.redis as RedisWithSlots;
  if (typeof redis.trellisSlotAcquire !== 'function') {
    redis.defineCommand('trellisSlotAcquire', { lua: ACQUIRE_SCRIPT });
    redis.defineCommand('trellisSlotRefresh', { lua: REFRESH_SCRIPT });
  }
  const ttlMs = options.ttlMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 1_000;
  const prefix = options.keyPrefix ?? 'trellis:slots:';
  const keyOf = (name: string, id: string) => `${prefix}${name}:${id}`;
  /** Slots taken while Redis was unavailable: key → members. */
  const local = new Map<string, Set<string>>();

  const withTimeout = <T>(promise: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis gave no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  };

  function acquireLocally(rules: SlotRule[], keys: string[], member: string): SlotDecision {
    for (const [i, rule] of rules.entries()) {
      const open = local.get(keys[i]!)?.size ?? 0;
      if (open >= rule.limit) return { allowed: false, rule, open };
    }
    for (const key of keys) local.set(key, (local.get(key) ?? new Set()).add(member));
    let released = false;
    return {
      allowed: true,
      slot: {
        refresh: async () => undefined,
        release: async () => {
          if (released) return;
          released = true;
          for (const key of keys) {
            const members = local.get(key);
            members?.delete(member);
            if (members?.size === 0) local.delete(key);
          }
        },
      },
    };
  }

  return {
    async acquire(rules) {
      const keys = rules.map((rule) => keyOf(rule.name, rule.id));
      const member = randomUUID();
      if (redis.status !== 'ready') return acquireLocally(rules, keys, member);
      let reply: [number, number];
      try {
        reply = (await withTimeout(redis.trellisSlotAcquire(keys.length, ...keys, member, ttlMs, ...rules.map((r) => r.limit)))).map(Number) as [number, number];
      } catch (error) {
        options.logger?.warn({ err: (error as Error).message }, 'Redis unavailable: stream slots are counted per process');
        return acquireLocally(rules, keys, member);
      }
      if (reply[0] > 0) return { allowed: false, rule: rules[reply[0] - 1]!, open: reply[1] };
      let released = false;
      return {
        allowed: true,
        slot: {
          async refresh() {
            if (released) return;
            await redis.trellisSlotRefresh(keys.length, ...keys, member, ttlMs).catch(() => undefined);
          },
          async release() {
            if (released) return;
            released = true;
            // Should this fail, the slot expires by itself after ttlMs.
            await Promise.all(keys.map((key) => redis.zrem(key, member))).catch(() => undefined);
          },
        },
      };
    },
    async count(name, id) {
      const key = keyOf(name, id);
      const now = Date.now();
      const inRedis = redis.status === 'ready' ? await redis.zcount(key, now, '+inf').catch(() => 0) : 0;
      return inRedis + (local.get(key)?.size ?? 0);
    },
  };
}
