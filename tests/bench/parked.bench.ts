// Runs parked on a person, in the same run: Trellis runs waiting on an approval (the Trellis
// worker, its own process) beside hand-written workflows parked on an update (tests/bench/floor.ts,
// its own process, default worker options like the Trellis worker) on the same Temporal dev
// server. Worker RSS per parked run for each, then every run resumed (approval through the API /
// the update) and the time until all have completed. Then a second stack whose worker has a memory
// budget (--max-old-space-size, from which the SDK sizes its workflow cache) holds many more
// parked runs: its RSS is sampled throughout, and all are resumed (evicted ones by replay).
//   node tests/bench/parked.bench.ts [parked=1000] [large=10000] [budgetMb=1024]
// large=0 skips the second part. Runs are spread over teams on the enterprise plan (a waiting run
// holds one of the team's concurrent-run slots).
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { startFloor } from './floor-process.ts';
import { decideUpdate } from './floor-workflows.ts';
import { log } from './harness.ts';
import { mib, rssBytes, treeRssBytes } from './proc.ts';
import { APPROVAL_GRAPH, benchTeam, startTrellisStack, type BenchTeam, type TrellisStack } from './stack.ts';

const PARKED = Number(process.argv[2] ?? 1_000);
const LARGE = Number(process.argv[3] ?? 10_000);
const BUDGET_MB = Number(process.argv[4] ?? 1_024);
const PER_TEAM = 150;
const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'timed_out']);
const wallStart = performance.now();

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<unknown>) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}
const until = async (what: string, probe: () => Promise<boolean>, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

interface Parked { team: BenchTeam; runId: string }

/**
 * Parked: past its first workflow task, with neither a workflow task nor an activity pending — it
 * waits for something from outside. Read from the server alone, so checking replays nothing.
 */
async function isParked(client: Client, workflowId: string): Promise<boolean> {
  // A run still queued (admission queue) has no workflow yet.
  const described = await client.workflow.getHandle(workflowId).describe().catch((error: unknown) => {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  });
  if (!described) return false;
  return described.status.name === 'RUNNING' && described.historyLength > 3 && !described.raw.pendingWorkflowTask && (described.raw.pendingActivities?.length ?? 0) === 0;
}

/** Starts `count` approval runs through the API over enough teams, and waits until each is parked. */
async function parkTrellis(stack: TrellisStack, client: Client, count: number, onProgress?: () => void): Promise<{ runs: Parked[]; teams: BenchTeam[]; seconds: number }> {
  const teams: BenchTeam[] = [];
  const workflows = new Map<BenchTeam, string>();
  for (let i = 0; i < Math.ceil(count / PER_TEAM); i++) {
    const team = await benchTeam(stack, `parked-${i}`, 'enterprise');
    teams.push(team);
    workflows.set(team, await team.workflow(APPROVAL_GRAPH));
  }
  const started = performance.now();
  const runs: Parked[] = [];
  await inBatches(Array.from({ length: count }, (_, n) => n), 20, async (n) => {
    const team = teams[Math.floor(n / PER_TEAM)] as BenchTeam;
    const { body } = await team.call<{ runId: string }>('POST', `/api/v1/teams/${team.teamId}/workflows/${workflows.get(team)}/runs`, { input: { id: `r${n}` } }, 202);
    runs.push({ team, runId: body.runId });
    onProgress?.();
  });
  await inBatches(runs, 50, ({ runId }) => until(`run ${runId} parks`, () => (onProgress?.(), isParked(client, runId)), 1_800_000));
  return { runs, teams, seconds: (performance.now() - started) / 1000 };
}

async function resumeTrellis(stack: TrellisStack, parked: { runs: Parked[]; teams: BenchTeam[] }, onProgress?: () => void): Promise<{ seconds: number; counts: Record<string, number>; retried: Record<string, number> }> {
  const started = performance.now();
  // An approval refused with a 5xx (e.g. Temporal's "Workflow Task in failed state" while the
  // worker is overloaded) is retried, as a person would, and counted.
  const retried: Record<string, number> = {};
  await inBatches(parked.runs, 50, async ({ team, runId }) => {
    for (let attempt = 1; ; attempt++) {
      const { status, body } = await team.call('POST', `/api/v1/teams/${team.teamId}/runs/${runId}/approvals/review`, { decision: 'approve' });
      if (status === 200) break;
      if (status < 500 || attempt === 10) throw new Error(`approving ${runId}: ${status} ${JSON.stringify(body)}`);
      retried[status] = (retried[status] ?? 0) + 1;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    onProgress?.();
  });
  const ids = parked.teams.map((t) => t.teamId);
  let counts: Record<string, number> = {};
  await until('every resumed run ends', async () => {
    onProgress?.();
    counts = await stack.runCounts(ids);
    return Object.keys(counts).every((s) => FINAL.has(s));
  }, 3_600_000);
  return { seconds: (performance.now() - started) / 1000, counts, retried };
}

// Part 1: 1,000 + 1,000 side by side ------------------------------------------------------------
{
  const stack = await startTrellisStack();
  const floor = await startFloor(stack.dir, stack.temporalAddress);
  const client = new Client({ connection: await Connection.connect({ address: stack.temporalAddress }), namespace: 'default' });
  try {
    // Warm up both workers (bundles built, caches primed) with a few runs each, resumed to the end.
    const warm = await parkTrellis(stack, client, 5);
    await resumeTrellis(stack, warm);
    await inBatches(Array.from({ length: 5 }, (_, n) => `warm-${n}`), 5, async (id) => {
      const handle = await client.workflow.start('parked', { taskQueue: floor.taskQueue, workflowId: id, args: [id] });
      await handle.executeUpdate(decideUpdate, { args: ['approve'] });
      await handle.result();
    });
    await new Promise((r) => setTimeout(r, 5_000)); // let both settle after the warm-up
    const before = { trellis: rssBytes(stack.pids.worker as number), bare: rssBytes(floor.pid) };
    log(`parked: ${PARKED} Trellis runs (transform → approval → output, started through the API) beside ${PARKED} hand-written workflows parked on an update; ${stack.label}`);
    log(`worker RSS before: Trellis ${mib(before.trellis)}, hand-written ${mib(before.bare)}`);

    const trellis = await parkTrellis(stack, client, PARKED);
    const bareStart = performance.now();
    const bareIds = Array.from({ length: PARKED }, (_, n) => `parked-${n}`);
    await inBatches(bareIds, 50, (id) => client.workflow.start('parked', { taskQueue: floor.taskQueue, workflowId: id, args: [id] }));
    await inBatches(bareIds, 50, (id) => until(`${id} parks`, () => isParked(client, id), 600_000));
    const bareSeconds = (performance.now() - bareStart) / 1000;
    await new Promise((r) => setTimeout(r, 5_000));
    const during = { trellis: rssBytes(stack.pids.worker as number), bare: rssBytes(floor.pid) };
    const per = { trellis: (during.trellis - before.trellis) / PARKED, bare: (during.bare - before.bare) / PARKED };
    log(`all parked: Trellis in ${trellis.seconds.toFixed(1)} s, RSS ${mib(during.trellis)} (+${mib(during.trellis - before.trellis)}, ${(per.trellis / 1024).toFixed(0)} KiB per parked run); hand-written in ${bareSeconds.toFixed(1)} s, RSS ${mib(during.bare)} (+${mib(during.bare - before.bare)}, ${(per.bare / 1024).toFixed(0)} KiB per parked workflow)`);
    log(`Trellis ÷ hand-written memory per parked run: ${(per.trellis / per.bare).toFixed(1)}× (target ≤ 2×)`);

    const resumed = await resumeTrellis(stack, trellis);
    log(`Trellis: all ${PARKED} approved through the API and ended in ${resumed.seconds.toFixed(1)} s (${(PARKED / resumed.seconds).toFixed(0)} runs/s; target ≤ 20 s): ${JSON.stringify(resumed.counts)}; approvals retried after a 5xx: ${JSON.stringify(resumed.retried)}`);
    const bareResume = performance.now();
    await inBatches(bareIds, 50, (id) => client.workflow.getHandle(id).executeUpdate(decideUpdate, { args: ['approve'] }));
    await inBatches(bareIds, 100, (id) => client.workflow.getHandle(id).result());
    const bareResumeSeconds = (performance.now() - bareResume) / 1000;
    log(`hand-written: all ${PARKED} updated and completed in ${bareResumeSeconds.toFixed(1)} s (${(PARKED / bareResumeSeconds).toFixed(0)} runs/s)`);
  } finally {
    await client.connection.close();
    await floor.stop();
    await stack.stop();
  }
}

// Part 2: many parked runs inside a memory budget -------------------------------------------------
if (LARGE > 0) {
  const stack = await startTrellisStack({ workerHeapMb: BUDGET_MB });
  const client = new Client({ connection: await Connection.connect({ address: stack.temporalAddress }), namespace: 'default' });
  let peak = 0;
  const sample = () => {
    try {
      peak = Math.max(peak, treeRssBytes(stack.pids.worker as number));
    } catch { /* the worker is gone: reported below */ }
  };
  const sampler = setInterval(sample, 500);
  try {
    const cache = Math.max(Math.floor((Math.max(BUDGET_MB - 200, 0) * 600) / 1024), 10);
    log(`parked at scale: ${LARGE} Trellis runs on a worker with --max-old-space-size=${BUDGET_MB} (the SDK's default workflow cache for that heap: ${cache} workflows)`);
    const parked = await parkTrellis(stack, client, LARGE, sample);
    log(`all ${LARGE} parked in ${parked.seconds.toFixed(0)} s; worker RSS now ${mib(rssBytes(stack.pids.worker as number))}, peak so far ${mib(peak)}`);
    const resumed = await resumeTrellis(stack, parked, sample);
    const alive = stack.pids.worker && (() => { try { return rssBytes(stack.pids.worker as number) > 0; } catch { return false; } })();
    log(`all ${LARGE} approved and ended in ${resumed.seconds.toFixed(0)} s (${(LARGE / resumed.seconds).toFixed(0)} runs/s): ${JSON.stringify(resumed.counts)}, approvals retried after a 5xx: ${JSON.stringify(resumed.retried)}; worker RSS peak ${mib(peak)} against a ${BUDGET_MB} MiB heap budget; worker ${alive ? 'still running' : 'GONE'}`);
  } finally {
    clearInterval(sampler);
    await client.connection.close();
    await stack.stop();
  }
}
log(`wall time ${((performance.now() - wallStart) / 1000).toFixed(0)} s`);
