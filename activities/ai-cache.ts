// The AI answer cache in Redis (opt-in per node), and the best-effort way every Redis command of
// the ai activity runs: Redis is an accelerator here, so when it is down or slow the cache is
// skipped and the call still succeeds.
import type { Redis } from 'ioredis';
import type { Logger } from '../core/log.ts';
import { AI_CACHE_HITS_KEY as CACHE_HITS_KEY, AI_CACHE_MISSES_KEY as CACHE_MISSES_KEY, AI_CACHE_PREFIX as CACHE_PREFIX } from '../core/redis/keys.ts';
import type { NodeCallContext } from './http.ts';
import { sha256 } from './ai-provider.ts';

// The key names are core's (core/redis/keys.ts): the api reads the counters too.
export { CACHE_PREFIX, CACHE_HITS_KEY, CACHE_MISSES_KEY };
export const DEFAULT_CACHE_TTL_SECONDS = 24 * 60 * 60;

export interface CachedAnswer {
  text: string;
  json?: unknown;
  model: string;
  finishReason?: string;
}

/** JSON with object keys sorted, so equal parameters hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The cache is per team (a model name can be private to one account) and per provider. */
export function cacheKeyOf(parts: { teamId: string; baseUrl: string; model: string; messages: unknown; temperature?: number; maxTokens?: number; jsonSchema?: unknown }): string {
  return `${CACHE_PREFIX}${sha256(canonicalJson({ v: 1, ...parts }))}`;
}

export function createRedisHelpers(deps: { redis: Redis; logger: Logger; redisTimeoutMs?: number; cacheTtlSeconds?: number }) {
  const redisTimeoutMs = deps.redisTimeoutMs ?? 1_000;

  /** A Redis command that may fail or hang without failing the activity. */
  async function bestEffort<T>(what: string, call: NodeCallContext, command: () => Promise<T>): Promise<T | undefined> {
    const status = deps.redis.status;
    if (status === 'end' || status === 'close' || status === 'reconnecting') {
      deps.logger.debug({ runId: call.runId, nodeId: call.nodeId, status }, `redis unavailable, skipping ${what}`);
      return undefined;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        command(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${redisTimeoutMs} ms`)), redisTimeoutMs);
        }),
      ]);
    } catch (error) {
      deps.logger.debug({ runId: call.runId, nodeId: call.nodeId, err: (error as Error).message }, `redis ${what} failed, continuing`);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The cached answer, counting the hit or the miss (per team too) in the background. */
  async function lookup(cacheKey: string, call: NodeCallContext): Promise<CachedAnswer | undefined> {
    const hit = await bestEffort('cache lookup', call, () => deps.redis.get(cacheKey));
    let answer: CachedAnswer | undefined;
    if (typeof hit === 'string') {
      try {
        answer = JSON.parse(hit) as CachedAnswer;
      } catch {
        answer = undefined;
      }
    }
    if (answer) {
      void bestEffort('cache hit count', call, () => deps.redis.multi().incr(CACHE_HITS_KEY).incr(`${CACHE_HITS_KEY}:${call.teamId}`).exec());
    } else if (hit !== undefined) {
      void bestEffort('cache miss count', call, () => deps.redis.multi().incr(CACHE_MISSES_KEY).incr(`${CACHE_MISSES_KEY}:${call.teamId}`).exec());
    }
    return answer;
  }

  async function store(cacheKey: string, call: NodeCallContext, entry: CachedAnswer): Promise<void> {
    const ttl = deps.cacheTtlSeconds ?? DEFAULT_CACHE_TTL_SECONDS;
    await bestEffort('cache store', call, () => deps.redis.set(cacheKey, JSON.stringify(entry), 'EX', ttl));
  }

  return { bestEffort, lookup, store };
}
