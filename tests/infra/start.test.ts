// `npm start`'s orchestrator, end to end: it starts every process on free ports, the platform
// answers through the web app's origin, Ctrl-C stops everything, and a second start reuses
// the build and keeps the earlier run.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, freePort, isListening } from '../../infra/scripts/services.ts';
import { tempDir } from '../support/env.ts';

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(env: NodeJS.ProcessEnv): Started {
  let output = '';
  const child = spawn(process.execPath, [join(ROOT, 'infra/scripts/start.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env, NODE_ENV: 'development', LOG_LEVEL: 'info', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function until(what: string, condition: () => boolean, started: Started, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (started.child.exitCode !== null) throw new Error(`start exited (${started.child.exitCode}) before ${what}:\n${started.output()}`);
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms:\n${started.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('npm start (infra/scripts/start.ts)', () => {
  it('starts everything, serves the app on one origin, stops on Ctrl-C, and restarts warm', async () => {
    const [web, api, temporal, ui, redis, metrics] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
    const env = {
      TRELLIS_DATA_DIR: tempDir('start'),
      WEB_PORT: String(web),
      API_PORT: String(api),
      TEMPORAL_ADDRESS: `127.0.0.1:${temporal}`,
      TEMPORAL_UI_URL: `http://127.0.0.1:${ui}`,
      REDIS_URL: `redis://127.0.0.1:${redis}`,
      WORKER_METRICS_PORT: String(metrics),
      DATABASE_URL: '',
      // The smoke test below uses the diagnostics endpoints, which are off unless asked for.
      TRELLIS_DIAGNOSTICS: 'true',
    };

    const first = start(env);
    await until('"Trellis is running"', () => first.output().includes('Trellis is running'), first, 240_000);
    expect(first.output()).toContain(`Web app       http://localhost:${web}`);
    expect(first.output()).toContain(`Temporal UI   http://127.0.0.1:${ui}`);

    const home = await fetch(`http://127.0.0.1:${web}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('Trellis');
    expect((await fetch(`http://127.0.0.1:${web}/api/docs`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ui}/`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${metrics}/metrics`)).status).toBe(200);

    // A run through the web origin's /api proxy, executed by the started worker.
    const created = await fetch(`http://127.0.0.1:${web}/api/v1/diagnostics/hello-runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'start' }),
    });
    expect(created.status).toBe(202);
    const { runId } = (await created.json()) as { runId: string };
    const runUrl = `http://127.0.0.1:${web}/api/v1/diagnostics/hello-runs/${runId}`;
    let run: { status?: string; output?: unknown } = {};
    for (let i = 0; i < 100 && run.status !== 'succeeded'; i++) {
      run = (await (await fetch(runUrl)).json()) as typeof run;
      if (run.status !== 'succeeded') await new Promise((r) => setTimeout(r, 200));
    }
    expect(run).toMatchObject({ status: 'succeeded', output: { greeting: 'Hello, start!' } });
    // The worker's /metrics: the run just counted (Trellis's series) beside the Temporal SDK's own.
    let scraped = '';
    for (let i = 0; i < 100 && !(/^trellis_runs_finished_total\{status="succeeded"\} [1-9]/m.test(scraped) && /^temporal_/m.test(scraped)); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 200));
      scraped = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
    }
    expect(scraped).toMatch(/^trellis_runs_started_total\{trigger="system"\} [1-9]/m);
    expect(scraped).toMatch(/^trellis_runs_finished_total\{status="succeeded"\} [1-9]/m);
    expect(scraped).toMatch(/^trellis_node_executions_total\{type="transform",status="succeeded"\} [1-9]/m);
    expect(scraped).toMatch(/^temporal_worker_task_slots_available\{/m);

    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('all processes stopped');
    for (const port of [web, api, temporal, ui, redis, metrics]) expect(await isListening('127.0.0.1', port)).toBe(false);

    // Warm start: nothing rebuilt, the earlier run is still there.
    const second = start(env);
    await until('"Trellis is running"', () => second.output().includes('Trellis is running'), second, 120_000);
    expect(second.output()).toContain('Web app build is up to date');
    expect(second.output()).toContain('Database is up to date');
    expect(second.output()).not.toContain('bundling workflows');
    const again = (await (await fetch(runUrl)).json()) as typeof run;
    expect(again).toMatchObject({ status: 'succeeded', output: { greeting: 'Hello, start!' } });
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  }, 420_000);
});
