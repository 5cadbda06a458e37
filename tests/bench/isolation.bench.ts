// The cost of evaluating run expressions in the expression pool's runner processes instead of
// inline, in one process run so the ratios compare:
//   (a) one evaluation: renderValue in this process against a round trip through the pool;
//   (b) whole runs through the real worker and a Temporal dev server, graphs with 0, 1 and 2
//       evaluations and otherwise the same two nodes;
//   (c) the memory of the pool's runner processes.
//   node tests/bench/isolation.bench.ts [runs=300] [inFlight=10] [evaluations=2000]
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { createExpressionPool } from '../../activities/expressions/pool.ts';
import { createBlobStore } from '../../core/blobs/store.ts';
import { emptyCredentialStore } from '../../core/credentials/store.ts';
import { createOrm, migrate } from '../../core/db/orm.ts';
import { createLogger } from '../../core/log.ts';
import { createRedis } from '../../core/redis/client.ts';
import { startRun } from '../../core/runs/start-run.ts';
import { createTemporalClient } from '../../core/temporal.ts';
import { loadWorkflowBundle } from '../../worker/bundle.ts';
import { createTrellisWorker } from '../../worker/worker.ts';
import { renderValue, type ExpressionContext } from '../../workflows/graph/expressions.ts';
import { Graph } from '../../workflows/graph/schema.ts';
import type { RunGraphResult } from '../../workflows/run-graph.ts';
import { log, percentile, startBenchServices } from './harness.ts';

const RUNS = Number(process.argv[2] ?? 300);
const IN_FLIGHT = Number(process.argv[3] ?? 10);
const EVALUATIONS = Number(process.argv[4] ?? 2000);
const ROUNDS = 12;
const CONCURRENCY = 10;
const EXPRESSION = '{"id": input.id, "total": $sum(input.items.price)}';

const load = () => loadavg().map((n) => n.toFixed(2)).join(' ');
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
log(`load average at start: ${load()}`);

// ---- /proc readings -------------------------------------------------------------------------

/** CPU time (ms, user + system) of a process; 0 once it is gone. */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ = 100
  } catch {
    return 0;
  }
}

/** A field of /proc/<pid>/status or smaps_rollup in bytes (VmRSS, Pss). */
function kib(pid: number, file: 'status' | 'smaps_rollup', field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'));
  return Number(match?.[1] ?? NaN) * 1024;
}

/** This process's children (Temporal dev server, Redis, the runners), for CPU accounting. */
function childPids(): number[] {
  return readdirSync('/proc/self/task').flatMap((task) => {
    try {
      return readFileSync(`/proc/self/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
    } catch {
      return []; // a thread that ended meanwhile
    }
  });
}

function runnerMemory(pids: number[]) {
  return {
    rss: pids.reduce((sum, pid) => sum + kib(pid, 'status', 'VmRSS'), 0),
    pss: pids.reduce((sum, pid) => sum + kib(pid, 'smaps_rollup', 'Pss'), 0),
  };
}

/** CPU ms used meanwhile by this process, by `runners`, and by every other child process. */
function cpuMeter(runners: () => number[]) {
  const self0 = process.cpuUsage();
  const pids = childPids();
  const before = new Map(pids.map((pid) => [pid, cpuMs(pid)]));
  return () => {
    const self = process.cpuUsage(self0);
    const ids = new Set(runners());
    let runner = 0;
    let other = 0;
    for (const pid of pids) {
      const used = cpuMs(pid) - (before.get(pid) ?? 0);
      if (ids.has(pid)) runner += used;
      else other += used;
    }
    return { self: (self.user + self.system) / 1000, runners: runner, others: other };
  };
}

async function until(check: () => boolean) {
  for (let i = 0; !check(); i++) {
    if (i > 600) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---- (a) one evaluation ---------------------------------------------------------------------

const items = Array.from({ length: 5 }, (_, i) => ({ name: `item ${i}`, price: 10 + i * 2.5, quantity: i + 1 }));
const small: ExpressionContext = { input: { id: 'ord_1', items }, steps: {}, run: { id: 'run_bench', startedAt: '2026-11-29T10:00:00.000Z' } };
// An upstream step's output as an HTTP node gives it: a page of records, about 50 KiB of JSON.
const records = Array.from({ length: 180 }, (_, i) => ({
  id: `cus_${String(i).padStart(6, '0')}`, email: `customer${i}@example.test`, name: `Customer number ${i}`,
  createdAt: '2026-11-01T12:00:00.000Z', plan: i % 3 ? 'pro' : 'free', tags: ['alpha', 'beta', 'gamma'].slice(0, i % 4),
  address: { line1: `${i} Long Street`, city: 'Springfield', postcode: `SP${i % 97} 1AB`, country: 'GB' }, balance: i * 13.37,
}));
const large: ExpressionContext = { ...small, steps: { fetch: { output: { data: records, hasMore: true }, status: 'succeeded' } } };

const pool = createExpressionPool({ processes: 2, cpuMs: 1_000, memoryMb: 256 });
await until(() => pool.pids().length === 2);
const idleMemory = runnerMemory(pool.pids());

type Evaluate = (context: ExpressionContext) => Promise<unknown>;
const inline: Evaluate = (context) => renderValue('expression', EXPRESSION, context);
const isolated: Evaluate = (context) => pool.evaluate({ teamId: 'bench', mode: 'expression', value: EXPRESSION, context });

async function sequential(evaluate: Evaluate, context: ExpressionContext, n: number, into: number[]) {
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await evaluate(context);
    into.push((performance.now() - t) * 1000);
  }
}

async function concurrent(evaluate: Evaluate, context: ExpressionContext, n: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < n) {
      next++;
      await evaluate(context);
    }
  }));
  return n / ((performance.now() - t0) / 1000);
}

const fmtUs = (us: number) => (us >= 100 ? us.toFixed(0) : us.toFixed(1));
log(`(a) ${EVALUATIONS} sequential evaluations and ${EVALUATIONS} with ${CONCURRENCY} concurrent, per way and context, in two alternating halves; expression ${EXPRESSION}`);
for (const [name, context] of [['small context', small], ['~50 KiB context', large]] as const) {
  const expected = await inline(context);
  // JSON compared: JSONata's objects are not plain (sequence flags), the pool's are parsed JSON.
  if (JSON.stringify(await isolated(context)) !== JSON.stringify(expected)) throw new Error('the pool and renderValue disagree');
  const bytes = JSON.stringify(context).length;
  for (const evaluate of [inline, isolated]) await sequential(evaluate, context, 200, []); // warm-up: JIT on both sides
  const times = { inline: [] as number[], pool: [] as number[] };
  const rates = { inline: [] as number[], pool: [] as number[] };
  const cpu = { self: 0, runners: 0 };
  for (let half = 0; half < 2; half++) {
    await sequential(inline, context, EVALUATIONS / 2, times.inline);
    const meter = cpuMeter(() => pool.pids());
    await sequential(isolated, context, EVALUATIONS / 2, times.pool);
    const used = meter();
    cpu.self += used.self;
    cpu.runners += used.runners;
    rates.inline.push(await concurrent(inline, context, EVALUATIONS / 2));
    rates.pool.push(await concurrent(isolated, context, EVALUATIONS / 2));
  }
  for (const way of ['inline', 'pool'] as const) {
    const sorted = [...times[way]].sort((a, b) => a - b);
    const mean = sorted.reduce((s, x) => s + x, 0) / sorted.length;
    const rate = rates[way].reduce((s, x) => s + x, 0) / rates[way].length;
    log(`  ${name} (${(bytes / 1024).toFixed(1)} KiB of JSON), ${way}: mean ${fmtUs(mean)} µs, p50 ${fmtUs(percentile(sorted, 50))} µs, p99 ${fmtUs(percentile(sorted, 99))} µs; ${CONCURRENCY} concurrent ${rate.toFixed(0)} evaluations/s`);
  }
  log(`  ${name}, pool: CPU per sequential evaluation ${fmtUs((cpu.self / EVALUATIONS) * 1000)} µs in this process + ${fmtUs((cpu.runners / EVALUATIONS) * 1000)} µs in the runners (/proc, 10 ms ticks); load ${load()}`);
}

// ---- (b) whole runs -------------------------------------------------------------------------

Runtime.install({ logger: new DefaultLogger('ERROR') });
const services = await startBenchServices();
const logger = createLogger({ level: 'silent', service: 'bench' });
const orm = await createOrm(`sqlite:${join(services.dir, 'app.sqlite')}`);
await migrate(orm);
const redis = createRedis(services.redisUrl);
const taskQueue = `bench-${randomUUID()}`;
const connection = await NativeConnection.connect({ address: services.temporalAddress });
const worker = await createTrellisWorker({
  connection, namespace: 'default', taskQueue,
  workflowBundle: await loadWorkflowBundle(join(services.dir, 'cache'), logger),
  deps: { orm, logger, redis, blobs: createBlobStore(orm, { maxBytes: 1e8 }), blobThresholdBytes: 65_536, httpAllowlist: [], openai: { baseUrl: 'http://127.0.0.1:9/v1' }, credentials: emptyCredentialStore, expressions: pool },
});
const running = worker.run();
const client = await createTemporalClient({ address: services.temporalAddress, namespace: 'default' });

// Two nodes each; a merge with no inputs stands for the transform where nothing is evaluated.
const graphs = {
  'B: merge → output (constant), 0 evaluations': Graph.parse({
    nodes: [{ id: 't', type: 'merge', config: { mode: 'all' } }, { id: 'o', type: 'output', config: { value: { ok: true } } }],
    edges: [{ from: 't', to: 'o' }],
  }),
  "A': transform → output (constant), 1 evaluation": Graph.parse({
    nodes: [{ id: 't', type: 'transform', config: { expression: EXPRESSION } }, { id: 'o', type: 'output', config: { value: { ok: true } } }],
    edges: [{ from: 't', to: 'o' }],
  }),
  'A: transform → output {{ steps.t.output }}, 2 evaluations': Graph.parse({
    nodes: [{ id: 't', type: 'transform', config: { expression: EXPRESSION } }, { id: 'o', type: 'output', config: { value: '{{ steps.t.output }}' } }],
    edges: [{ from: 't', to: 'o' }],
  }),
};
type Case = { name: string; graph: Graph; input: unknown; evaluations: number };
const names = Object.keys(graphs) as (keyof typeof graphs)[];
const evaluationsOf = [0, 1, 2];
const smallInput = { id: 'ord_1', items };
// The same graphs on a ~50 KiB run input: it is part of the context sent to every evaluation.
const largeInput = { id: 'ord_1', items, customers: records };
const cases: Case[][] = [
  names.map((name, i) => ({ name, graph: graphs[name], input: smallInput, evaluations: evaluationsOf[i] as number })),
  [names[0], names[2]].map((name) => ({ name: `${name} — ~50 KiB input`, graph: graphs[name as keyof typeof graphs], input: largeInput, evaluations: name === names[0] ? 0 : 2 })),
];

interface Cpu {
  self: number;
  runners: number;
  others: number;
}
interface Sample {
  latencies: number[];
  seconds: number;
  runs: number;
  cpu: Cpu;
  /** Per round: runs/s and CPU ms per run, for ratios paired within a round. */
  rounds: { rate: number; cpu: number }[];
}
const emptySample = (): Sample => ({ latencies: [], seconds: 0, runs: 0, cpu: { self: 0, runners: 0, others: 0 }, rounds: [] });
const total = (cpu: Cpu) => cpu.self + cpu.runners + cpu.others;
const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);

async function measure(c: Case, runs: number, into: Sample = emptySample()): Promise<Sample> {
  let next = 0;
  const meter = cpuMeter(() => pool.pids());
  const t0 = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < runs) {
      next++;
      const t = performance.now();
      const { runId } = await startRun(client, { taskQueue, blobThresholdBytes: 65_536, maxConcurrency: 10 }, { graph: c.graph, version: 1, input: c.input, teamId: 'bench', workflowId: 'bench', trigger: 'api' });
      const result = (await client.workflow.getHandle(runId).result()) as RunGraphResult;
      if (result.status !== 'succeeded') throw new Error(`${c.name}: ${JSON.stringify(result)}`);
      into.latencies.push(performance.now() - t);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  const used = meter();
  into.seconds += seconds;
  into.runs += runs;
  into.cpu.self += used.self;
  into.cpu.runners += used.runners;
  into.cpu.others += used.others;
  into.rounds.push({ rate: runs / seconds, cpu: total(used) / runs });
  return into;
}

log(`(b) ${RUNS} runs per graph in ${ROUNDS} rounds (the order rotating each round), ${IN_FLIGHT} in flight, one worker, Temporal dev server (in memory); latency is start → result`);
for (const group of cases) {
  for (const c of group) await measure(c, 20); // warm-up: bundle, workflow cache, connections
  const samples = group.map(emptySample);
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < group.length; k++) {
      const i = (k + round) % group.length;
      await measure(group[i] as Case, RUNS / ROUNDS, samples[i]);
    }
  }
  log(`  load average after these rounds: ${load()}`);
  const floor = samples[0] as Sample;
  group.forEach((c, i) => {
    const s = samples[i] as Sample;
    const sorted = [...s.latencies].sort((a, b) => a - b);
    const [p50, floorP50] = [percentile(sorted, 50), percentile([...floor.latencies].sort((a, b) => a - b), 50)];
    const rate = s.runs / s.seconds;
    const floorRate = floor.runs / floor.seconds;
    const per = (n: number) => (n / s.runs).toFixed(1);
    log(`  ${c.name}: ${rate.toFixed(1)} runs/s, p50 ${p50.toFixed(0)} ms, p95 ${percentile(sorted, 95).toFixed(0)} ms; CPU per run ${per(total(s.cpu))} ms (worker+client ${per(s.cpu.self)}, runners ${(s.cpu.runners / s.runs).toFixed(2)}, Temporal+Redis ${per(s.cpu.others)})`);
    if (!c.evaluations) return;
    const perEvaluation = (a: number, b: number) => ((a / s.runs - b / floor.runs) / c.evaluations).toFixed(2);
    // Ratios paired within each round, then their median: a burst of load elsewhere on the
    // machine weighs on one round of both graphs, not on one graph.
    const ratios = s.rounds.map((r, k) => r.rate / (floor.rounds[k]?.rate ?? NaN));
    const cpuDeltas = s.rounds.map((r, k) => (r.cpu - (floor.rounds[k]?.cpu ?? NaN)) / c.evaluations);
    log(`    ÷ floor: throughput ${(rate / floorRate).toFixed(2)}× overall, median of rounds ${median(ratios).toFixed(2)}× (min ${Math.min(...ratios).toFixed(2)}, max ${Math.max(...ratios).toFixed(2)}); p50 +${((p50 - floorP50) / c.evaluations).toFixed(1)} ms and wall +${((1000 / rate - 1000 / floorRate) / c.evaluations).toFixed(2)} ms per evaluation at saturation`);
    log(`    CPU per evaluation +${perEvaluation(total(s.cpu), total(floor.cpu))} ms overall (worker+client ${perEvaluation(s.cpu.self, floor.cpu.self)}, runners ${(s.cpu.runners / s.runs / c.evaluations).toFixed(2)}, Temporal+Redis ${perEvaluation(s.cpu.others, floor.cpu.others)}), median of rounds +${median(cpuDeltas).toFixed(2)} ms`);
  });
}

// ---- (c) memory -----------------------------------------------------------------------------

const busyMemory = runnerMemory(pool.pids());
log(`(c) runners (2 processes): VmRSS ${mib(idleMemory.rss)} idle → ${mib(busyMemory.rss)} after the runs; PSS ${mib(idleMemory.pss)} → ${mib(busyMemory.pss)}; worker process RSS ${mib(process.memoryUsage().rss)}; pool ${JSON.stringify(pool.stats())}`);
log(`load average at end: ${load()}`);

worker.shutdown();
await running;
await pool.close();
await connection.close();
await client.connection.close();
redis.disconnect();
await orm.close();
await services.stop();
