// Authenticated GET /api/v1/me against GET /healthz of the same api server, in one run:
// autocannon, 10 s, 50 connections each, rate limiting on (every /me request runs the GCRA script
// in Redis; the per-user limit is set high enough never to refuse, so what is measured is the cost
// of the check, not 429s). The server runs in a child process (the real createApp on the embedded
// default: SQLite, local Redis, Temporal dev server); autocannon runs in this one.
//   node tests/bench/me-vs-healthz.bench.ts [seconds=10] [connections=50]
//   BENCH_RATE_LIMIT=false … measures the same without the limiter, for comparison.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { loadConfig } from '../../core/config.ts';
import { log, signInBenchUser, startBenchApi, startBenchServices } from './harness.ts';

const EMAIL = 'bench@example.test';
const PASSWORD = 'plum-orbit-cactus-7';

if (process.argv[2] === '--serve') {
  // The api process under test.
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    TRELLIS_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
    DATABASE_URL: `sqlite:${process.env.BENCH_DB}`,
    REDIS_URL: process.env.BENCH_REDIS,
    TEMPORAL_ADDRESS: process.env.BENCH_TEMPORAL,
    TRELLIS_DATA_DIR: process.env.BENCH_DIR,
    RATE_LIMIT_ENABLED: process.env.BENCH_RATE_LIMIT ?? 'true',
    RATE_LIMIT_PRINCIPAL_PER_MINUTE: '1000000000',
  });
  const api = await startBenchApi(config);
  process.send?.({ port: api.port });
  process.on('SIGTERM', () => void api.close().then(() => process.exit(0)));
} else {
  const seconds = Number(process.argv[2] ?? 10);
  const connections = Number(process.argv[3] ?? 50);
  const services = await startBenchServices();
  const db = join(services.dir, 'app.sqlite');
  let child: ChildProcess | undefined;
  try {
    child = fork(fileURLToPath(import.meta.url), ['--serve'], {
      env: { ...process.env, BENCH_DB: db, BENCH_REDIS: services.redisUrl, BENCH_TEMPORAL: services.temporalAddress, BENCH_DIR: services.dir },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      child!.once('message', (m: { port: number }) => resolve(m.port));
      child!.once('exit', (code) => reject(new Error(`the api exited with ${code}`)));
    });
    const base = `http://127.0.0.1:${port}`;

    const { token } = await signInBenchUser(base, `sqlite:${db}`, { email: EMAIL, password: PASSWORD });
    const me = await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    const limited = process.env.BENCH_RATE_LIMIT !== 'false';
    if (me.status !== 200 || Boolean(me.headers.get('ratelimit-limit')) !== limited) throw new Error(`GET /me: ${me.status}, RateLimit-Limit ${me.headers.get('ratelimit-limit')}`);

    const run = (path: string, headers: Record<string, string> = {}, duration = seconds) =>
      autocannon({ url: `${base}${path}`, connections, duration, headers });
    log(`api on SQLite + Redis, rate limiting ${limited ? 'on' : 'OFF'}; autocannon ${seconds} s, ${connections} connections per endpoint`);
    // Warm up both paths (JIT, connection pools, the Lua script cache).
    await run('/healthz', {}, 2);
    await run('/api/v1/me', { authorization: `Bearer ${token}` }, 2);

    const results = [];
    for (const [label, path, headers] of [
      ['GET /healthz', '/healthz', {}],
      [`GET /api/v1/me (Bearer session${limited ? ', rate limited' : ''})`, '/api/v1/me', { authorization: `Bearer ${token}` }],
    ] as const) {
      const r = await run(path, headers);
      results.push({ label, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, non2xx: r.non2xx, errors: r.errors });
    }
    console.log('');
    console.log('| endpoint | requests/s (mean) | latency p50 | latency p99 | requests | non-2xx | errors |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of results) console.log(`| ${r.label} | ${Math.round(r.rps)} | ${r.p50} ms | ${r.p99} ms | ${r.total} | ${r.non2xx} | ${r.errors} |`);
    const [healthz, meResult] = results;
    console.log(`\n  /me runs at ${((meResult!.rps / healthz!.rps) * 100).toFixed(0)} % of /healthz`);
  } finally {
    child?.kill('SIGTERM');
    await services.stop();
  }
}
