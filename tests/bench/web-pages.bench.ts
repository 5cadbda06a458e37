// Server-rendered pages through the web server against the API calls behind them: what the
// web → API hop costs. Three child processes, as in production: the api (the real createApp,
// NODE_ENV=production, rate limiting on: per-user limit raised, the team on the enterprise plan
// with its bucket emptied before each endpoint, so every check runs and none refuses), a worker
// (so a run can wait on an approval and the run view's live-state query is answered) and the web
// server (the real createWebApp on the built app in web/build — `npm run build:web` first).
// Embedded default services: SQLite, local Redis, Temporal dev server. autocannon runs in this
// process, one endpoint after the other, each after a 2 s warm-up, with the session cookie a
// browser sends. Per endpoint it also reports the API requests each page made and the CPU time
// per answer of each child process; and the raw and gzip size of the JS and CSS each page loads.
//   node tests/bench/web-pages.bench.ts [seconds=10] [connections=10]
import { createExpressionPool } from '../../activities/expressions/pool.ts';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { ServerBuild } from 'react-router';
import { createBlobStore } from '../../core/blobs/store.ts';
import { loadConfig } from '../../core/config.ts';
import { createCredentialService } from '../../core/credentials/service.ts';
import { createOrm } from '../../core/db/orm.ts';
import { createLogger } from '../../core/log.ts';
import { vaultFromConfig } from '../../core/platform.ts';
import { createRedis } from '../../core/redis/client.ts';
import { Team } from '../../core/teams/entities.ts';
import { createUsageService } from '../../core/usage/service.ts';
import { createWebLogger } from '../../web/app/log.server.ts';
import { createWebApp } from '../../web/server.ts';
import { loadWorkflowBundle } from '../../worker/bundle.ts';
import { createTrellisWorker } from '../../worker/worker.ts';
import { log, signInBenchUser, startBenchApi, startBenchServices } from './harness.ts';

const EMAIL = 'bench@example.test';
const PASSWORD = 'plum-orbit-cactus-7';
const APPROVAL_MESSAGE = 'Publish the bench report?';
const WORKFLOW_NAME = 'Bench approval flow';
const BUILD_DIR = fileURLToPath(new URL('../../web/build/', import.meta.url));
const SERVER_BUILD = join(BUILD_DIR, 'server', 'index.js');
const CLIENT_DIR = join(BUILD_DIR, 'client');

/** The environment of the api and the worker (the same configuration, as in a deployment). */
function coreConfig() {
  return loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    TRELLIS_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
    DATABASE_URL: `sqlite:${process.env.BENCH_DB}`,
    REDIS_URL: process.env.BENCH_REDIS,
    TEMPORAL_ADDRESS: process.env.BENCH_TEMPORAL,
    TEMPORAL_TASK_QUEUE: 'bench-web-pages',
    TRELLIS_DATA_DIR: process.env.BENCH_DIR,
    RATE_LIMIT_ENABLED: 'true',
    RATE_LIMIT_PRINCIPAL_PER_MINUTE: '1000000000',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000000',
  });
}

interface ChildStats {
  /** CPU time of the process so far (user + system), in ms. */
  cpuMs: number;
  /** Requests the process has answered (the api and the web server). */
  requests: number;
}

/** Each child answers the parent's 'stats' message with its CPU time and request count. */
function answerStats(requests: () => number) {
  process.on('message', (m) => {
    if (m !== 'stats') return;
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuMs: (user + system) / 1000, requests: requests() } satisfies ChildStats);
  });
}

/** Runs `close` on SIGTERM, then exits (each child process). */
function onSigterm(close: () => Promise<unknown>) {
  process.once('SIGTERM', () => {
    const deadline = setTimeout(() => process.exit(1), 10_000);
    deadline.unref();
    void close().finally(() => process.exit(0));
  });
}

const mode = process.argv[2];
if (mode === '--api') {
  const api = await startBenchApi(coreConfig());
  // Every request the api answers is counted, so the parent can tell how many API calls a page makes.
  let requests = 0;
  api.server.on('request', () => requests++);
  process.send?.({ port: api.port });
  answerStats(() => requests);
  onSigterm(() => api.close());
} else if (mode === '--worker') {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const config = coreConfig();
  const logger = createLogger({ level: config.logLevel, service: 'worker-bench' });
  const orm = await createOrm(config.database.url, logger);
  const redis = createRedis(config.redis.url, logger);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await createTrellisWorker({
    connection, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue,
    workflowBundle: await loadWorkflowBundle(join(config.dataDir, 'cache'), logger),
    deps: {
      orm, logger, redis, blobs: createBlobStore(orm, { maxBytes: config.engine.blobMaxBytes }), blobThresholdBytes: config.engine.blobThresholdBytes,
      httpAllowlist: [], openai: { baseUrl: 'http://127.0.0.1:9/v1' },
      credentials: createCredentialService({ orm, vault: vaultFromConfig(config, logger) }).store, usage: createUsageService({ orm }),
      expressions: createExpressionPool({ processes: 2, cpuMs: 1_000, memoryMb: 256 }),
    },
  });
  const running = worker.run();
  answerStats(() => 0);
  process.send?.({ ready: true });
  onSigterm(async () => {
    worker.shutdown();
    await running.catch(() => undefined);
    await Promise.allSettled([connection.close(), orm.close(), redis.quit()]);
  });
} else if (mode === '--web') {
  // The web process reads its configuration (API_URL …) from the environment the parent gave it.
  const { loadWebConfig } = await import('../../web/app/config.server.ts');
  const config = loadWebConfig();
  const build = (await import(pathToFileURL(SERVER_BUILD).href)) as ServerBuild;
  const app = createWebApp({ config, build, clientDir: CLIENT_DIR, logger: createWebLogger(config.logLevel) });
  let requests = 0;
  const server = app.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
  server.on('request', () => requests++);
  answerStats(() => requests);
  onSigterm(async () => {
    server.close();
    server.closeAllConnections();
  });
} else {
  await main();
}

interface Result {
  label: string;
  rps: number;
  p50: number;
  p99: number;
  total: number;
  non2xx: number;
  errors: number;
  bytes: number;
  /** API requests per answer (pages only). */
  apiCalls?: number;
  /** CPU time per answer in each process, ms. */
  cpu: { web: number; api: number; worker: number };
}

async function main() {
  const seconds = Number(process.argv[2] ?? 10);
  const connections = Number(process.argv[3] ?? 10);
  if (!existsSync(SERVER_BUILD)) throw new Error(`${SERVER_BUILD} is missing: run \`npm run build:web\` first`);
  const build = (await import(pathToFileURL(SERVER_BUILD).href)) as ServerBuild;

  log(`client bundles (web/build/client, built ${statSync(SERVER_BUILD).mtime.toISOString()})`);
  const bundles = clientBundles(build);

  const services = await startBenchServices();
  const db = join(services.dir, 'app.sqlite');
  const env = { ...process.env, BENCH_DB: db, BENCH_REDIS: services.redisUrl, BENCH_TEMPORAL: services.temporalAddress, BENCH_DIR: services.dir };
  const children: ChildProcess[] = [];
  let redis: ReturnType<typeof createRedis> | undefined;
  const spawn = (role: string, extraEnv: Record<string, string> = {}) => {
    const child = fork(fileURLToPath(import.meta.url), [`--${role}`], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    return child;
  };
  const firstMessage = <T>(child: ChildProcess, role: string) =>
    new Promise<T>((resolve, reject) => {
      child.once('message', (m) => resolve(m as T));
      child.once('exit', (code) => reject(new Error(`the ${role} exited with ${code}`)));
    });
  try {
    // The api first (it migrates the database), then the worker and the web server.
    const api = spawn('api');
    const apiPort = (await firstMessage<{ port: number }>(api, 'api')).port;
    const apiBase = `http://127.0.0.1:${apiPort}`;
    const worker = spawn('worker');
    const web = spawn('web', { NODE_ENV: 'production', LOG_LEVEL: 'warn', API_URL: apiBase, PUBLIC_URL: 'http://localhost:3000' });
    const [, webPort] = await Promise.all([firstMessage(worker, 'worker'), firstMessage<{ port: number }>(web, 'web').then((m) => m.port)]);
    const webBase = `http://127.0.0.1:${webPort}`;
    const statsOf = (child: ChildProcess) =>
      new Promise<ChildStats>((resolve) => {
        child.once('message', (m: ChildStats) => resolve(m));
        child.send('stats');
      });
    const allStats = async () => {
      const [w, a, k] = await Promise.all([statsOf(web), statsOf(api), statsOf(worker)]);
      return { web: w, api: a, worker: k };
    };

    // A verified user signed in over HTTP: the session cookie for pages, the token for the set-up writes.
    const { token, cookie } = await signInBenchUser(apiBase, `sqlite:${db}`, { email: EMAIL, password: PASSWORD });
    const me = (await getJson(`${apiBase}/api/v1/me`, { cookie })) as { teams: { id: string }[] };
    const teamId = me.teams[0]?.id;
    if (!teamId) throw new Error('the new user has no team');
    // The enterprise plan (30,000 team requests a minute, also the burst), and its bucket emptied
    // before each endpoint: the per-team check runs on every request but never refuses one.
    const orm = await createOrm(`sqlite:${db}`, createLogger({ level: 'silent', service: 'bench' }));
    await orm.em.fork().nativeUpdate(Team, { id: teamId }, { plan: 'enterprise' });
    await orm.close();
    const bucketRedis = createRedis(services.redisUrl);
    redis = bucketRedis;
    if (bucketRedis.status !== 'ready') await new Promise((resolve) => bucketRedis.once('ready', resolve));
    const resetTeamBucket = () => bucketRedis.del(`trellis:rl:team:${teamId}`);
    const team = `/api/v1/teams/${teamId}`;

    // A transform → approval → output workflow; one run left waiting on its approval, one approved to the end.
    const created = await post(`${apiBase}${team}/workflows`, {
      name: WORKFLOW_NAME,
      graph: {
        nodes: [
          { id: 'prepare', type: 'transform', config: { expression: '"draft " & input.n' } },
          { id: 'review', type: 'approval', config: { message: APPROVAL_MESSAGE, form: [{ name: 'note', type: 'string' }] } },
          { id: 'done', type: 'output', config: { value: '{{ steps.review.output.decision }}' } },
        ],
        edges: [{ from: 'prepare', to: 'review' }, { from: 'review', port: 'approved', to: 'done' }],
      },
    }, token);
    if (created.status !== 201) throw new Error(`create workflow: ${created.status} ${await created.text()}`);
    const workflowId = ((await created.json()) as { id: string }).id;
    const startRun = async (n: number) => {
      const started = await post(`${apiBase}${team}/workflows/${workflowId}/runs`, { input: { n } }, token);
      if (started.status !== 202) throw new Error(`start run: ${started.status} ${await started.text()}`);
      return ((await started.json()) as { runId: string }).runId;
    };
    const untilStatus = async (runId: string, status: string) => {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const run = (await getJson(`${apiBase}${team}/runs/${runId}`, { cookie })) as { status: string };
        if (run.status === status) return;
        if (Date.now() > deadline) throw new Error(`run ${runId} is ${run.status}, not ${status}, after 120 s`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    const waitingRun = await startRun(1);
    const finishedRun = await startRun(2);
    await untilStatus(waitingRun, 'waiting');
    await untilStatus(finishedRun, 'waiting');
    const decided = await post(`${apiBase}${team}/runs/${finishedRun}/approvals/review`, { decision: 'approve', data: { note: 'ok' } }, token);
    if (decided.status !== 200) throw new Error(`approve: ${decided.status} ${await decided.text()}`);
    await untilStatus(finishedRun, 'succeeded');
    log(`team ${teamId}, workflow ${workflowId}; run ${waitingRun} waiting on approval, run ${finishedRun} succeeded`);

    const pages = [
      { label: 'dashboard `/t/:team`', path: `/t/${teamId}`, expect: ['Runs today', 'Plan usage'] },
      { label: 'workflows `/t/:team/workflows`', path: `/t/${teamId}/workflows`, expect: [WORKFLOW_NAME] },
      { label: 'designer `/t/:team/workflows/:id`', path: `/t/${teamId}/workflows/${workflowId}`, expect: [WORKFLOW_NAME, 'review'] },
      { label: 'run view, waiting on approval', path: `/t/${teamId}/runs/${waitingRun}`, expect: [waitingRun.slice(-8), APPROVAL_MESSAGE] },
      { label: 'run view, succeeded', path: `/t/${teamId}/runs/${finishedRun}`, expect: [finishedRun.slice(-8), 'succeeded'] },
    ];
    const apiCalls = [
      { label: 'GET /api/v1/me', path: '/api/v1/me' },
      { label: 'GET …/usage', path: `${team}/usage` },
      { label: 'GET …/runs?limit=100', path: `${team}/runs?limit=100` },
      { label: 'GET …/runs?status=failed&limit=5', path: `${team}/runs?status=failed&limit=5` },
      { label: 'GET …/workflows?limit=100', path: `${team}/workflows?limit=100` },
      { label: 'GET …/workflows/:id', path: `${team}/workflows/${workflowId}` },
      { label: 'GET …/workflows/:id/versions', path: `${team}/workflows/${workflowId}/versions` },
      { label: 'GET …/workflows/:id/versions/1', path: `${team}/workflows/${workflowId}/versions/1` },
      { label: 'GET …/runs/:id (waiting)', path: `${team}/runs/${waitingRun}` },
      { label: 'GET …/runs/:id (succeeded)', path: `${team}/runs/${finishedRun}` },
    ];

    // Every page and call answers as expected before anything is measured.
    const htmlBytes = new Map<string, number>();
    for (const page of pages) {
      const response = await fetch(`${webBase}${page.path}`, { headers: { cookie, accept: 'text/html' }, redirect: 'manual' });
      const html = await response.text();
      if (response.status !== 200) throw new Error(`${page.path}: ${response.status}\n${html.slice(0, 2000)}`);
      const missing = page.expect.filter((text) => !html.includes(text));
      if (missing.length) throw new Error(`${page.path}: the page lacks ${missing.map((m) => JSON.stringify(m)).join(', ')}\n${html.slice(0, 2000)}`);
      htmlBytes.set(page.path, Buffer.byteLength(html));
    }
    for (const call of apiCalls) await getJson(`${apiBase}${call.path}`, { cookie });
    const health = await fetch(`${webBase}/healthz`);
    if (health.status !== 200) throw new Error(`web /healthz: ${health.status}`);

    log(`api, worker and web server in three processes; SQLite + Redis + Temporal dev server; autocannon ${seconds} s, ${connections} connections per endpoint, 2 s warm-up each`);
    const measure = async (label: string, url: string, headers: Record<string, string>, page: boolean): Promise<Result> => {
      await resetTeamBucket();
      await autocannon({ url, connections, duration: 2, headers });
      await resetTeamBucket();
      // Answers still in flight when the warm-up stops are let finish before counting.
      await new Promise((r) => setTimeout(r, 500));
      const before = await allStats();
      const r = await autocannon({ url, connections, duration: seconds, headers });
      await new Promise((r) => setTimeout(r, 500));
      const after = await allStats();
      // Per request the server under test received (autocannon's total leaves out those still in
      // flight when it stopped, which the servers answered all the same).
      const served = after[page ? 'web' : 'api'].requests - before[page ? 'web' : 'api'].requests;
      const n = Math.max(1, served);
      const perAnswer = (key: 'web' | 'api' | 'worker') => (after[key].cpuMs - before[key].cpuMs) / n;
      const result: Result = {
        label, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, non2xx: r.non2xx, errors: r.errors,
        bytes: r.throughput.total / Math.max(1, r.requests.total),
        ...(page ? { apiCalls: (after.api.requests - before.api.requests) / n } : {}),
        cpu: { web: perAnswer('web'), api: perAnswer('api'), worker: perAnswer('worker') },
      };
      log(
        `${label}: ${Math.round(result.rps)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ${result.non2xx} non-2xx, ${result.errors} errors` +
          `${result.apiCalls === undefined ? '' : `, ${result.apiCalls.toFixed(1)} API calls per page`}; CPU per answer: ${cpuText(result)}`,
      );
      if (result.non2xx || result.errors) log(`  WARNING: ${label} had ${result.non2xx} non-2xx answers and ${result.errors} errors; its figures are not comparable`);
      return result;
    };
    const apiResults: Result[] = [];
    for (const call of apiCalls) apiResults.push(await measure(call.label, `${apiBase}${call.path}`, { cookie, accept: 'application/json' }, false));
    const webResults: Result[] = [await measure('web `/healthz` (no rendering, no API)', `${webBase}/healthz`, {}, true)];
    for (const page of pages) webResults.push(await measure(page.label, `${webBase}${page.path}`, { cookie, accept: 'text/html' }, true));

    console.log('');
    console.log('| request | requests/s (mean) | latency p50 | latency p99 | requests | non-2xx | errors | bytes/answer | API calls/page | CPU ms/answer: web | api | worker |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of [...apiResults, ...webResults]) {
      console.log(
        `| ${r.label} | ${Math.round(r.rps)} | ${r.p50} ms | ${r.p99} ms | ${r.total} | ${r.non2xx} | ${r.errors} | ${Math.round(r.bytes)} | ` +
          `${r.apiCalls === undefined ? '' : r.apiCalls.toFixed(1)} | ${r.cpu.web.toFixed(2)} | ${r.cpu.api.toFixed(2)} | ${r.cpu.worker.toFixed(2)} |`,
      );
    }
    console.log('');
    console.log('| page | JS files | JS raw | JS gzip | CSS raw | CSS gzip |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const b of bundles) console.log(`| ${b.label} | ${b.jsFiles} | ${kib(b.jsRaw)} | ${kib(b.jsGzip)} | ${kib(b.cssRaw)} | ${kib(b.cssGzip)} |`);
    const meRps = apiResults[0]!.rps;
    console.log('');
    for (const r of webResults.slice(1)) log(`${r.label}: ${((r.rps / meRps) * 100).toFixed(0)} % of GET /api/v1/me's rate`);
  } finally {
    // The web server and the worker before the api, then the services.
    for (const child of [...children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    }
    redis?.disconnect();
    await services.stop();
  }
}

function post(url: string, body: unknown, token?: string) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
}

async function getJson(url: string, headers: Record<string, string>): Promise<unknown> {
  const response = await fetch(url, { headers: { ...headers, accept: 'application/json' } });
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

function cpuText(r: Result): string {
  return `web ${r.cpu.web.toFixed(2)} ms, api ${r.cpu.api.toFixed(2)} ms, worker ${r.cpu.worker.toFixed(2)} ms`;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/**
 * The JS and CSS a first load of each page fetches: React Router's manifest (build.assets, the
 * same data as /assets/manifest-*.js; Vite's own .vite/manifest.json is removed after the build)
 * gives the entry, and for each route of the page its module, the chunks it imports (sent as
 * modulepreload links) and its CSS. gzip at the default level, as a compressing proxy would send it.
 */
function clientBundles(build: ServerBuild) {
  const chains: [string, string[]][] = [
    ['dashboard', ['root', 'layouts/app', 'routes/team/dashboard']],
    ['designer', ['root', 'layouts/app', 'routes/team/designer']],
    ['run view', ['root', 'layouts/app', 'routes/team/run']],
  ];
  const { assets } = build;
  return chains.map(([label, routeIds]) => {
    const files = new Set<string>([assets.url, assets.entry.module, ...assets.entry.imports]);
    for (const id of routeIds) {
      const route = assets.routes[id];
      if (!route) throw new Error(`route ${id} is not in the build`);
      for (const file of [route.module, ...(route.imports ?? []), ...(route.css ?? [])]) files.add(file);
    }
    const sizes = { label, jsFiles: 0, jsRaw: 0, jsGzip: 0, cssRaw: 0, cssGzip: 0 };
    for (const file of files) {
      const content = readFileSync(join(CLIENT_DIR, file));
      const gzip = gzipSync(content).length;
      if (file.endsWith('.css')) {
        sizes.cssRaw += content.length;
        sizes.cssGzip += gzip;
      } else {
        sizes.jsFiles++;
        sizes.jsRaw += content.length;
        sizes.jsGzip += gzip;
      }
    }
    log(`${label}: ${sizes.jsFiles} JS files, ${kib(sizes.jsRaw)} (gzip ${kib(sizes.jsGzip)}); CSS ${kib(sizes.cssRaw)} (gzip ${kib(sizes.cssGzip)})`);
    return sizes;
  });
}
