// Shared by the benchmarks: the real services on free ports in a temporary folder, stopped at exit.
import { mkdtempSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.ts';
import { freePort, startRedis, startTemporalDevServer, type Service } from '../../infra/scripts/services.ts';
import { startTemporalPostgres } from './temporal-postgres.ts';

/** `dev-server`: the Temporal CLI's dev server (SQLite); `postgresql`: temporal-server on a private PostgreSQL. */
export type TemporalStore = 'dev-server' | 'postgresql';
export const TEMPORAL_STORES: readonly TemporalStore[] = ['dev-server', 'postgresql'];

export interface BenchServices {
  dir: string;
  temporalAddress: string;
  temporalStore: TemporalStore;
  redisUrl: string;
  stop(): Promise<void>;
}

export async function startBenchServices(options: { temporalDbFile?: boolean; temporalStore?: TemporalStore } = {}): Promise<BenchServices> {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-bench-'));
  chmodSync(dir, 0o755);
  const store = options.temporalStore ?? 'dev-server';
  const [temporalPort, redisPort] = [await freePort(), await freePort()];
  const startTemporal = async (): Promise<{ address: string; services: Service[] }> => {
    if (store === 'postgresql') return startTemporalPostgres({ dir, searchAttributes: SEARCH_ATTRIBUTES });
    const devServer = await startTemporalDevServer({
      port: temporalPort,
      searchAttributes: SEARCH_ATTRIBUTES,
      logFile: join(dir, 'temporal.log'),
      dbFile: options.temporalDbFile ? join(dir, 'temporal.db') : undefined,
    });
    return { address: `127.0.0.1:${temporalPort}`, services: [devServer] };
  };
  const [temporal, redis] = await Promise.all([
    startTemporal(),
    startRedis({ port: redisPort, dir: join(dir, 'redis'), logFile: join(dir, 'redis.log') }),
  ]);
  return {
    dir,
    temporalAddress: temporal.address,
    temporalStore: store,
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    async stop() {
      // The Temporal server before its PostgreSQL (temporal.services is in start order).
      await Promise.all([redis.stop(), (async () => {
        for (const s of [...temporal.services].reverse()) await s.stop();
      })()]);
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

export function log(message: string) {
  console.log(`  ${message}`);
}
