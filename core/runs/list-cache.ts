// Run listings are read far more often than runs change (a dashboard polls them), so pages are
// cached in Redis under a per-team version that every change of a team's runs bumps: a bumped
// version makes every cached page of that team unreachable at once, with no key scanning.
// Redis down: reads go to the database and invalidations are skipped (pages expire anyway).
import { createHash } from 'node:crypto';
import type { Redis } from '../redis/client.ts';

const TTL_SECONDS = 30;
const versionKey = (teamId: string) => `runs:ver:${teamId}`;

export interface RunListCache {
  read<T>(teamId: string, query: object, load: () => Promise<T>): Promise<T>;
  invalidate(teamId: string): Promise<void>;
}

export function createRunListCache(redis: Redis): RunListCache {
  return {
    async read(teamId, query, load) {
      let key: string | undefined;
      try {
        const version = (await redis.get(versionKey(teamId))) ?? '0';
        key = `runs:list:${teamId}:${version}:${createHash('sha256').update(JSON.stringify(query)).digest('hex').slice(0, 24)}`;
        const cached = await redis.get(key);
        if (cached) return JSON.parse(cached) as Awaited<ReturnType<typeof load>>;
      } catch {
        key = undefined;
      }
      const value = await load();
      if (key) await redis.set(key, JSON.stringify(value), 'EX', TTL_SECONDS).catch(() => undefined);
      return value;
    },
    async invalidate(teamId) {
      await redis.incr(versionKey(teamId)).catch(() => undefined);
    },
  };
}
