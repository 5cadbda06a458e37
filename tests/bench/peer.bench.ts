// The webhook flow side by side, in one run: n8n (the peer), Trellis `POST /hooks/{id}?wait=true`
// and a hand-written Temporal workflow (the floor: what Temporal alone manages on this machine).
// Same body shape `{"id","items":[{"price"}]}` (a fresh id per request), answer `{id, total}`,
// autocannon at the same connections, alternating rounds so drift weighs on all three; then the
// CPU each process spent per answered request, from /proc.
//   node tests/bench/peer.bench.ts [seconds=10] [rounds=2] [connections=10]
//   BENCH_PEERS=trellis,floor   skips n8n (which is installed on first use: ~3 GB, minutes)
//   BENCH_APP_DB=postgresql     Trellis on PostgreSQL instead of a SQLite file
//   BENCH_CPU_PROF=<dir>        CPU profiles of the api and the worker (--cpu-prof), written at exit
import { startFloor } from './floor-process.ts';
import { log } from './harness.ts';
import { describe, load, type LoadResult } from './load.ts';
import { startN8n, N8N_VERSION } from './n8n.ts';
import { cpuDelta, cpuSnapshot, machineLoad } from './proc.ts';
import { benchTeam, orderBody, ORDER_TOTAL, signBody, startTrellisStack, SUM_GRAPH } from './stack.ts';

const SECONDS = Number(process.argv[2] ?? 10);
const ROUNDS = Number(process.argv[3] ?? 2);
const CONNECTIONS = Number(process.argv[4] ?? 10);
const PEERS = (process.env.BENCH_PEERS ?? 'n8n,trellis,floor').split(',');
const SETTLE_MS = 2_000;
const wallStart = performance.now();

const profileEnv: Record<string, string> = process.env.BENCH_CPU_PROF ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_CPU_PROF}` } : {};
const stack = await startTrellisStack({ env: profileEnv });
const stops: (() => Promise<void>)[] = [];
try {
  interface System { name: string; url: string; headers?: (body: string) => Record<string, string>; check: (status: number, body: string) => boolean; pids: string[] }
  const systems: System[] = [];
  const pids: Record<string, number> = { ...stack.pids, 'load generator': process.pid };

  if (PEERS.includes('n8n')) {
    const n8n = await startN8n(stack.dir);
    stops.push(n8n.stop);
    pids.n8n = n8n.pid;
    systems.push({ name: `n8n ${N8N_VERSION}`, url: n8n.url, check: (s, b) => s === 200 && JSON.parse(b).total === ORDER_TOTAL, pids: ['n8n', 'load generator'] });
  }
  if (PEERS.includes('trellis')) {
    const team = await benchTeam(stack, 'peer', 'enterprise');
    const hook = await team.webhook(await team.workflow(SUM_GRAPH));
    systems.push({
      name: 'Trellis ?wait=true', url: `${hook.url}?wait=true`,
      headers: (body) => ({ 'x-trellis-signature': signBody(hook.secret, body) }),
      check: (s, b) => s === 200 && (JSON.parse(b) as { output?: { total?: number } }).output?.total === ORDER_TOTAL,
      pids: ['api', 'worker', 'temporal', 'redis', ...(stack.appDb === 'postgresql' ? ['postgresql'] : []), 'load generator'],
    });
  }
  if (PEERS.includes('floor')) {
    const floor = await startFloor(stack.dir, stack.temporalAddress);
    stops.push(floor.stop);
    pids.floor = floor.pid;
    systems.push({ name: 'Temporal hand-written', url: floor.url, check: (s, b) => s === 200 && JSON.parse(b).total === ORDER_TOTAL, pids: ['floor', 'temporal', 'load generator'] });
  }

  log(`peer benchmark: ${systems.map((s) => s.name).join(' | ')}; ${ROUNDS} rounds of ${SECONDS} s each, autocannon ${CONNECTIONS} connections; ${stack.label}`);
  // Warm-up: JIT, pools, caches, the workflow bundles (not counted). First one right answer
  // (the Trellis worker builds its workflow bundle after it starts).
  for (const system of systems) {
    const deadline = Date.now() + 300_000;
    for (;;) {
      const body = orderBody();
      const response = await fetch(system.url, { method: 'POST', headers: { 'content-type': 'application/json', ...system.headers?.(body) }, body }).catch((error: Error) => error);
      const text = response instanceof Error ? response.message : await response.text();
      if (!(response instanceof Error) && system.check(response.status, text)) break;
      if (Date.now() > deadline) throw new Error(`${system.name} never answered right: ${text.slice(0, 300)}`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const warm = await load({ url: system.url, connections: CONNECTIONS, duration: 5, body: orderBody, headers: system.headers, check: system.check });
    log(`warm-up ${system.name}: ${describe(warm)}`);
  }

  const results = new Map<string, { load: LoadResult; cpu: Record<string, number>; busy: number }[]>();
  const busy = machineLoad();
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order each round, so no system always runs right after the same one.
    const order = systems.map((_, i) => systems[(i + round) % systems.length] as System);
    for (const system of order) {
      const before = cpuSnapshot(pids);
      busy();
      const result = await load({ url: system.url, connections: CONNECTIONS, duration: SECONDS, body: orderBody, headers: system.headers, check: system.check });
      const machine = busy();
      await new Promise((r) => setTimeout(r, SETTLE_MS)); // work finishing after the last answer counts too
      const cpu = cpuDelta(before, cpuSnapshot(pids));
      results.set(system.name, [...(results.get(system.name) ?? []), { load: result, cpu, busy: machine }]);
      log(`round ${round + 1} ${system.name}: ${describe(result)} (machine ${(machine * 100).toFixed(0)} % busy)`);
    }
  }

  log('');
  log('| system | req/s per round | mean req/s | p50 (ms) | p99 (ms) | CPU ms per answered request, by process |');
  log('|---|---|---:|---|---|---|');
  const mean = (name: string) => {
    const rows = results.get(name) ?? [];
    return rows.reduce((s, r) => s + r.load.reqPerSec, 0) / Math.max(1, rows.length);
  };
  for (const system of systems) {
    const rows = results.get(system.name) ?? [];
    const answered = rows.reduce((s, r) => s + r.load.ok, 0);
    const cpu = system.pids.map((name) => `${name} ${((rows.reduce((s, r) => s + (r.cpu[name] ?? 0), 0) / Math.max(1, answered)) * 1000).toFixed(1)}`);
    const total = system.pids.filter((n) => n !== 'load generator').reduce((sum, name) => sum + rows.reduce((s, r) => s + (r.cpu[name] ?? 0), 0), 0) / Math.max(1, answered) * 1000;
    log(`| ${system.name} | ${rows.map((r) => r.load.reqPerSec.toFixed(1)).join(', ')} | ${mean(system.name).toFixed(1)} | ${rows.map((r) => r.load.p50).join(', ')} | ${rows.map((r) => r.load.p99).join(', ')} | ${cpu.join(', ')}; total (without the load generator) ${total.toFixed(1)} |`);
  }
  const trellis = systems.find((s) => s.name.startsWith('Trellis'));
  const p99 = (name: string) => Math.max(...(results.get(name) ?? []).map((r) => r.load.p99));
  if (trellis) {
    for (const other of systems.filter((s) => s !== trellis)) {
      log(`Trellis ÷ ${other.name}: ${(mean(trellis.name) / mean(other.name)).toFixed(2)}× the req/s; worst p99 ${p99(trellis.name)} ms against ${p99(other.name)} ms`);
    }
  }
  log(`wall time ${((performance.now() - wallStart) / 1000).toFixed(0)} s; logs in ${stack.dir}`);
} finally {
  for (const stop of stops) await stop().catch(() => undefined);
  await stack.stop();
}
