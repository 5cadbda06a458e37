// The dashboard at scale: one busy team with 100,000 runs (and a neighbour team with 20,000) in
// the database, on SQLite and on PostgreSQL. Measures the endpoints the dashboard and the lists
// read — GET …/stats, …/failures, …/usage, …/runs (first page, a search, a page deep in the list),
// …/workflows (with each workflow's last run) — one request at a time and 10 at once, and the
// server-rendered dashboard page through the real web server (`npm run build:web` first; skipped
// without a build). For comparison it also times what the web server did before (paging through
// 1,000 runs and the workflows to count them). The run-list cache is emptied before each list
// request, so list figures are database reads.
//   node tests/bench/dashboard.bench.ts [runs=100000] [samples=30]
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ServerBuild } from 'react-router';
import { loadConfig } from '../../core/config.ts';
import { RunRecord } from '../../core/runs/entities.ts';
import { WorkflowDefinition, WorkflowVersion } from '../../core/workflows/entities.ts';
import { createOrm, type Orm } from '../../core/db/orm.ts';
import { createLogger } from '../../core/log.ts';
import { createRedis } from '../../core/redis/client.ts';
import { Team } from '../../core/teams/entities.ts';
import { freePort, startPostgres } from '../../infra/scripts/services.ts';
import { log, percentile, signInBenchUser, startBenchApi, startBenchServices, type BenchServices } from './harness.ts';

const RUNS = Number(process.argv[2] ?? 100_000);
const SAMPLES = Number(process.argv[3] ?? 30);
const NEIGHBOUR_RUNS = Math.round(RUNS / 5);
const WORKFLOWS = 50;
const DAYS = 30;
const BATCH = 1_000;
const BUILD_DIR = fileURLToPath(new URL('../../web/build/', import.meta.url));
const SERVER_BUILD = join(BUILD_DIR, 'server', 'index.js');
const NODES = ['fetch', 'classify', 'enrich', 'notify', 'store'];
const CODES = ['http_error', 'ExpressionError', 'quota_ai_tokens', 'credential_host_not_allowed'];

/** A status drawn like a healthy busy team's: mostly succeeded, one in eight failing or timing out. */
function drawStatus(r: number): string {
  if (r < 0.85) return 'succeeded';
  if (r < 0.95) return 'failed';
  if (r < 0.97) return 'timed_out';
  if (r < 0.99) return 'cancelled';
  return 'running';
}

/** Workflows and runs spread over the last DAYS days, inserted in batches of BATCH rows. */
async function fill(orm: Orm, teamId: string, runs: number): Promise<{ workflowIds: string[]; deepCursorRun: string }> {
  const now = Date.now();
  const workflowIds = Array.from({ length: WORKFLOWS }, (_, i) => `wf_${teamId.slice(-6)}_${i}`);
  const em = orm.em.fork();
  await em.insertMany(WorkflowDefinition, workflowIds.map((id, i) => ({ id, teamId, name: `Workflow ${i} ${i % 3 ? 'sync' : 'Report'}`, description: `bench workflow ${i}`, latestVersion: 1, createdAt: new Date(now - DAYS * 86_400_000), updatedAt: new Date(now), deletedAt: null })));
  await em.insertMany(WorkflowVersion, workflowIds.map((workflowId) => ({ workflowId, version: 1, graph: { nodes: [], edges: [] }, createdAt: new Date(now), createdBy: 'bench' })));
  let deepCursorRun = '';
  for (let done = 0; done < runs; done += BATCH) {
    const rows = [];
    for (let i = done; i < Math.min(runs, done + BATCH); i++) {
      const status = drawStatus(Math.random());
      const startedAt = new Date(now - Math.random() * DAYS * 86_400_000);
      const failed = status === 'failed' || status === 'timed_out';
      const node = NODES[i % NODES.length]!;
      const id = `run_${randomUUID()}`;
      if (i === Math.floor(runs / 2)) deepCursorRun = id;
      rows.push({
        id, teamId, workflowId: workflowIds[i % WORKFLOWS]!, version: 1, trigger: i % 10 === 0 ? 'webhook' : 'api', status,
        startedAt, endedAt: status === 'running' ? null : new Date(startedAt.getTime() + 2_000), input: '{}', triggeredBy: 'bench',
        error: failed ? `${node} failed: upstream answered 50${i % 4}` : null, errorNodeId: failed && status === 'failed' ? node : null,
        errorCode: status === 'failed' ? CODES[(i >> 3) % CODES.length]! : null, aiTokens: 0, costUsd: 0, nodeExecutions: 3, priority: 3, dispatchedAt: startedAt,
      });
    }
    await orm.em.fork().insertMany(RunRecord, rows);
  }
  return { workflowIds, deepCursorRun };
}

interface Timing {
  p50: number;
  p95: number;
  max: number;
}

function summarise(ms: number[]): Timing {
  const sorted = [...ms].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), max: round(sorted.at(-1) ?? NaN) };
}

/** fetch, retried once when a kept-alive connection was closed under it (ECONNRESET). */
async function call(fetchOnce: () => Promise<Response>): Promise<Response> {
  try {
    return await fetchOnce();
  } catch {
    return fetchOnce();
  }
}

async function timed(fetchOnce: () => Promise<Response>): Promise<number> {
  const started = performance.now();
  const res = await call(fetchOnce);
  const body = await res.text();
  const ms = performance.now() - started;
  if (!res.ok) throw new Error(`${res.status} ${res.url}: ${body.slice(0, 300)}`);
  return ms;
}

/** SAMPLES requests one after the other (after 3 warm-ups), then SAMPLES more 10 at a time. */
async function measure(label: string, fetchOnce: () => Promise<Response>, before?: () => Promise<unknown>) {
  for (let i = 0; i < 3; i++) {
    await before?.();
    await timed(fetchOnce);
  }
  const serial: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    await before?.();
    serial.push(await timed(fetchOnce));
  }
  const concurrent: number[] = [];
  for (let i = 0; i < SAMPLES; i += 10) {
    await before?.();
    concurrent.push(...(await Promise.all(Array.from({ length: 10 }, () => timed(fetchOnce)))));
  }
  const one = summarise(serial);
  const ten = summarise(concurrent);
  log(`${label.padEnd(44)} 1 at a time p50 ${String(one.p50).padStart(6)} ms  p95 ${String(one.p95).padStart(6)} ms · 10 at once p50 ${String(ten.p50).padStart(6)} ms  p95 ${String(ten.p95).padStart(6)} ms`);
  return { label, one, ten };
}

/** The web app reads API_URL once: it is measured against the first database's api only. */
let web: { url: string; close(): void } | null | undefined;

/** The real web server (createWebApp on web/build) in this process, or null without a build. */
async function webServer(apiBase: string) {
  if (web !== undefined) return null;
  if (!existsSync(SERVER_BUILD)) return (web = null);
  process.env.API_URL = apiBase;
  process.env.PUBLIC_URL = 'http://localhost:3000';
  const { loadWebConfig } = await import('../../web/app/config.server.ts');
  const { createWebApp } = await import('../../web/server.ts');
  const { createWebLogger } = await import('../../web/app/log.server.ts');
  const build = (await import(pathToFileURL(SERVER_BUILD).href)) as ServerBuild;
  const app = createWebApp({ config: loadWebConfig(), build, clientDir: join(BUILD_DIR, 'client'), logger: createWebLogger('warn') });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return (web = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => (server.close(), server.closeAllConnections()) });
}

async function benchDatabase(name: string, databaseUrl: string, services: BenchServices) {
  console.log(`\n${name}: ${RUNS.toLocaleString('en-US')} runs in the measured team, ${NEIGHBOUR_RUNS.toLocaleString('en-US')} in another`);
  const config = loadConfig({
    NODE_ENV: 'production', LOG_LEVEL: 'warn', TRELLIS_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
    DATABASE_URL: databaseUrl, REDIS_URL: services.redisUrl, TEMPORAL_ADDRESS: services.temporalAddress,
    TEMPORAL_TASK_QUEUE: `bench-dashboard-${name}`, TRELLIS_DATA_DIR: join(services.dir, name),
    RATE_LIMIT_ENABLED: 'false',
  });
  const api = await startBenchApi(config, `api-bench-${name}`);
  const apiBase = `http://127.0.0.1:${api.port}`;
  const orm = await createOrm(databaseUrl, createLogger({ level: 'silent', service: 'bench' }));
  const redis = createRedis(services.redisUrl);
  try {
    const person = { email: `bench-${name.toLowerCase()}@example.test`, password: 'plum-orbit-cactus-7' };
    const { token, cookie } = await signInBenchUser(apiBase, databaseUrl, person);
    const auth = { authorization: `Bearer ${token}` };
    const me = (await (await fetch(`${apiBase}/api/v1/me`, { headers: auth })).json()) as { teams: { id: string }[] };
    const teamId = me.teams[0]!.id;
    // The team on an unlimited plan, so that no quota refuses anything.
    await orm.em.fork().nativeUpdate(Team, { id: teamId }, { plan: 'enterprise' });

    let started = performance.now();
    const { deepCursorRun } = await fill(orm, teamId, RUNS);
    await fill(orm, `team_neighbour_${name}`, NEIGHBOUR_RUNS);
    if (name === 'PostgreSQL') await orm.em.getConnection().execute('analyze "run"');
    log(`inserted ${(RUNS + NEIGHBOUR_RUNS).toLocaleString('en-US')} runs in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const team = `${apiBase}/api/v1/teams/${teamId}`;
    const get = (path: string) => () => fetch(`${team}${path}`, { headers: auth });
    // The run-list cache (core/runs/list-cache.ts) would answer repeats from Redis: bumping the
    // team's version makes every list request a database read.
    const bust = () => redis.incr(`runs:ver:${teamId}`);
    const deep = await orm.em.fork().findOneOrFail(RunRecord, { id: deepCursorRun });
    const cursor = Buffer.from(JSON.stringify([deep.startedAt.getTime(), deep.id])).toString('base64url');
    const since = new Date(Date.now() - DAYS * 86_400_000).toISOString();

    const results = [
      await measure('GET …/stats?days=30', get('/stats?days=30')),
      await measure('GET …/failures?since=30 days ago', get(`/failures?since=${encodeURIComponent(since)}`)),
      await measure('GET …/usage', get('/usage')),
      await measure('GET …/runs?limit=50 (no cache)', get('/runs?limit=50'), bust),
      await measure('GET …/runs?status=failed&limit=50 (no cache)', get('/runs?status=failed&limit=50'), bust),
      await measure('GET …/runs?q=report&limit=50 (no cache)', get('/runs?q=report&limit=50'), bust),
      await measure('GET …/runs?q=no-such-text (no cache)', get('/runs?q=no-such-text&limit=50'), bust),
      await measure('GET …/runs?cursor=<50,000th run> (no cache)', get(`/runs?limit=50&cursor=${cursor}`), bust),
      await measure('GET …/workflows?limit=100 (with last runs)', get('/workflows?limit=100')),
    ];

    // What the dashboard's loader did before: 10 pages of 100 runs (1,000 of this month's) and
    // the workflows, to count them in the web server.
    started = performance.now();
    const before: number[] = [];
    for (let i = 0; i < 5; i++) {
      await bust();
      const t0 = performance.now();
      let next: string | null = null;
      for (let page = 0; page < 10; page++) {
        const res: Response = await fetch(`${team}/runs?limit=100${next ? `&cursor=${next}` : ''}`, { headers: auth });
        next = ((await res.json()) as { nextCursor: string | null }).nextCursor;
      }
      await (await fetch(`${team}/workflows?limit=100`, { headers: auth })).text();
      before.push(performance.now() - t0);
    }
    const old = summarise(before);
    log(`${'before: 10 pages of runs + workflows'.padEnd(44)} 1 at a time p50 ${String(old.p50).padStart(6)} ms  (counted 1,000 of ${RUNS.toLocaleString('en-US')} runs)`);

    const site = await webServer(apiBase);
    if (site) {
      const page = `${site.url}/t/${teamId}`;
      const html = await (await fetch(page, { headers: { cookie } })).text();
      if (!html.includes('Runs today')) throw new Error(`the dashboard page did not render: ${html.slice(0, 300)}`);
      results.push(await measure('web dashboard page /t/:team', () => fetch(page, { headers: { cookie } })));
    } else {
      log(`web dashboard page: measured with the first database only (or ${SERVER_BUILD} is missing: npm run build:web)`);
    }
    return { name, results, before: old };
  } finally {
    redis.disconnect();
    await orm.close();
    await api.close();
  }
}

const services = await startBenchServices();
const pgPort = await freePort();
const postgres = await startPostgres({ port: pgPort, dir: join(services.dir, 'postgres'), logFile: join(services.dir, 'postgres.log') });
try {
  console.log(`dashboard bench: ${SAMPLES} samples per endpoint, 1 at a time and 10 at once; logs in ${services.dir}`);
  await benchDatabase('SQLite', `sqlite:${join(services.dir, 'app.sqlite')}`, services);
  await benchDatabase('PostgreSQL', postgres.url, services);
} finally {
  web?.close();
  await postgres.stop();
  await services.stop();
}
process.exit(0);
