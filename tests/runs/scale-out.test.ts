// The admission queue scales out (issue 12, docs/decisions/028-admission-queue.md): two api
// processes and two worker processes (four dispatchers) against the suite's one Temporal server,
// one Redis and one PostgreSQL app database. Team A (free plan: 2 concurrent runs) floods both api
// replicas with starts; team B sends one start behind A's backlog. No run is dispatched twice (each
// run's workflow has exactly one execution), A never holds more than its plan's slots, B's run
// leaves the queue while A's backlog is still queued, and every run succeeds.
import { Client, Connection } from '@temporalio/client';
import { PLANS } from '../../core/plans.ts';
import { FINAL_STATUSES as FINAL, freeTeamWithWorkflow, processStack, until, type ProcessStack } from '../support/processes.ts';
import { testEnv } from '../support/env.ts';

const A_RUNS = 24;
// Each run holds its slot for a moment, so A's backlog drains over several seconds.
const GRAPH = {
  nodes: [
    { id: 'pause', type: 'delay', config: { duration: '1s' } },
    { id: 'done', type: 'output', config: { value: '{{ input.n }}' } },
  ],
  edges: [{ from: 'pause', to: 'done' }],
};

interface RunRow { id: string; team_id: string; status: string; dispatched_at: Date | string | null; ended_at: Date | string | null }

let stack: ProcessStack;
let temporal: { connection: Connection; client: Client };
const apiBases: string[] = [];

const rows = (teamId: string) =>
  stack.orm.em.fork().getConnection().execute('select id, team_id, status, dispatched_at, ended_at from run where team_id = ?', [teamId]) as Promise<RunRow[]>;
const ms = (value: Date | string | null) => (value === null ? null : new Date(value).getTime());

beforeAll(async () => {
  stack = await processStack('scale-out');
  const [api1, api2] = await Promise.all([stack.startApi('api1'), stack.startApi('api2'), stack.startWorker('worker1'), stack.startWorker('worker2')]);
  apiBases.push(api1.base, api2.base);
  const connection = await Connection.connect({ address: testEnv.temporalAddress });
  temporal = { connection, client: new Client({ connection }) };
}, 180_000);

afterAll(async () => {
  await stack?.stopAll();
  await temporal?.connection.close();
}, 60_000);

/** A signed-in team of its own, and a start against one of the api replicas. */
async function team(name: string) {
  const { teamId, workflowId, call } = await freeTeamWithWorkflow(stack, apiBases[0] as string, `scale ${name}`.replace(' ', '-'), GRAPH);
  return {
    teamId,
    async start(replica: number, n: number): Promise<string> {
      const started = await call(apiBases[replica] as string, 'POST', `/api/v1/teams/${teamId}/workflows/${workflowId}/runs`, { input: { n } });
      expect(started.status).toBe(202);
      return started.body.runId as string;
    },
  };
}

it('two api replicas and two workers: no run starts twice, the plan holds, and another team is not held up', async () => {
  const allowed = PLANS.free.concurrentRuns as number;
  const [a, b] = [await team('a'), await team('b')];

  // Sample A's slots continuously while the backlog drains.
  let maxActive = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const active = (await rows(a.teamId)).filter((r) => r.status === 'running' || r.status === 'waiting').length;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  // A's starts alternate between the two replicas, sent concurrently.
  const aRuns = await Promise.all(Array.from({ length: A_RUNS }, (_, n) => a.start(n % 2, n)));
  const queuedBehind = (await rows(a.teamId)).filter((r) => r.status === 'queued').length;
  expect(queuedBehind).toBeGreaterThan(A_RUNS / 2);
  const bRun = await b.start(1, 0);

  const ended = (teamId: string, count: number) =>
    until(`${count} runs of ${teamId} ended`, () => rows(teamId), (list) => list.length === count && list.every((r) => FINAL.includes(r.status)), 150_000);
  const [aRows, bRows] = await Promise.all([ended(a.teamId, A_RUNS), ended(b.teamId, 1)]);
  sampling = false;
  await sampler;

  // (4) every run completed.
  expect(aRows.map((r) => r.status)).toEqual(Array(A_RUNS).fill('succeeded'));
  expect(bRows.map((r) => [r.id, r.status])).toEqual([[bRun, 'succeeded']]);
  expect(new Set(aRows.map((r) => r.id))).toEqual(new Set(aRuns));

  // (1) A never held more than its plan's slots: sampled, and exactly from the rows' intervals
  // (a slot is held from the claim, dispatchedAt, until the final state is written).
  expect(maxActive).toBeLessThanOrEqual(allowed);
  const intervals = aRows.map((r) => ({ from: ms(r.dispatched_at) as number, to: ms(r.ended_at) as number }));
  expect(intervals.every((i) => i.from !== null && i.to !== null && i.from <= i.to)).toBe(true);
  const overlapAt = (t: number) => intervals.filter((i) => i.from <= t && t < i.to).length;
  const peak = Math.max(...intervals.map((i) => overlapAt(i.from)));
  expect(peak).toBeLessThanOrEqual(allowed);
  // The slots were used: the runs did overlap (the limit, not a single dispatcher, paced them).
  expect(Math.max(maxActive, peak)).toBe(allowed);

  // (3) fair share: B's run left the queue while A still had runs waiting behind the plan.
  const bDispatched = ms(bRows[0]!.dispatched_at) as number;
  const aAfterB = intervals.filter((i) => i.from > bDispatched).length;
  expect(aAfterB).toBeGreaterThanOrEqual(Math.floor(queuedBehind / 2));

  // (2) every run ran exactly once: one execution per workflow id (workflow id = run id), closed.
  const workerIdentities = new Set<string>();
  for (const runId of [...aRuns, bRun]) {
    // Visibility catches up with the closed execution shortly after it closes.
    const executions = await until(`run ${runId} closed in visibility`, async () => {
      const found = [];
      for await (const execution of temporal.client.workflow.list({ query: `WorkflowId = '${runId}'` })) found.push(execution);
      return found;
    }, (found) => found.length > 0 && found.every((e) => e.status.name !== 'RUNNING'), 30_000);
    expect({ runId, executions: executions.map((e) => e.status.name) }).toEqual({ runId, executions: ['COMPLETED'] });
    const history = await temporal.client.workflow.getHandle(runId).fetchHistory();
    for (const event of history.events ?? []) {
      const identity = event.workflowTaskCompletedEventAttributes?.identity;
      if (identity) workerIdentities.add(identity);
    }
  }
  // Both worker processes took part.
  expect(workerIdentities.size).toBe(2);
}, 240_000);
