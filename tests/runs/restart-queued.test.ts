// Queued runs survive a SIGKILL of every process (issue 12, docs/decisions/028-admission-queue.md):
// one api and one worker process; a free-plan team (2 concurrent runs) whose workflow parks on
// an approval fills its slots with two priority-5 runs and queues six more (four at priority 3,
// then two at priority 1). Both processes are killed with SIGKILL and new ones started on the same
// database, Redis, Temporal and task queue; the waiting runs are approved one by one through the
// new api, with a second SIGKILL of both right after one approval (its end, the kick and the next
// claim cut short wherever they were). Every queued run starts exactly once (one Temporal
// execution per run), they leave the queue by priority and then by age, none is lost (all eight
// succeed), and the team never holds more than its two slots.
import { Client, Connection } from '@temporalio/client';
import { PLANS } from '../../core/plans.ts';
import { testEnv } from '../support/env.ts';
import { freeTeamWithWorkflow, kill, processStack, until, type CallApi, type ProcessStack } from '../support/processes.ts';

const HOLD = { nodes: [{ id: 'ask', type: 'approval', config: { message: 'hold' } }] };

interface RunRow { id: string; status: string; priority: number; dispatched_at: Date | string | null; ended_at: Date | string | null }

let stack: ProcessStack;
let temporal: { connection: Connection; client: Client };

const rows = (teamId: string) =>
  stack.orm.em.fork().getConnection().execute('select id, status, priority, dispatched_at, ended_at from run where team_id = ?', [teamId]) as Promise<RunRow[]>;
const ms = (value: Date | string | null) => (value === null ? null : new Date(value).getTime());
const isActive = (r: RunRow) => r.status === 'running' || r.status === 'waiting';

beforeAll(async () => {
  // Frequent reconciler passes with a short grace: a claimed run whose workflow seemed missing
  // would be relaunched within seconds, so a double start would show in this test.
  stack = await processStack('restart-queued', { TRELLIS_RECONCILE_INTERVAL_SECONDS: '1', TRELLIS_RECONCILE_GRACE_SECONDS: '2' });
  const connection = await Connection.connect({ address: testEnv.temporalAddress });
  temporal = { connection, client: new Client({ connection }) };
}, 180_000);

afterAll(async () => {
  await stack?.stopAll();
  await temporal?.connection.close();
}, 60_000);

it('SIGKILL of the api and the worker loses no queued run, starts none twice, and keeps priority order', async () => {
  const allowed = PLANS.free.concurrentRuns as number;
  expect(allowed).toBe(2);
  const [first] = await Promise.all([stack.startApi('api1'), stack.startWorker('worker1')]);
  let api = first.base;
  const { teamId, workflowId, call } = await freeTeamWithWorkflow(stack, api, 'restart', HOLD);
  const status = (c: CallApi, runId: string) => c(api, 'GET', `/api/v1/teams/${teamId}/runs/${runId}`).then((r) => r.body?.status as string | undefined);
  const start = async (priority: number) => {
    const started = await call(api, 'POST', `/api/v1/teams/${teamId}/workflows/${workflowId}/runs`, { priority });
    expect(started.status).toBe(202);
    return started.body as { runId: string; status: string };
  };

  // Sample the team's slots from the rows the whole time, across the restart.
  let maxActive = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      maxActive = Math.max(maxActive, (await rows(teamId)).filter(isActive).length);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  // Two priority-5 runs take the slots and park; only then the others queue behind them.
  const low = [(await start(5)).runId, (await start(5)).runId];
  for (const runId of low) await until(`run ${runId} waiting`, () => status(call, runId), (s) => s === 'waiting', 60_000);
  const queued: { runId: string; priority: number }[] = [];
  for (const priority of [3, 3, 3, 3, 1, 1]) {
    const started = await start(priority);
    expect(started.status).toBe('queued');
    queued.push({ runId: started.runId, priority });
  }
  const before = await rows(teamId);
  expect(before.filter((r) => r.status === 'queued').map((r) => r.id).sort()).toEqual(queued.map((q) => q.runId).sort());

  // Every process of the stack killed at once, then new ones on the same database, Redis and task queue.
  let generation = 1;
  const restart = async () => {
    await Promise.all(stack.processes.map(kill));
    generation += 1;
    const [next] = await Promise.all([stack.startApi(`api${generation}`), stack.startWorker(`worker${generation}`)]);
    api = next.base;
  };
  await restart();
  const afterRestart = await rows(teamId);
  expect(afterRestart.filter((r) => r.status === 'queued')).toHaveLength(queued.length);

  // Approve the waiting runs one by one (oldest claim first); each end lets exactly one queued run in.
  const approved: string[] = [];
  while (approved.length < low.length + queued.length) {
    const remaining = low.length + queued.length - approved.length;
    const claimed = await until(
      'the next runs claimed and parked',
      async () => {
        const active = (await rows(teamId)).filter((r) => isActive(r) && !approved.includes(r.id));
        const statuses = await Promise.all(active.map((r) => status(call, r.id)));
        return active.map((r, i) => ({ id: r.id, dispatchedAt: ms(r.dispatched_at) as number, status: statuses[i] }));
      },
      (active) => active.length === Math.min(allowed, remaining) && active.every((r) => r.status === 'waiting'),
      60_000,
    );
    const next = claimed.sort((x, y) => x.dispatchedAt - y.dispatchedAt)[0]!;
    const decided = await call(api, 'POST', `/api/v1/teams/${teamId}/runs/${next.id}/approvals/ask`, { decision: 'approve' });
    expect({ runId: next.id, status: decided.status }).toEqual({ runId: next.id, status: 200 });
    // Once more, right after an approval: the run's end, its kick and the next claim may each be
    // cut short; whatever was in flight must neither be lost nor start twice.
    if (approved.length === low.length) await restart();
    await until(`run ${next.id} succeeded`, () => status(call, next.id), (s) => s === 'succeeded', 60_000);
    approved.push(next.id);
  }
  sampling = false;
  await sampler;

  // None lost: all eight runs succeeded.
  const final = await rows(teamId);
  expect(final.map((r) => r.status)).toEqual(Array(8).fill('succeeded'));
  expect(new Set(final.map((r) => r.id))).toEqual(new Set([...low, ...queued.map((q) => q.runId)]));

  // They left the queue by priority (1 before 3), first come first served within one.
  const byClaim = final.filter((r) => !low.includes(r.id)).sort((x, y) => (ms(x.dispatched_at) as number) - (ms(y.dispatched_at) as number));
  const expected = [...queued.filter((q) => q.priority === 1), ...queued.filter((q) => q.priority === 3)].map((q) => q.runId);
  expect(byClaim.map((r) => r.id)).toEqual(expected);

  // The plan held: sampled, and exactly from the rows' slot intervals (claim to final state).
  expect(maxActive).toBeLessThanOrEqual(allowed);
  const intervals = final.map((r) => ({ from: ms(r.dispatched_at) as number, to: ms(r.ended_at) as number }));
  expect(intervals.every((i) => i.from !== null && i.to !== null && i.from <= i.to)).toBe(true);
  const peak = Math.max(...intervals.map((i) => intervals.filter((j) => j.from <= i.from && i.from < j.to).length));
  expect(peak).toBeLessThanOrEqual(allowed);

  // Each run started exactly once: one execution per workflow id (workflow id = run id), completed.
  for (const runId of [...low, ...queued.map((q) => q.runId)]) {
    // Visibility catches up with the closed execution shortly after it closes.
    const executions = await until(`run ${runId} closed in visibility`, async () => {
      const found = [];
      for await (const execution of temporal.client.workflow.list({ query: `WorkflowId = '${runId}'` })) found.push(execution.status.name);
      return found;
    }, (found) => found.length > 0 && found.every((name) => name !== 'RUNNING'), 30_000);
    expect({ runId, executions }).toEqual({ runId, executions: ['COMPLETED'] });
  }
}, 240_000);
