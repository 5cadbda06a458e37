// Ingest decoupled from execution: a burst of signed webhook deliveries (no ?wait) at 50
// connections against the whole stack in separate processes (api, worker, Temporal dev server,
// Redis, app database); how many are accepted a second and how fast the 202 comes, that none is
// refused within quota (enterprise plan, per-webhook rate raised), then that every accepted run
// completes, and at what rate; CPU per completed run for each process.
//   node tests/bench/ingest.bench.ts [deliveries=10000] [connections=50] [completionTimeoutSeconds=1200]
//   BENCH_TEMPORAL_STORE=postgresql   Temporal server on PostgreSQL (bench.sh runs both stores)
import { log } from './harness.ts';
import { describe, load } from './load.ts';
import { cpuDelta, cpuSnapshot } from './proc.ts';
import { benchTeam, orderBody, signBody, startTrellisStack, SUM_GRAPH } from './stack.ts';

const DELIVERIES = Number(process.argv[2] ?? 10_000);
const CONNECTIONS = Number(process.argv[3] ?? 50);
const TIMEOUT_S = Number(process.argv[4] ?? 1_200);
const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'timed_out']);
const wallStart = performance.now();

const stack = await startTrellisStack();
try {
  const team = await benchTeam(stack, 'ingest', 'enterprise');
  const hook = await team.webhook(await team.workflow(SUM_GRAPH));
  const headers = (body: string) => ({ 'x-trellis-signature': signBody(hook.secret, body) });
  // One run through end to end first: the worker has built its bundle and polls.
  const first = orderBody();
  const probe = await fetch(`${hook.url}?wait=true`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers(first) }, body: first, signal: AbortSignal.timeout(300_000) });
  if (probe.status !== 200) throw new Error(`first delivery: ${probe.status} ${await probe.text()}`);
  const pids = { ...stack.pids, 'load generator': process.pid };
  // ?wait=true answers when the output node fires: let the probe's run finish before counting.
  let base = await stack.runCounts([team.teamId]);
  while (Object.keys(base).some((s) => !FINAL.has(s))) {
    await new Promise((r) => setTimeout(r, 100));
    base = await stack.runCounts([team.teamId]);
  }
  const baseEnded = Object.entries(base).filter(([s]) => FINAL.has(s)).reduce((sum, [, n]) => sum + n, 0);

  log(`ingest: ${DELIVERIES} signed deliveries at ${CONNECTIONS} connections, no ?wait; ${stack.label}; team on the enterprise plan`);
  const cpuBefore = cpuSnapshot(pids);
  const burst = await load({ url: hook.url, connections: CONNECTIONS, amount: DELIVERIES, body: orderBody, headers, check: (status) => status === 202 });
  const cpuAfterBurst = cpuSnapshot(pids);
  const accepted = burst.ok;
  log(`burst: ${(accepted / burst.seconds).toFixed(0)} accepted/s (${accepted} of ${DELIVERIES} in ${burst.seconds.toFixed(1)} s), latency p50 ${burst.p50} ms, p99 ${burst.p99} ms; refused/other: ${burst.non2xx} ${JSON.stringify(burst.statusCodes)}, errors ${burst.errors}, timeouts ${burst.timeouts}`);
  log(`  ${describe(burst)}`);
  const burstCpu = cpuDelta(cpuBefore, cpuAfterBurst);
  log(`  CPU during the burst (s): ${Object.entries(burstCpu).map(([n, s]) => `${n} ${s.toFixed(1)}`).join(', ')}`);

  // Completion: every accepted delivery's run ends.
  const startedAt = performance.now();
  let counts: Record<string, number> = base;
  let ended = 0;
  let lastReport = startedAt;
  for (;;) {
    counts = await stack.runCounts([team.teamId]);
    ended = Object.entries(counts).filter(([s]) => FINAL.has(s)).reduce((sum, [, n]) => sum + n, 0) - baseEnded;
    if (ended >= accepted) break;
    if (performance.now() - startedAt > TIMEOUT_S * 1000) {
      log(`completion timed out after ${TIMEOUT_S} s`);
      break;
    }
    if (performance.now() - lastReport > 30_000) {
      lastReport = performance.now();
      log(`  … ${ended} of ${accepted} ended after ${((lastReport - startedAt) / 1000).toFixed(0)} s: ${JSON.stringify(counts)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const sinceBurst = (performance.now() - startedAt) / 1000;
  const total = burst.seconds + sinceBurst;
  const cpu = cpuDelta(cpuBefore, cpuSnapshot(pids));
  const succeeded = (counts.succeeded ?? 0) - (base.succeeded ?? 0);
  log(`completion: ${succeeded} succeeded, ${ended - succeeded} otherwise ended (${JSON.stringify(counts)}), the last ${sinceBurst.toFixed(1)} s after the burst: ${(ended / total).toFixed(1)} runs/s from the first delivery to the last run's end`);
  log(`CPU ms per completed run: ${Object.entries(cpu).map(([n, s]) => `${n} ${((s / Math.max(1, ended)) * 1000).toFixed(1)}`).join(', ')}; all but the load generator ${((Object.entries(cpu).filter(([n]) => n !== 'load generator').reduce((a, [, s]) => a + s, 0) / Math.max(1, ended)) * 1000).toFixed(1)}`);
  log(`wall time ${((performance.now() - wallStart) / 1000).toFixed(0)} s; logs in ${stack.dir}`);
} finally {
  await stack.stop();
}
