// Fair shares across teams: team A floods its webhook with 2,000 deliveries (all accepted, most of
// them queued behind A's concurrent-run limit), then team B sends one; how long until B's run is
// dispatched, its first node starts and it completes — against the same single run on the idle
// stack first. Whole stack in separate processes, both teams on the enterprise plan.
//   node tests/bench/fairness.bench.ts [floodRuns=2000] [connections=50]
import { log } from './harness.ts';
import { load } from './load.ts';
import { benchTeam, orderBody, signBody, startTrellisStack, SUM_GRAPH, type BenchTeam } from './stack.ts';

const FLOOD = Number(process.argv[2] ?? 2_000);
const CONNECTIONS = Number(process.argv[3] ?? 50);
const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'timed_out']);
const wallStart = performance.now();

interface RunDetail { status: string; nodes?: Record<string, { startedAt?: string }> }

/** One delivery to B's webhook: ms from sending it until the run left `queued`, its first node started, it ended. */
async function timeOneRun(team: BenchTeam, hook: { url: string; secret: string }) {
  const body = orderBody();
  const sent = Date.now();
  const response = await fetch(hook.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-trellis-signature': signBody(hook.secret, body) }, body });
  const answer = (await response.json()) as { runId?: string };
  if (response.status !== 202 || !answer.runId) throw new Error(`B's delivery: ${response.status} ${JSON.stringify(answer)}`);
  const accepted = Date.now() - sent;
  let dispatched: number | undefined;
  let detail: RunDetail | undefined;
  for (const deadline = Date.now() + 600_000; Date.now() < deadline;) {
    const { status, body: run } = await team.call<RunDetail>('GET', `/api/v1/teams/${team.teamId}/runs/${answer.runId}`);
    if (status === 200) {
      detail = run;
      if (dispatched === undefined && run.status !== 'queued') dispatched = Date.now() - sent;
      if (FINAL.has(run.status)) break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const ended = Date.now() - sent;
  const firstNode = detail?.nodes?.shape?.startedAt ? Date.parse(detail.nodes.shape.startedAt) - sent : undefined;
  return { status: detail?.status, accepted, dispatched, firstNode, ended };
}

const describeRun = (r: Awaited<ReturnType<typeof timeOneRun>>) =>
  `202 after ${r.accepted} ms, out of the queue ≤ ${r.dispatched ?? '?'} ms, first node started ${r.firstNode ?? '?'} ms, ${r.status} ≤ ${r.ended} ms after sending`;

const stack = await startTrellisStack();
try {
  const [a, b] = [await benchTeam(stack, 'team-a', 'enterprise'), await benchTeam(stack, 'team-b', 'enterprise')];
  const [hookA, hookB] = [await a.webhook(await a.workflow(SUM_GRAPH)), await b.webhook(await b.workflow(SUM_GRAPH))];
  // Warm up end to end (the worker builds its bundle after it starts) and time B on the idle stack.
  for (const [team, hook] of [[a, hookA], [b, hookB]] as const) await timeOneRun(team, hook);
  log(`fairness: ${stack.label}; teams A and B on the enterprise plan`);
  log(`team B's one run on the idle stack: ${describeRun(await timeOneRun(b, hookB))}`);

  const headersA = (body: string) => ({ 'x-trellis-signature': signBody(hookA.secret, body) });
  const flood = await load({ url: hookA.url, connections: CONNECTIONS, amount: FLOOD, body: orderBody, headers: headersA, check: (s) => s === 202 });
  const queue = await stack.runCounts([a.teamId]);
  log(`team A: ${flood.ok} of ${FLOOD} deliveries accepted in ${flood.seconds.toFixed(1)} s (${JSON.stringify(flood.statusCodes)}); A's runs right after: ${JSON.stringify(queue)}`);
  const timed = await timeOneRun(b, hookB);
  log(`team B's one run behind A's ${(queue.queued ?? 0) + (queue.running ?? 0)} queued or running: ${describeRun(timed)} (target: starts within 1 s)`);
  // Let A's runs drain so the stack stops clean, and say how long that took.
  const drainStart = performance.now();
  for (;;) {
    const counts = await stack.runCounts([a.teamId]);
    if (Object.keys(counts).every((s) => FINAL.has(s)) || performance.now() - drainStart > 900_000) {
      log(`team A drained ${((performance.now() - drainStart) / 1000).toFixed(0)} s later: ${JSON.stringify(counts)}`);
      break;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  log(`wall time ${((performance.now() - wallStart) / 1000).toFixed(0)} s; logs in ${stack.dir}`);
} finally {
  await stack.stop();
}
