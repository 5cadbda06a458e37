// Starts the whole Trellis stack once per e2e run, the way a user does (`npm start`'s orchestrator,
// infra/scripts/start.ts: Temporal dev server, Redis, migrations, web build when stale, api,
// worker, web), on free ports in a fresh data folder, plus what it talks to: a real SMTP server
// (emails are read by the tests) and a fake OpenAI-compatible server.
//
// Test files run in their own module registry, so they cannot share the SMTP server object:
// they read the received emails through a small HTTP "mailbox" served from here. Addresses reach
// them through environment variables (see stack.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, freePort } from '../../../infra/scripts/services.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../../support/fake-openai.ts';
import { startTestSmtp, type TestSmtp } from '../../support/smtp.ts';
import { acquireE2eLock, releaseE2eLock } from './lock.ts';
import { E2E_ENV, chromiumPath } from './stack.ts';

export interface E2eStack {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
  smtp: TestSmtp;
  mailbox: Server;
  openai: FakeOpenAI;
  dataDir: string;
}

declare global {
  var trellisE2eStack: E2eStack | undefined;
}

const START_TIMEOUT_MS = 300_000; // a cold start builds the web app and bundles the workflows
const OUTPUT_KEPT = 200_000; // characters of the orchestrator's output kept for error messages
const LOCK_TIMEOUT_MS = 20 * 60_000; // another engineer's run of the whole suite

/** GET /mail?to=&subject=<regex>&timeoutMs= → the next unread email to that address, as JSON. */
function startMailbox(smtp: TestSmtp): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://mailbox');
    const to = url.searchParams.get('to');
    if (url.pathname !== '/mail' || !to) {
      res.writeHead(404).end();
      return;
    }
    const subject = url.searchParams.get('subject');
    smtp
      .waitFor(to, { subject: subject ? new RegExp(subject, 'i') : undefined, timeoutMs: Number(url.searchParams.get('timeoutMs') ?? 30_000) })
      .then(
        (mail) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(mail)),
        (error: Error) => res.writeHead(504, { 'content-type': 'application/json' }).end(JSON.stringify({ error: error.message })),
      );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export default async function globalSetup(): Promise<void> {
  const chromium = chromiumPath();
  if (!chromium) throw new Error('Chromium was not found: run `bash infra/scripts/bootstrap.sh --for-tests` (it installs the chromium package) or set CHROMIUM_PATH');
  await acquireE2eLock(LOCK_TIMEOUT_MS);
  const started = performance.now();

  const dataDir = mkdtempSync(join(tmpdir(), 'trellis-e2e-'));
  const [smtp, openai] = await Promise.all([startTestSmtp(), startFakeOpenAI()]);
  const mailbox = await startMailbox(smtp);
  const [web, api, temporal, temporalUi, redis, metrics] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
  const webUrl = `http://127.0.0.1:${web}`;

  let output = '';
  const child = spawn(process.execPath, [join(ROOT, 'infra/scripts/start.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      FORCE_COLOR: '0',
      NO_COLOR: '1', // readable build errors in a failure message
      TRELLIS_DATA_DIR: dataDir,
      WEB_PORT: String(web),
      API_PORT: String(api),
      PUBLIC_URL: webUrl, // the links in emails, and the origin allowed to make cookie-authenticated writes
      TEMPORAL_ADDRESS: `127.0.0.1:${temporal}`,
      TEMPORAL_UI_URL: `http://127.0.0.1:${temporalUi}`,
      REDIS_URL: `redis://127.0.0.1:${redis}`,
      WORKER_METRICS_PORT: String(metrics),
      DATABASE_URL: '', // SQLite in the data folder, as a first `npm start` uses
      SMTP_URL: smtp.url,
      OPENAI_BASE_URL: openai.url,
      OPENAI_API_KEY: 'sk-e2e-fake',
      // http nodes in the tests call the stack's own web server on loopback, which the SSRF guard
      // refuses unless the operator allows it.
      TRELLIS_HTTP_ALLOWLIST: '127.0.0.1',
      // Every browser request reaches the api from 127.0.0.1: the production per-IP limits (20 sign-ins
      // per 5 minutes) would throttle the suite's own sign-ups and log-ins.
      RATE_LIMIT_AUTH_PER_IP: '100000',
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000',
      RATE_LIMIT_LOGIN_FAILURES_PER_NETWORK: '100000',
      RATE_LIMIT_PRINCIPAL_PER_MINUTE: '100000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_KEPT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Should jest end without its teardown (a crash), the orchestrator still stops everything it started.
  process.once('exit', () => child.kill('SIGINT'));

  const stack: E2eStack = { child, exited, output: () => output, smtp, mailbox, openai, dataDir };
  globalThis.trellisE2eStack = stack;

  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!output.includes('Trellis is running')) {
      if (child.exitCode !== null) throw new Error(`infra/scripts/start.ts exited (code ${child.exitCode}) before the stack was ready:\n${output.slice(-20_000)}`);
      if (Date.now() > deadline) throw new Error(`the stack was not ready within ${START_TIMEOUT_MS / 1000} s:\n${output.slice(-20_000)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } catch (error) {
    await stopStack(stack, { failed: true });
    releaseE2eLock();
    throw error;
  }

  process.env[E2E_ENV.webUrl] = webUrl;
  process.env[E2E_ENV.apiUrl] = `http://127.0.0.1:${api}`;
  process.env[E2E_ENV.mailboxUrl] = `http://127.0.0.1:${(mailbox.address() as AddressInfo).port}`;
  process.env[E2E_ENV.openaiUrl] = openai.url;
  process.env[E2E_ENV.dataDir] = dataDir;
  process.env[E2E_ENV.chromium] = chromium;
  const rebuilt = output.includes('Building the web app') ? ', web app rebuilt' : '';
  console.log(`\ne2e stack ready at ${webUrl} in ${((performance.now() - started) / 1000).toFixed(1)} s${rebuilt} (logs in ${join(dataDir, 'logs')})`);
}

/** Ctrl-C to the orchestrator (it stops the apps, then Temporal and Redis), then the test servers. */
/** `failed`: the start failed and its error already holds the orchestrator's output. */
export async function stopStack(stack: E2eStack, options: { failed?: boolean } = {}): Promise<void> {
  if (stack.child.exitCode === null && stack.child.signalCode === null) {
    stack.child.kill('SIGINT');
    // The orchestrator gives each process 15 s; past that something hangs.
    const timer = setTimeout(() => stack.child.kill('SIGKILL'), 45_000);
    const code = await stack.exited;
    clearTimeout(timer);
    if (code !== 0) console.warn(`infra/scripts/start.ts exited with code ${code} on Ctrl-C:\n${stack.output().slice(-5_000)}`);
  } else if (!options.failed) {
    // A process of the stack died during the run and the orchestrator stopped the rest: the
    // tests then only saw refused connections, so say which one and why.
    console.warn(`infra/scripts/start.ts had exited (code ${stack.child.exitCode ?? stack.child.signalCode}) before the end of the run:\n${stack.output().slice(-5_000)}`);
  }
  await Promise.all([
    stack.smtp.close(),
    stack.openai.close(),
    new Promise<void>((resolve) => {
      stack.mailbox.closeAllConnections();
      stack.mailbox.close(() => resolve());
    }),
  ]);
}
