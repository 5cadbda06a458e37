// The whole Trellis stack for the fault campaign, started as `npm start` does (Temporal dev server
// on a db file, Redis, PostgreSQL for the app database, then `node api/server.ts` and
// `node worker/main.ts` as child processes, and `node web/server.ts` when the web app is built),
// on free ports in a temporary folder. Every part can be killed with SIGKILL (its whole process
// group, as a container runtime does) and started again on the same ports and files.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOrm, migrate } from '../../core/db/orm.ts';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.ts';
import { ROOT, freePort, httpOk, launch, startPostgres, startRedis, startTemporalDevServer, waitFor, type Service } from '../../infra/scripts/services.ts';

export const PARTS = ['worker', 'api', 'temporal', 'redis', 'postgresql'] as const;
export type Part = (typeof PARTS)[number];

export interface ChaosStack {
  dir: string;
  apiUrl: string;
  webUrl: string | undefined;
  databaseUrl: string;
  /** SIGKILL to the part's process group; resolves once it is gone. */
  kill(part: Part): Promise<void>;
  /** Starts the part again (same ports, same files) and waits until it is up. */
  restart(part: Part): Promise<void>;
  /** Apps that exited without being killed by the campaign (each is restarted, as a supervisor would). */
  unexpectedExits: { part: string; at: number; code: number | null }[];
  stop(): Promise<void>;
}

const APP_START_TIMEOUT_MS = 180_000;

export async function startChaosStack(options: { smtpUrl: string; extraEnv?: NodeJS.ProcessEnv; web?: boolean }): Promise<ChaosStack> {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-chaos-'));
  chmodSync(dir, 0o755); // PostgreSQL runs as the postgres user when we are root
  const logDir = join(dir, 'logs');
  const [temporalPort, redisPort, pgPort, apiPort, webPort, metricsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
  const temporalOptions = { port: temporalPort, dbFile: join(dir, 'temporal', 'temporal.db'), searchAttributes: SEARCH_ATTRIBUTES, logFile: join(logDir, 'temporal.log') };
  const redisOptions = { port: redisPort, dir: join(dir, 'redis'), logFile: join(logDir, 'redis.log') };
  const pgOptions = { port: pgPort, dir: join(dir, 'postgresql'), logFile: join(logDir, 'postgresql.log') };

  const services = new Map<string, Service>();
  const [temporal, redis, pg] = await Promise.all([startTemporalDevServer(temporalOptions), startRedis(redisOptions), startPostgres(pgOptions)]);
  services.set('temporal', temporal).set('redis', redis).set('postgresql', pg);
  const databaseUrl = pg.url;
  const orm = await createOrm(databaseUrl);
  await migrate(orm);
  await orm.close();

  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const webBuilt = existsSync(join(ROOT, 'web', 'build', 'server'));
  const withWeb = (options.web ?? true) && webBuilt;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    TRELLIS_DATA_DIR: dir,
    API_PORT: String(apiPort),
    WEB_PORT: String(webPort),
    API_URL: apiUrl,
    PUBLIC_URL: `http://127.0.0.1:${webPort}`,
    WORKER_METRICS_PORT: String(metricsPort),
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    DATABASE_URL: databaseUrl,
    SMTP_URL: options.smtpUrl,
    TRELLIS_SECRET_KEY: randomBytes(32).toString('base64'),
    // The http nodes call the campaign's ledger on loopback, which the SSRF guard refuses unless allowed.
    TRELLIS_HTTP_ALLOWLIST: '127.0.0.1',
    // The load and its polling come from one address and one session.
    RATE_LIMIT_AUTH_PER_IP: '100000',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000',
    RATE_LIMIT_PRINCIPAL_PER_MINUTE: '100000',
    // A start cut short between writing the run's row and starting its workflow (the api killed)
    // leaves a row with no execution; the reconciler closes it after its grace period, which the
    // campaign shortens from 5 minutes so that each fault's checks can see it closed.
    TRELLIS_RECONCILE_INTERVAL_SECONDS: '5',
    TRELLIS_RECONCILE_GRACE_SECONDS: '30',
    ...options.extraEnv,
  };

  const killed = new Set<string>();
  const unexpectedExits: ChaosStack['unexpectedExits'] = [];
  let stopping = false;

  const startApp = async (name: 'api' | 'worker' | 'web'): Promise<void> => {
    let ready = false;
    const entry = { api: 'api/server.ts', worker: 'worker/main.ts', web: 'web/server.ts' }[name];
    const service = launch(name, process.execPath, [entry], {
      env,
      logFile: join(logDir, `${name}.log`),
      // The worker announces that it polls its task queue.
      onLine: name === 'worker' ? (line) => void (line.includes('"msg":"worker ready"') && (ready = true)) : undefined,
    });
    services.set(name, service);
    void service.exited.then((code) => {
      if (stopping || killed.delete(name) || services.get(name) !== service) return;
      unexpectedExits.push({ part: name, at: Date.now(), code });
      void startApp(name).catch(() => undefined);
    });
    const probe = {
      api: () => httpOk(`${apiUrl}/readyz`),
      worker: () => Promise.resolve(ready),
      web: () => httpOk(`http://127.0.0.1:${webPort}/healthz`),
    }[name];
    await waitFor(name, probe, APP_START_TIMEOUT_MS, service);
  };

  const restarts: Record<Part, () => Promise<void>> = {
    worker: () => startApp('worker'),
    api: () => startApp('api'),
    temporal: async () => void services.set('temporal', await startTemporalDevServer(temporalOptions)),
    redis: async () => void services.set('redis', await startRedis(redisOptions)),
    // Until the last backend of the killed server notices and exits, the new one refuses to start
    // ("lock file postmaster.pid already exists"): start again, as a supervisor would.
    postgresql: async () => {
      const deadline = Date.now() + 120_000;
      for (;;) {
        try {
          return void services.set('postgresql', await startPostgres(pgOptions));
        } catch (error) {
          if (Date.now() > deadline) throw error;
        }
      }
    },
  };

  const stack: ChaosStack = {
    dir,
    apiUrl,
    webUrl: withWeb ? `http://127.0.0.1:${webPort}` : undefined,
    databaseUrl,
    unexpectedExits,
    async kill(part) {
      const service = services.get(part);
      if (!service?.process.pid) throw new Error(`${part} is not running`);
      killed.add(part);
      // The process group: PostgreSQL runs under runuser, the worker has expression runners.
      try {
        process.kill(-service.process.pid, 'SIGKILL');
      } catch {
        service.process.kill('SIGKILL');
      }
      await service.exited;
    },
    restart: (part) => restarts[part](),
    async stop() {
      stopping = true;
      const stopAll = (names: string[]) => Promise.all(names.map((n) => services.get(n)?.stop(15_000)));
      await stopAll(['web', 'api', 'worker']);
      await stopAll(['temporal', 'redis', 'postgresql']);
    },
  };
  try {
    await Promise.all([startApp('api'), startApp('worker'), ...(withWeb ? [startApp('web')] : [])]);
  } catch (error) {
    await stack.stop();
    throw new Error(`${(error as Error).message} (logs in ${logDir})`, { cause: error });
  }
  return stack;
}
