// Starting and stopping the local services Trellis needs (Temporal dev server, Redis,
// PostgreSQL). Shared by `npm start` (infra/scripts/start.ts) and the test setup.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, createWriteStream, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Frees what stopped services and tests left in `dir` (databases, builds, caches: a test run
 * leaves over a gigabyte) and keeps what a person reads after a failure: the `*.log` and `*.txt`
 * files in it and in its folders (a process's own folder of logs), not deeper (a build's
 * node_modules). Never throws: a file still held open only stays behind, with a warning.
 */
export function removeDataKeepLogs(dir: string): void {
  try {
    pruneKeepingLogs(dir, 1);
  } catch (error) {
    console.warn(`could not free all of ${dir}: ${(error as Error).message}`);
  }
}

/** Removes what is not a log in `dir` and, `depth` levels down, in its folders; answers whether anything was kept. */
function pruneKeepingLogs(dir: string, depth: number): boolean {
  if (!existsSync(dir)) return false;
  let kept = false;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && depth > 0 && pruneKeepingLogs(path, depth - 1)) kept = true;
    else if (entry.isFile() && /\.(log|txt)$/.test(entry.name)) kept = true;
    else rmSync(path, { recursive: true, force: true, maxRetries: 3 });
  }
  return kept;
}

export interface Service {
  name: string;
  process: ChildProcess;
  /** Resolves with the exit code once the process is gone. */
  exited: Promise<number | null>;
  stop(timeoutMs?: number): Promise<void>;
}

// Ports handed out are picked below Linux's ephemeral range (32768–60999): a port the OS picked
// for us there can be taken, before our server binds it, as the local port of one of the many
// outgoing connections test processes open — an EADDRINUSE a moment later.
const PORT_RANGE = { from: 20_000, to: 32_767 };
const handedOut = new Set<number>();

function canListen(port: number, host = '::'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      // A host without IPv6: check IPv4 alone.
      if (host === '::' && (error.code === 'EAFNOSUPPORT' || error.code === 'EADDRNOTAVAIL')) resolve(canListen(port, '0.0.0.0'));
      else resolve(false);
    });
    // '::' also covers IPv4 on dual-stack hosts: the api listens there.
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** A TCP port nobody listens on right now, not handed out before by this process. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = PORT_RANGE.from + Math.floor(Math.random() * (PORT_RANGE.to - PORT_RANGE.from + 1));
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free TCP port found in ${PORT_RANGE.from}–${PORT_RANGE.to}`);
}

export async function isListening(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Whether a GET of `url` answers 2xx within 2 s (readiness probes). */
export async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number, service?: Service): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void service?.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${what}: the process exited before it was ready (see its log)`);
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} was not ready within ${timeoutMs} ms`);
}

/** Spawns a long-running process whose output goes to a log file (and optionally a callback). */
export function launch(
  name: string,
  command: string,
  args: string[],
  options: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string; onLine?: (line: string) => void },
): Service {
  // Each child gets its own process group: a terminal's Ctrl-C reaches only the parent, which
  // then stops the children in order (apps before the services they use).
  mkdirSync(join(options.logFile, '..'), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  // Whatever happens to the parent, no child outlives it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream?.on('data', (chunk: Buffer) => {
      // Output can still arrive after the service was stopped and its log closed.
      if (!log.writableEnded) log.write(chunk);
      if (!options.onLine) return;
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) options.onLine(line);
    });
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      process.off('exit', killOnExit);
      log.end();
      resolve(code ?? (signal ? 128 : null));
    });
    child.once('error', (error) => {
      if (!log.writableEnded) log.write(`failed to start ${command}: ${error.message}\n`);
      resolve(127);
    });
  });
  return {
    name,
    process: child,
    exited,
    async stop(timeoutMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function temporalCli(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [env.TEMPORAL_CLI, join(ROOT, '.tools', 'bin', 'temporal')];
  for (const path of (env.PATH ?? '').split(':')) candidates.push(join(path, 'temporal'));
  const found = candidates.find((c) => c && existsSync(c));
  if (!found) throw new Error('The Temporal CLI was not found: run `npm run setup` (it builds it into .tools/bin)');
  return found;
}

export interface TemporalDevServerOptions {
  port: number;
  uiPort?: number;
  /** Persistent SQLite file; in-memory when omitted. */
  dbFile?: string;
  namespace?: string;
  searchAttributes: Record<string, string>;
  logFile: string;
}

/**
 * Task queue priority and fairness (ADR 028): the dev server (Temporal 1.29) orders tasks by
 * priorityKey and shares them fairly by fairnessKey only with the new matcher and fairness on.
 */
export const TEMPORAL_DYNAMIC_CONFIG = ['matching.useNewMatcher=true', 'matching.enableFairness=true'];

export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<Service> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--log-level', 'warn', '--log-format', 'json', ...TEMPORAL_DYNAMIC_CONFIG.flatMap((v) => ['--dynamic-config-value', v])];
  if (options.uiPort) args.push('--ui-port', String(options.uiPort));
  else args.push('--headless');
  if (options.dbFile) {
    mkdirSync(join(options.dbFile, '..'), { recursive: true });
    args.push('--db-filename', options.dbFile, '--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL');
  }
  if (options.namespace && options.namespace !== 'default') args.push('--namespace', options.namespace);
  for (const [name, type] of Object.entries(options.searchAttributes)) args.push('--search-attribute', `${name}=${type}`);
  const service = launch('temporal', temporalCli(), args, { logFile: options.logFile });
  await waitFor('Temporal dev server', () => isListening('127.0.0.1', options.port), 60_000, service);
  return service;
}

export function redisServerBinary(): string {
  return 'redis-server';
}

export async function startRedis(options: { port: number; dir: string; logFile: string }): Promise<Service> {
  mkdirSync(options.dir, { recursive: true });
  const service = launch(
    'redis',
    redisServerBinary(),
    ['--port', String(options.port), '--bind', '127.0.0.1', '--dir', options.dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    { logFile: options.logFile },
  );
  await waitFor('Redis', () => isListening('127.0.0.1', options.port), 20_000, service);
  return service;
}

/** The newest PostgreSQL server binaries installed by Debian's packages, if any. */
export function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : undefined;
}

/**
 * A private PostgreSQL instance in `dir` (initdb on first use), trusting local connections.
 * As root, the server runs as the `postgres` user, which PostgreSQL requires.
 */
export async function startPostgres(options: { port: number; dir: string; logFile: string }): Promise<Service & { url: string }> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed: run `npm run setup` (it installs the postgresql package)');
  const asRoot = process.getuid?.() === 0;
  const runAs = (command: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  const data = join(options.dir, 'data');
  if (!existsSync(join(data, 'PG_VERSION'))) {
    mkdirSync(data, { recursive: true });
    if (asRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
      chownSync(options.dir, uid, gid);
      chownSync(data, uid, gid);
    }
    const [cmd, args] = runAs(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync']);
    execFileSync(cmd, args, { stdio: 'pipe' });
  }
  const [cmd, args] = runAs(join(bin, 'postgres'), ['-D', data, '-p', String(options.port), '-k', options.dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off']);
  const service = launch('postgresql', cmd, args, { logFile: options.logFile });
  await waitFor('PostgreSQL', () => isListening('127.0.0.1', options.port), 30_000, service);
  // Accepting TCP is not yet accepting queries: wait for the startup to finish.
  await waitFor('PostgreSQL startup', async () => {
    try {
      execFileSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(options.port)], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }, 30_000, service);
  return { ...service, url: `postgres://postgres@127.0.0.1:${options.port}/postgres` };
}
