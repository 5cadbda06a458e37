// The admission queue scales out (issue 12, docs/decisions/028-admission-queue.md): two api
// processes and two worker processes (four dispatchers) against the suite's one Temporal server,
// one Redis and one PostgreSQL app database. Team A (free plan: 2 concurrent runs) floods both api
// replicas with starts; team B sends one start behind A's backlog. No run is dispatched twice (each
// run's workflow has exactly one execution), A never holds more than its plan's slots, B's run
// leaves the queue while A's backlog is still queued, and every run succeeds.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createOrm, migrate, type Orm } from '../../core/db/orm.ts';
import { createLogger } from '../../core/log.ts';
import { PLANS } from '../../core/plans.ts';
import { Team } from '../../core/teams/entities.ts';
import { freePort, httpOk, launch, waitFor, type Service } from '../../infra/scripts/services.ts';
import { loadWorkflowBundle, workflowSourceHash } from '../../worker/bundle.ts';
import { signInBenchUser } from '../bench/harness.ts';
import { freshPostgresUrl, tempDir, testEnv } from '../support/env.ts';
import { BUNDLE_CACHE } from '../support/worker.ts';

const A_RUNS = 24;
const FINAL = ['succeeded', 'failed', 'cancelled', 'timed_out'];
// Each run holds its slot for a moment, so A's backlog drains over several seconds.
const GRAPH = {
  nodes: [
    { id: 'pause', type: 'delay', config: { duration: '1s' } },
    { id: 'done', type: 'output', config: { value: '{{ input.n }}' } },
  ],
  edges: [{ from: 'pause', to: 'done' }],
};

interface RunRow { id: string; team_id: string; status: string; dispatched_at: Date | string | null; ended_at: Date | string | null }

let orm: Orm;
let temporal: { connection: Connection; client: Client };
const processes: Service[] = [];
const apiBases: string[] = [];
let taskQueue: string;
let databaseUrl: string;

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const rows = (teamId: string) =>
  orm.em.fork().getConnection().execute('select id, team_id, status, dispatched_at, ended_at from run where team_id = ?', [teamId]) as Promise<RunRow[]>;
const ms = (value: Date | string | null) => (value === null ? null : new Date(value).getTime());

beforeAll(async () => {
  const dir = tempDir('scale-out');
  databaseUrl = await freshPostgresUrl();
  orm = await createOrm(databaseUrl, createLogger({ level: 'silent', service: 'test' }));
  await migrate(orm);
  // The workers read the bundle from their data folder's cache: the suite's cached build, copied.
  const { code } = await loadWorkflowBundle(BUNDLE_CACHE, createLogger({ level: 'silent', service: 'test' }));
  mkdirSync(join(dir, 'cache'), { recursive: true });
  writeFileSync(join(dir, 'cache', `workflow-bundle-${workflowSourceHash()}.js`), code);

  taskQueue = `scale-out-${randomBytes(4).toString('hex')}`;
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
  };
  const [api1, api2, metrics1, metrics2] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const starting: Promise<void>[] = [];
  for (const [i, port] of [api1, api2].entries()) {
    const base = `http://127.0.0.1:${port}`;
    const api = launch(`api${i + 1}`, process.execPath, ['api/server.ts'], { env: { ...env, API_PORT: String(port), PUBLIC_URL: base }, logFile: join(dir, `api${i + 1}.log`) });
    processes.push(api);
    apiBases.push(base);
    starting.push(waitFor(`api${i + 1}`, () => httpOk(`${base}/readyz`), 120_000, api));
  }
  for (const [i, port] of [metrics1, metrics2].entries()) {
    const worker = launch(`worker${i + 1}`, process.execPath, ['worker/main.ts'], { env: { ...env, WORKER_METRICS_PORT: String(port) }, logFile: join(dir, `worker${i + 1}.log`) });
    processes.push(worker);
    // Its metrics endpoint answers once the worker's runtime is up.
    starting.push(waitFor(`worker${i + 1}`, () => httpOk(`http://127.0.0.1:${port}/metrics`), 120_000, worker));
  }
  await Promise.all(starting);
  const connection = await Connection.connect({ address: testEnv.temporalAddress });
  temporal = { connection, client: new Client({ connection }) };
}, 180_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop(15_000)));
  await temporal?.connection.close();
  await orm?.close();
}, 60_000);

/** A signed-in team of its own, and a JSON call against one of the api replicas. */
async function team(name: string) {
  const email = `${name}-${randomBytes(3).toString('hex')}@scale.test`;
  const { token } = await signInBenchUser(apiBases[0] as string, databaseUrl, { email, password: 'plum-orbit-cactus-7' });
  const call = async (replica: number, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${apiBases[replica]}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
  };
  const me = await call(0, 'GET', '/api/v1/me');
  const teamId = (me.body.teams as { id: string }[])[0]!.id;
  await orm.em.fork().nativeUpdate(Team, { id: teamId }, { plan: 'free' });
  const created = await call(0, 'POST', `/api/v1/teams/${teamId}/workflows`, { name: `scale ${name}`, graph: GRAPH });
  expect(created.status).toBe(201);
  const workflowId = created.body.id as string;
  return {
    teamId,
    async start(replica: number, n: number): Promise<string> {
      const started = await call(replica, 'POST', `/api/v1/teams/${teamId}/workflows/${workflowId}/runs`, { input: { n } });
      expect(started.status).toBe(202);
      return started.body.runId as string;
    },
  };
}

it('two api replicas and two workers: no run starts twice, the plan holds, and another team is not held up', async () => {
  const allowed = PLANS.free.concurrentRuns as number;
  const [a, b] = [await team('a'), await team('b')];

  // Sample A's slots continuously while the backlog drains.
  let maxActive = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const active = (await rows(a.teamId)).filter((r) => r.status === 'running' || r.status === 'waiting').length;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  // A's starts alternate between the two replicas, sent concurrently.
  const aRuns = await Promise.all(Array.from({ length: A_RUNS }, (_, n) => a.start(n % 2, n)));
  const queuedBehind = (await rows(a.teamId)).filter((r) => r.status === 'queued').length;
  expect(queuedBehind).toBeGreaterThan(A_RUNS / 2);
  const bRun = await b.start(1, 0);

  const ended = (teamId: string, count: number) =>
    until(`${count} runs of ${teamId} ended`, () => rows(teamId), (list) => list.length === count && list.every((r) => FINAL.includes(r.status)), 150_000);
  const [aRows, bRows] = await Promise.all([ended(a.teamId, A_RUNS), ended(b.teamId, 1)]);
  sampling = false;
  await sampler;

  // (4) every run completed.
  expect(aRows.map((r) => r.status)).toEqual(Array(A_RUNS).fill('succeeded'));
  expect(bRows.map((r) => [r.id, r.status])).toEqual([[bRun, 'succeeded']]);
  expect(new Set(aRows.map((r) => r.id))).toEqual(new Set(aRuns));

  // (1) A never held more than its plan's slots: sampled, and exactly from the rows' intervals
  // (a slot is held from the claim, dispatchedAt, until the final state is written).
  expect(maxActive).toBeLessThanOrEqual(allowed);
  const intervals = aRows.map((r) => ({ from: ms(r.dispatched_at) as number, to: ms(r.ended_at) as number }));
  expect(intervals.every((i) => i.from !== null && i.to !== null && i.from <= i.to)).toBe(true);
  const overlapAt = (t: number) => intervals.filter((i) => i.from <= t && t < i.to).length;
  const peak = Math.max(...intervals.map((i) => overlapAt(i.from)));
  expect(peak).toBeLessThanOrEqual(allowed);
  // The slots were used: the runs did overlap (the limit, not a single dispatcher, paced them).
  expect(Math.max(maxActive, peak)).toBe(allowed);

  // (3) fair share: B's run left the queue while A still had runs waiting behind the plan.
  const bDispatched = ms(bRows[0]!.dispatched_at) as number;
  const aAfterB = intervals.filter((i) => i.from > bDispatched).length;
  expect(aAfterB).toBeGreaterThanOrEqual(Math.floor(queuedBehind / 2));

  // (2) every run ran exactly once: one execution per workflow id (workflow id = run id), closed.
  const workerIdentities = new Set<string>();
  for (const runId of [...aRuns, bRun]) {
    // Visibility catches up with the closed execution shortly after it closes.
    const executions = await until(`run ${runId} closed in visibility`, async () => {
      const found = [];
      for await (const execution of temporal.client.workflow.list({ query: `WorkflowId = '${runId}'` })) found.push(execution);
      return found;
    }, (found) => found.length > 0 && found.every((e) => e.status.name !== 'RUNNING'), 30_000);
    expect({ runId, executions: executions.map((e) => e.status.name) }).toEqual({ runId, executions: ['COMPLETED'] });
    const history = await temporal.client.workflow.getHandle(runId).fetchHistory();
    for (const event of history.events ?? []) {
      const identity = event.workflowTaskCompletedEventAttributes?.identity;
      if (identity) workerIdentities.add(identity);
    }
  }
  // Both worker processes took part.
  expect(workerIdentities.size).toBe(2);
}, 240_000);
