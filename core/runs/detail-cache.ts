// A finished run never changes, but reading its node states means asking a worker, which replays
// the run's whole history for a closed workflow — slow for long runs and a load on the worker when
// a finished run is viewed often. The first complete answer is kept in Redis for a week.
// Redis down: every read asks Temporal, as without the cache.
import type { Redis } from '../redis/client.ts';
import type { RunDetail } from './service.ts';

const TTL_SECONDS = 7 * 24 * 3600;
/** Larger details (many nodes with outputs near the blob threshold) are not worth the memory. */
const MAX_BYTES = 1024 * 1024;
const key = (teamId: string, runId: string) => `runs:detail:${teamId}:${runId}`;

export interface RunDetailCache {
  read(teamId: string, runId: string): Promise<RunDetail | undefined>;
  keep(teamId: string, detail: RunDetail): Promise<void>;
}

export function createRunDetailCache(redis: Redis): RunDetailCache {
  return {
    async read(teamId, runId) {
      const cached = await redis.get(key(teamId, runId)).catch(() => null);
      return cached ? (JSON.parse(cached) as RunDetail) : undefined;
    },
    async keep(teamId, detail) {
      const value = JSON.stringify(detail);
      if (Buffer.byteLength(value) > MAX_BYTES) return;
      await redis.set(key(teamId, detail.runId), value, 'EX', TTL_SECONDS).catch(() => undefined);
    },
  };
}
