// Real api and worker processes for the tests that need them (scale-out, restarts): a fresh
// PostgreSQL app database and data folder, the suite's Temporal and Redis, one task queue of
// their own. Processes are started and stopped by the test; the environment is shared, so a
// process started after another was killed sees the same database, Redis keys and task queue.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createOrm, migrate, type Orm } from '../../core/db/orm.ts';
import { createLogger } from '../../core/log.ts';
import { Team } from '../../core/teams/entities.ts';
import { freePort, httpOk, launch, waitFor, type Service } from '../../infra/scripts/services.ts';
import { loadWorkflowBundle, workflowSourceHash } from '../../worker/bundle.ts';
import { signInBenchUser } from '../bench/harness.ts';
import { freshPostgresUrl, tempDir, testEnv } from './env.ts';
import { BUNDLE_CACHE } from './worker.ts';

export const FINAL_STATUSES = ['succeeded', 'failed', 'cancelled', 'timed_out'];

/** Polls `read` until `done` holds; the error shows the last value read. */
export async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ProcessStack {
  dir: string;
  databaseUrl: string;
  orm: Orm;
  taskQueue: string;
  /** Every process started so far (killed ones included: stop() is a no-op for them). */
  processes: Service[];
  /** Starts an api process; resolves with its base URL once it is ready. */
  startApi(name: string): Promise<{ service: Service; base: string }>;
  /** Starts a worker process; resolves once its runtime is up. */
  startWorker(name: string): Promise<{ service: Service }>;
  stopAll(): Promise<void>;
}

/** A fresh database and data folder (the suite's workflow bundle in its cache) for processes to share. */
export async function processStack(name: string, extraEnv: Record<string, string> = {}): Promise<ProcessStack> {
  const dir = tempDir(name);
  const databaseUrl = await freshPostgresUrl();
  const orm = await createOrm(databaseUrl, createLogger({ level: 'silent', service: 'test' }));
  await migrate(orm);
  // The workers read the bundle from their data folder's cache: the suite's cached build, copied.
  const { code } = await loadWorkflowBundle(BUNDLE_CACHE, createLogger({ level: 'silent', service: 'test' }));
  mkdirSync(join(dir, 'cache'), { recursive: true });
  writeFileSync(join(dir, 'cache', `workflow-bundle-${workflowSourceHash()}.js`), code);

  const taskQueue = `${name}-${randomBytes(4).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    TRELLIS_SECRET_KEY: randomBytes(32).toString('base64'),
    TRELLIS_DATA_DIR: dir,
    DATABASE_URL: databaseUrl,
    REDIS_URL: testEnv.redisUrl,
    TEMPORAL_ADDRESS: testEnv.temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    RATE_LIMIT_AUTH_PER_IP: '100000',
    RATE_LIMIT_PRINCIPAL_PER_MINUTE: '100000',
    ...extraEnv,
  };
  const processes: Service[] = [];
  return {
    dir, databaseUrl, orm, taskQueue, processes,
    async startApi(label) {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const service = launch(label, process.execPath, ['api/server.ts'], { env: { ...env, API_PORT: String(port), PUBLIC_URL: base }, logFile: join(dir, `${label}.log`) });
      processes.push(service);
      await waitFor(label, () => httpOk(`${base}/readyz`), 120_000, service);
      return { service, base };
    },
    async startWorker(label) {
      const port = await freePort();
      const service = launch(label, process.execPath, ['worker/main.ts'], { env: { ...env, WORKER_METRICS_PORT: String(port) }, logFile: join(dir, `${label}.log`) });
      processes.push(service);
      // Its metrics endpoint answers once the worker's runtime is up.
      await waitFor(label, () => httpOk(`http://127.0.0.1:${port}/metrics`), 120_000, service);
      return { service };
    },
    async stopAll() {
      await Promise.all(processes.map((p) => p.stop(15_000)));
      await orm.close();
    },
  };
}

/** Kills a process at once (no graceful shutdown) and waits until it is gone. */
export async function kill(service: Service): Promise<void> {
  if (service.process.exitCode !== null || service.process.signalCode !== null) return;
  service.process.kill('SIGKILL');
  await service.exited;
}

export type CallApi = (apiBase: string, method: string, path: string, body?: unknown) => Promise<{ status: number; body: Record<string, unknown> }>;

/** A signed-in user's own team on the free plan with one workflow, and a JSON call as that user against any api process. */
export async function freeTeamWithWorkflow(stack: ProcessStack, apiBase: string, name: string, graph: unknown): Promise<{ teamId: string; workflowId: string; call: CallApi }> {
  const email = `${name}-${randomBytes(3).toString('hex')}@processes.test`;
  const { token } = await signInBenchUser(apiBase, stack.databaseUrl, { email, password: 'plum-orbit-cactus-7' });
  const call: CallApi = async (base, method, path, body) => {
    const response = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
  };
  const me = await call(apiBase, 'GET', '/api/v1/me');
  const teamId = (me.body.teams as { id: string }[])[0]!.id;
  await stack.orm.em.fork().nativeUpdate(Team, { id: teamId }, { plan: 'free' });
  const created = await call(apiBase, 'POST', `/api/v1/teams/${teamId}/workflows`, { name: `${name} workflow`, graph });
  if (created.status !== 201) throw new Error(`creating the workflow answered ${created.status}: ${JSON.stringify(created.body)}`);
  return { teamId, workflowId: created.body.id as string, call };
}
