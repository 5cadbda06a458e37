// Shared by the benchmarks: the real services on free ports in a temporary folder, stopped at exit.
import { mkdtempSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../api/app.ts';
import { User } from '../../core/auth/entities.ts';
import type { Config } from '../../core/config.ts';
import { createOrm, migrate } from '../../core/db/orm.ts';
import { createLogger } from '../../core/log.ts';
import { createRedis } from '../../core/redis/client.ts';
import { createTemporalClient } from '../../core/temporal.ts';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.ts';
import { freePort, removeDataKeepLogs, startRedis, startTemporalDevServer, type Service } from '../../infra/scripts/services.ts';
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
      removeDataKeepLogs(dir);
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

/** The real api (createApp) on a free loopback port, with everything it connects to; `close` undoes it all. */
export async function startBenchApi(config: Config, service = 'api-bench') {
  const logger = createLogger({ level: config.logLevel, service });
  const orm = await createOrm(config.database.url, logger);
  await migrate(orm);
  const redis = createRedis(config.redis.url, logger);
  await new Promise((resolve) => redis.once('ready', resolve));
  const temporal = await createTemporalClient(config.temporal);
  const app = createApp({ config, logger, orm, redis, temporal });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    async close() {
      server.close();
      server.closeAllConnections();
      (app.locals.close as (() => void) | undefined)?.();
      await Promise.allSettled([orm.close(), redis.quit(), temporal.connection.close()]);
    },
  };
}

/**
 * A verified user signed in over HTTP like any client: registered through the api, its email
 * marked verified in the database (no mail server in a benchmark), then logged in.
 */
export async function signInBenchUser(apiBase: string, databaseUrl: string, person: { email: string; password: string }) {
  const post = (path: string, body: unknown) => fetch(`${apiBase}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const register = await post('/api/v1/auth/register', { ...person, name: 'Bench' });
  if (register.status !== 202) throw new Error(`register: ${register.status} ${await register.text()}`);
  const orm = await createOrm(databaseUrl, createLogger({ level: 'silent', service: 'bench' }));
  await orm.em.fork().nativeUpdate(User, { email: person.email }, { emailVerifiedAt: new Date() });
  await orm.close();
  const login = await post('/api/v1/auth/login', person);
  if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
  const cookie = login.headers.getSetCookie().find((c) => c.startsWith('trellis_session='))?.split(';')[0];
  if (!cookie) throw new Error('login: no trellis_session cookie');
  const { token } = (await login.json()) as { token: string };
  return { token, cookie };
}
