// `npm start` (after the bootstrap): starts every Trellis process on this machine, prints the
// URLs once all are ready, and stops them all on Ctrl-C. See README.md.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig, type Config } from '../../core/config.ts';
import { createOrm, migrate } from '../../core/db/orm.ts';
import { Connection } from '@temporalio/client';
import { ensureSearchAttributes } from '../../core/temporal.ts';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.ts';
import { ROOT, httpOk, isListening, launch, startRedis, startTemporalDevServer, waitFor, type Service } from './services.ts';

const started = performance.now();
const color = (code: number) => (text: string) => (process.stdout.isTTY ? `\x1b[${code}m${text}\x1b[0m` : text);
const [dim, red, green, yellow, blue, bold] = [color(2), color(31), color(32), color(33), color(34), color(1)];
const step = (text: string) => console.log(`${blue('▸')} ${text}`);

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(red(error.message));
    process.exit(1);
  }
  throw error;
}

const dataDir = resolve(config.dataDir);
const logDir = join(dataDir, 'logs');
mkdirSync(logDir, { recursive: true });
const services: Service[] = [];
let shuttingDown = false;

// Children get the same configuration, plus the dev secret key generated once into .data/.
const childEnv: NodeJS.ProcessEnv = { ...process.env, TRELLIS_SECRET_KEY: config.secretKey ?? devSecretKey() };

function devSecretKey(): string {
  const file = join(dataDir, 'secret.key');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: yellow('WARN'), 50: red('ERROR'), 60: red('FATAL') };
const SKIP = new Set(['level', 'time', 'service', 'msg', 'pid', 'hostname']);

/** Shows a child's JSON log line compactly; the full line stays in .data/logs/<name>.log. */
function printer(name: string) {
  const label = dim(name.padEnd(8));
  return (line: string) => {
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      const level = typeof entry.level === 'number' ? LEVELS[entry.level] ?? 'INFO' : String(entry.level ?? 'INFO').toUpperCase();
      const rest = Object.fromEntries(Object.entries(entry).filter(([k]) => !SKIP.has(k)));
      const extra = Object.keys(rest).length ? ` ${dim(JSON.stringify(rest).slice(0, 300))}` : '';
      console.log(`${label} ${level} ${String(entry.msg ?? '')}${extra}`);
    } catch {
      console.log(`${label} ${line}`);
    }
  };
}

async function shutdown(code: number, reason: string): Promise<never> {
  if (shuttingDown) return new Promise(() => undefined);
  shuttingDown = true;
  step(`Stopping (${reason})…`);
  // Apps first (they drain), then the services they use.
  const apps = services.filter((s) => ['api', 'worker', 'web'].includes(s.name));
  const infra = services.filter((s) => !apps.includes(s));
  await Promise.all(apps.map((s) => s.stop(15_000)));
  await Promise.all(infra.map((s) => s.stop(15_000)));
  console.log(green(`✓ all processes stopped`));
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0, 'Ctrl-C'));
process.on('SIGTERM', () => void shutdown(0, 'SIGTERM'));

function watch(service: Service) {
  services.push(service);
  void service.exited.then((code) => {
    if (!shuttingDown) {
      console.error(red(`✗ ${service.name} exited unexpectedly (code ${code}); its log: ${join(logDir, service.name + '.log')}`));
      void shutdown(1, `${service.name} failed`);
    }
  });
}

function hostPort(address: string): { host: string; port: number } {
  const url = new URL(address.includes('://') ? address : `tcp://${address}`);
  return { host: url.hostname, port: Number(url.port) };
}

const isLocal = (host: string) => ['127.0.0.1', 'localhost', '::1'].includes(host);

try {
  // 1. Temporal ---------------------------------------------------------------------------
  const temporal = hostPort(config.temporal.address);
  if (await isListening(temporal.host, temporal.port)) {
    step(`Temporal: using the server already at ${config.temporal.address}`);
  } else if (!isLocal(temporal.host)) {
    throw new Error(`Temporal at ${config.temporal.address} is not reachable`);
  } else {
    step(`Starting the Temporal dev server on :${temporal.port} (history in ${join(config.dataDir, 'temporal.db')})`);
    const service = await startTemporalDevServer({
      port: temporal.port,
      uiPort: Number(new URL(config.temporal.uiUrl).port || 8233),
      dbFile: join(dataDir, 'temporal.db'),
      namespace: config.temporal.namespace,
      searchAttributes: SEARCH_ATTRIBUTES,
      logFile: join(logDir, 'temporal.log'),
    });
    watch(service);
  }
  const connection = await Connection.connect({ address: config.temporal.address, connectTimeout: '5s' });
  const added = await ensureSearchAttributes(connection, config.temporal.namespace, SEARCH_ATTRIBUTES);
  if (added.length) step(`Registered search attributes ${added.join(', ')}`);
  await connection.close();

  // 2. Redis --------------------------------------------------------------------------------
  const redisUrl = new URL(config.redis.url);
  const redisPort = Number(redisUrl.port || 6379);
  if (await isListening(redisUrl.hostname, redisPort)) {
    step(`Redis: using the server already at ${redisUrl.host}`);
  } else if (!isLocal(redisUrl.hostname)) {
    throw new Error(`Redis at ${redisUrl.host} is not reachable`);
  } else {
    step(`Starting Redis on :${redisPort}`);
    watch(await startRedis({ port: redisPort, dir: join(dataDir, 'redis'), logFile: join(logDir, 'redis.log') }));
  }

  // 3. Database migrations --------------------------------------------------------------------
  const orm = await createOrm(config.database.url);
  const applied = await migrate(orm);
  await orm.close();
  step(applied.length ? `Database migrated (${applied.join(', ')})` : 'Database is up to date');

  // 4. Web build, only when its sources changed ---------------------------------------------------
  buildWebIfStale();

  // 5. The apps --------------------------------------------------------------------------------
  step('Starting the api, the worker and the web app');
  let workerReady = false;
  for (const [name, entry] of [['api', 'api/server.ts'], ['worker', 'worker/main.ts'], ['web', 'web/server.ts']] as const) {
    const print = printer(name);
    const onLine = (line: string) => {
      // The worker is ready once it polls its task queue, which it announces in its log.
      if (name === 'worker' && line.includes('"msg":"worker ready"')) workerReady = true;
      print(line);
    };
    watch(launch(name, process.execPath, [entry], { env: { ...childEnv, NODE_ENV: config.env }, logFile: join(logDir, `${name}.log`), onLine }));
  }
  const apps = services.filter((s) => ['api', 'worker', 'web'].includes(s.name));
  await Promise.all([
    waitFor('api', () => httpOk(`http://127.0.0.1:${config.api.port}/readyz`), 120_000, apps[0]),
    waitFor('worker', () => Promise.resolve(workerReady), 120_000, apps[1]),
    waitFor('web', () => httpOk(`http://127.0.0.1:${config.web.port}/healthz`), 120_000, apps[2]),
  ]);

  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`
${green(bold(`Trellis is running`))} ${dim(`(ready in ${seconds} s; logs in ${join(config.dataDir, 'logs')}/)`)}

  Web app       ${bold(`http://localhost:${config.web.port}`)}
  API           http://localhost:${config.api.port}   ${dim('(also under /api on the web app)')}
  API docs      http://localhost:${config.api.port}/api/docs
  Temporal UI   ${config.temporal.uiUrl}

${dim('Press Ctrl-C to stop everything.')}
`);
} catch (error) {
  console.error(red(`✗ ${(error as Error).message}`));
  await shutdown(1, 'start failed');
}

function buildWebIfStale() {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (['build', '.react-router', 'node_modules'].includes(name)) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(path).update(readFileSync(path));
    }
  };
  walk(join(ROOT, 'web'));
  walk(join(ROOT, 'workflows', 'graph'));
  hash.update(readFileSync(join(ROOT, 'package-lock.json')));
  const digest = hash.digest('hex');
  const stamp = join(ROOT, 'web', 'build', '.source-hash');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) {
    step('Web app build is up to date');
    return;
  }
  step('Building the web app (only after changes)…');
  const t = performance.now();
  execFileSync(process.execPath, [join(ROOT, 'node_modules', '@react-router', 'dev', 'bin.cjs'), 'build', 'web'], { cwd: ROOT, stdio: 'inherit' });
  writeFileSync(stamp, digest);
  console.log(green(`  ✓ web app built in ${((performance.now() - t) / 1000).toFixed(1)} s`));
}
