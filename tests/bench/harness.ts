// Shared by the benchmarks: the real services on free ports in a temporary folder, stopped at exit.
import { mkdtempSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.ts';
import { freePort, startRedis, startTemporalDevServer, type Service } from '../../infra/scripts/services.ts';

export interface BenchServices {
  dir: string;
  temporalAddress: string;
  redisUrl: string;
  stop(): Promise<void>;
}

export async function startBenchServices(options: { temporalDbFile?: boolean } = {}): Promise<BenchServices> {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-bench-'));
  chmodSync(dir, 0o755);
  const [temporalPort, redisPort] = [await freePort(), await freePort()];
  const services: Service[] = await Promise.all([
    startTemporalDevServer({
      port: temporalPort,
      searchAttributes: SEARCH_ATTRIBUTES,
      logFile: join(dir, 'temporal.log'),
      dbFile: options.temporalDbFile ? join(dir, 'temporal.db') : undefined,
    }),
    startRedis({ port: redisPort, dir: join(dir, 'redis'), logFile: join(dir, 'redis.log') }),
  ]);
  return {
    dir,
    temporalAddress: `127.0.0.1:${temporalPort}`,
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    async stop() {
      await Promise.all(services.map((s) => s.stop()));
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
