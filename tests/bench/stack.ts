// The whole Trellis stack as separate processes, the way `npm start` runs it: the Temporal dev
// server (SQLite file), Redis, the app database (a SQLite file, or a private PostgreSQL with
// BENCH_APP_DB=postgresql), `node api/server.ts` and `node worker/main.ts`, on free ports in a
// temporary folder. Separate processes so /proc can tell what each one costs (tests/bench/proc.ts).
// Setup goes through the public API (register, workflows, webhooks); the database is touched only
// to verify the bench user's email and to put teams on a plan (what an operator would do).
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOrm, migrate } from '../../core/db/orm.ts';
import { createLogger } from '../../core/log.ts';
import { Team } from '../../core/teams/entities.ts';
import { loadWorkflowBundle } from '../../worker/bundle.ts';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.ts';
import { freePort, httpOk, launch, removeDataKeepLogs, startPostgres, startRedis, startTemporalDevServer, type Service } from '../../infra/scripts/services.ts';
import { signInBenchUser, TEMPORAL_STORES, type TemporalStore } from './harness.ts';
import { startTemporalPostgres } from './temporal-postgres.ts';

export type AppDb = 'sqlite' | 'postgresql';

export interface TrellisStack {
  dir: string;
  /** What this stack runs on, for the benchmark's header line. */
  label: string;
  apiBase: string;
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  appDb: AppDb;
  /** name → pid of every process of the stack (api, worker, temporal, redis, postgresql). */
  pids: Record<string, number>;
  /** The worker's Node heap limit, when one was set. */
  workerHeapMb?: number;
  /** Puts a team on a plan (core/plans.ts) directly in the database. */
  setPlan(teamId: string, plan: string): Promise<void>;
  /** Run rows by status, for some teams (all teams when omitted). */
  runCounts(teamIds?: string[]): Promise<Record<string, number>>;
  /** Raw SQL on the app database (reading run rows). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

export interface StackOptions {
  appDb?: AppDb;
  /** --max-old-space-size of the worker: its memory budget (the SDK sizes its workflow cache from it). */
  workerHeapMb?: number;
  /** Extra environment for the api and the worker. */
  env?: Record<string, string>;
  /** `dev-server` (default, a SQLite file) or `postgresql` (temporal-server on a private PostgreSQL); BENCH_TEMPORAL_STORE. */
  temporalStore?: TemporalStore;
}

async function poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, exited?: Promise<unknown>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void exited?.then(() => (gone = true));
  while (Date.now() < deadline) {
    if (gone) throw new Error(`${what}: the process exited (see its log)`);
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not ready within ${timeoutMs} ms`);
}

// Ctrl-C or a timeout: exit, so launch()'s exit handlers stop every child (none outlives the benchmark).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

export async function startTrellisStack(options: StackOptions = {}): Promise<TrellisStack> {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-bench-'));
  chmodSync(dir, 0o755);
  const appDb = options.appDb ?? ((process.env.BENCH_APP_DB as AppDb | undefined) ?? 'sqlite');
  const services: Service[] = [];
  const pids: Record<string, number> = {};
  const [temporalPort, redisPort, apiPort, metricsPort, pgPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const store = options.temporalStore ?? ((process.env.BENCH_TEMPORAL_STORE as TemporalStore | undefined) ?? 'dev-server');
  if (!TEMPORAL_STORES.includes(store)) throw new Error(`unknown Temporal store ${store} (known: ${TEMPORAL_STORES.join(', ')})`);
  let temporalAddress: string | undefined;
  const started = await Promise.all([
    store === 'postgresql'
      ? startTemporalPostgres({ dir, searchAttributes: SEARCH_ATTRIBUTES }).then((t) => {
        temporalAddress = t.address;
        // Services in start order: its PostgreSQL, then the server.
        for (const service of t.services) pids[service.name === 'temporal-server' ? 'temporal' : 'temporal postgresql'] = service.process.pid as number;
        services.push(...t.services);
        return undefined;
      })
      : startTemporalDevServer({ port: temporalPort, searchAttributes: SEARCH_ATTRIBUTES, logFile: join(dir, 'temporal.log'), dbFile: join(dir, 'temporal.db') }),
    startRedis({ port: redisPort, dir: join(dir, 'redis'), logFile: join(dir, 'redis.log') }),
    appDb === 'postgresql' ? startPostgres({ port: pgPort, dir: join(dir, 'postgresql'), logFile: join(dir, 'postgresql.log') }) : undefined,
  ]);
  const [temporal, redis, postgres] = started;
  if (temporal) {
    services.push(temporal);
    pids.temporal = temporal.process.pid as number;
    temporalAddress = `127.0.0.1:${temporalPort}`;
  }
  services.push(redis);
  pids.redis = redis.process.pid as number;
  if (postgres) {
    services.push(postgres);
    pids.postgresql = postgres.process.pid as number;
  }
  const databaseUrl = postgres ? postgres.url : `sqlite:${join(dir, 'app.sqlite')}`;
  const orm = await createOrm(databaseUrl, createLogger({ level: 'silent', service: 'bench' }));
  await migrate(orm);

  const taskQueue = `bench-${randomBytes(4).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    TRELLIS_SECRET_KEY: randomBytes(32).toString('base64'),
    TRELLIS_DATA_DIR: dir,
    DATABASE_URL: databaseUrl,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    API_PORT: String(apiPort),
    PUBLIC_URL: `http://127.0.0.1:${apiPort}`,
    WORKER_METRICS_PORT: String(metricsPort),
    // Limits stay on (their Redis round trips are part of the cost) but never refuse the load.
    RATE_LIMIT_PRINCIPAL_PER_MINUTE: '100000000',
    RATE_LIMIT_WEBHOOK_PER_MINUTE: '100000000',
    ...options.env,
  };
  // The worker's workflow bundle is built here (into the cache it reads), so the worker's memory
  // holds no bundler garbage when parked runs are measured against a baseline.
  await loadWorkflowBundle(join(dir, 'cache'), createLogger({ level: 'silent', service: 'bench' }));
  const node = process.execPath;
  const api = launch('api', node, ['api/server.ts'], { env, logFile: join(dir, 'api.log') });
  const workerArgs = options.workerHeapMb ? [`--max-old-space-size=${options.workerHeapMb}`, 'worker/main.ts'] : ['worker/main.ts'];
  const worker = launch('worker', node, workerArgs, { env, logFile: join(dir, 'worker.log') });
  services.push(api, worker);
  pids.api = api.process.pid as number;
  pids.worker = worker.process.pid as number;
  const apiBase = `http://127.0.0.1:${apiPort}`;
  await Promise.all([
    poll('api', async () => ((await httpOk(`${apiBase}/readyz`)) ? true : undefined), 120_000, api.exited),
    // The worker's metrics endpoint answers once its runtime is up; the first run (warm-up) proves it polls.
    poll('worker', async () => ((await httpOk(`http://127.0.0.1:${metricsPort}/metrics`)) ? true : undefined), 180_000, worker.exited),
  ]);
  const label = `api, worker, ${store === 'postgresql' ? 'Temporal server v1.31.2 on PostgreSQL' : 'Temporal dev server (SQLite file)'}, Redis, app db ${appDb === 'postgresql' ? 'PostgreSQL' : 'SQLite file'}, each its own process`;
  return {
    dir, label, apiBase, databaseUrl, temporalAddress: temporalAddress as string, taskQueue, appDb, pids, workerHeapMb: options.workerHeapMb,
    async setPlan(teamId, plan) {
      await orm.em.fork().nativeUpdate(Team, { id: teamId }, { plan });
    },
    async runCounts(teamIds) {
      const where = teamIds ? `where team_id in (${teamIds.map(() => '?').join(', ')})` : '';
      const rows = (await orm.em.fork().getConnection().execute(`select status, count(*) as n from run ${where} group by status`, teamIds ?? [])) as { status: string; n: number }[];
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },
    async query(sql, params = []) {
      return (await orm.em.fork().getConnection().execute(sql, params)) as never[];
    },
    async stop() {
      await Promise.all([api.stop(15_000), worker.stop(15_000)]);
      await orm.close();
      await Promise.all(services.filter((s) => s !== api && s !== worker).reverse().map((s) => s.stop()));
      removeDataKeepLogs(dir);
    },
  };
}

/** A signed-in user with a team of its own (personal team, put on `plan`), and JSON helpers. */
export async function benchTeam(stack: TrellisStack, name: string, plan = 'enterprise') {
  const email = `${name}-${randomBytes(3).toString('hex')}@bench.test`;
  const { token } = await signInBenchUser(stack.apiBase, stack.databaseUrl, { email, password: 'plum-orbit-cactus-7' });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const call = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown, expect?: number): Promise<{ status: number; body: T }> => {
    const send = () => fetch(`${stack.apiBase}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    // A kept-alive socket the server closed meanwhile fails at once: one more try on a new one.
    const response = await send().catch(() => send());
    const text = await response.text();
    if (expect !== undefined && response.status !== expect) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 500)}`);
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const me = await call<{ teams: { id: string }[] }>('GET', '/api/v1/me', undefined, 200);
  const teamId = me.body.teams[0]!.id;
  await stack.setPlan(teamId, plan);
  return {
    teamId, token, call,
    async workflow(graph: unknown): Promise<string> {
      const { body } = await call<{ id: string }>('POST', `/api/v1/teams/${teamId}/workflows`, { name: `bench ${randomBytes(3).toString('hex')}`, graph }, 201);
      return body.id;
    },
    async webhook(workflowId: string): Promise<{ id: string; secret: string; url: string }> {
      const { body } = await call<{ id: string; secret: string }>('POST', `/api/v1/teams/${teamId}/workflows/${workflowId}/webhooks`, {}, 201);
      return { ...body, url: `${stack.apiBase}/hooks/${body.id}` };
    },
  };
}
export type BenchTeam = Awaited<ReturnType<typeof benchTeam>>;

/** `t=…,v1=…` for a webhook body (docs/api.md). */
export function signBody(secret: string, body: string, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/** The benchmark flow: `{id, total: sum of prices}` of `{"id","items":[{"price"}]}`, answered by the output node. */
export const SUM_GRAPH = {
  nodes: [
    { id: 'shape', type: 'transform', config: { expression: '{ "id": input.id, "total": $sum(input.items.price) }' } },
    { id: 'done', type: 'output', config: { value: '{{ steps.shape.output }}' } },
  ],
  edges: [{ from: 'shape', to: 'done' }],
};

/** A run that parks on an approval until someone decides. */
export const APPROVAL_GRAPH = {
  nodes: [
    { id: 'prepare', type: 'transform', config: { expression: '"draft " & input.id' } },
    { id: 'review', type: 'approval', config: { message: 'Publish {{ steps.prepare.output }}?' } },
    { id: 'done', type: 'output', config: { value: '{{ steps.review.output.decision }}' } },
  ],
  edges: [{ from: 'prepare', to: 'review' }, { from: 'review', port: 'approved', to: 'done' }],
};

let sequence = 0;
/** The benchmark body, a distinct id each time (a signed webhook request is never replayed). */
export function orderBody(): string {
  sequence += 1;
  return JSON.stringify({ id: `order-${process.pid}-${sequence}`, items: [{ price: 5 }, { price: 7 }, { price: 30 }] });
}
export const ORDER_TOTAL = 42;
