// The interpreter on the real Temporal dev server with a real worker: scheduling semantics,
// human input, cancellation, map/subworkflow, continue-as-new and large outputs.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { createOrm, migrate, type Orm } from '../../core/db/orm.ts';
import { RunRecord } from '../../core/runs/entities.ts';
import { WorkflowDefinition, WorkflowVersion } from '../../core/workflows/entities.ts';
import { startRun, type RunRequest } from '../../core/runs/start-run.ts';
import { createTemporalClient } from '../../core/temporal.ts';
import { Graph } from '../../workflows/graph/schema.ts';
import type { RunState } from '../../workflows/interpreter/state.ts';
import { cancelNode, getRunState, type DecideInput } from '../../workflows/messages.ts';
import type { RunGraphResult } from '../../workflows/run-graph.ts';
import { tempDir, testEnv } from '../support/env.ts';
import { recordHistory } from '../support/histories.ts';
import { startTestWorker } from '../support/worker.ts';
import { decideOn } from '../support/decide.ts';

let orm: Orm;
let client: Client;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
const THRESHOLD = 2_048;

beforeAll(async () => {
  orm = await createOrm(`sqlite:${join(tempDir('db'), 'app.sqlite')}`);
  await migrate(orm);
  client = await createTemporalClient({ address: testEnv.temporalAddress, namespace: 'default' });
  worker = await startTestWorker({ address: testEnv.temporalAddress, orm, blobThresholdBytes: THRESHOLD });
});

afterAll(async () => {
  await worker.stop();
  await client.connection.close();
  await orm.close();
});

async function start(graph: unknown, input: unknown = {}, extra: Partial<RunRequest> = {}): Promise<WorkflowHandle> {
  const { runId } = await startRun(
    client,
    { taskQueue: worker.taskQueue, blobThresholdBytes: THRESHOLD, maxConcurrency: 10 },
    { graph: Graph.parse(graph), version: 1, input, teamId: 'team_1', workflowId: 'wf_1', trigger: 'api', ...extra },
  );
  return client.workflow.getHandle(runId);
}

async function finish(graph: unknown, input: unknown = {}, extra: Partial<RunRequest> = {}) {
  const handle = await start(graph, input, extra);
  const result = (await handle.result()) as RunGraphResult;
  const state = await handle.query(getRunState);
  return { handle, result, state };
}

async function failure(handle: WorkflowHandle): Promise<{ message: string; state: RunState }> {
  const error = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  return { message: String((error as WorkflowFailedError).cause?.message), state: await handle.query(getRunState) };
}

async function until(handle: WorkflowHandle, check: (state: RunState) => boolean): Promise<RunState> {
  for (let i = 0; i < 200; i++) {
    const state = await handle.query(getRunState);
    if (check(state)) return state;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition not reached; last state ${JSON.stringify(await handle.query(getRunState))}`);
}

const t = (id: string, expression: string, extra: object = {}) => ({ id, type: 'transform', config: { expression }, ...extra });
const out = (id: string, value: unknown) => ({ id, type: 'output', config: { value } });

describe('runGraph', () => {
  it('runs independent branches at the same time and joins them with merge', async () => {
    const { result, state, handle } = await finish({
      nodes: [t('a', '1'), { id: 'b', type: 'delay', config: { duration: '1s' } }, { id: 'c', type: 'delay', config: { duration: '1s' } }, { id: 'm', type: 'merge', config: { mode: 'all' } }, out('o', '{{ $keys(steps.m.output) }}')],
      edges: [{ from: 'a', to: 'b' }, { from: 'a', to: 'c' }, { from: 'b', to: 'm' }, { from: 'c', to: 'm' }, { from: 'm', to: 'o' }],
    });
    expect(result).toEqual({ status: 'succeeded', output: ['b', 'c'] });
    await recordHistory(handle, 'parallel-merge');
    const [b, c] = [state.nodes.b!, state.nodes.c!];
    // Overlapping lifetimes: each started before the other ended.
    expect(b.startedAt! < c.endedAt!).toBe(true);
    expect(c.startedAt! < b.endedAt!).toBe(true);
    expect(Object.values(state.nodes).every((n) => n.status === 'succeeded')).toBe(true);
  });

  it('skips the branch not taken, and propagates the skip to nodes whose inputs are all skipped', async () => {
    const { result, state } = await finish(
      {
        nodes: [
          { id: 'check', type: 'condition', config: { expression: 'input.n > 10' } },
          t('big', '"big"'), t('big2', 'steps.big.output & "!"'), t('small', '"small"'),
          { id: 'join', type: 'merge', config: { mode: 'all' } },
          out('o', '{{ steps.join.output }}'),
        ],
        edges: [
          { from: 'check', port: 'true', to: 'big' }, { from: 'big', to: 'big2' }, { from: 'check', port: 'false', to: 'small' },
          { from: 'big2', to: 'join' }, { from: 'small', to: 'join' }, { from: 'join', to: 'o' },
        ],
      },
      { n: 3 },
    );
    expect(result.output).toEqual({ small: 'small' });
    expect(state.nodes.check).toMatchObject({ status: 'succeeded', output: false, ports: ['false'] });
    expect(state.nodes.big!.status).toBe('skipped');
    expect(state.nodes.big2!.status).toBe('skipped');
    expect(state.nodes.join!.status).toBe('succeeded');
  });

  it('switch takes the first matching case, or default', async () => {
    const graph = {
      nodes: [
        { id: 'route', type: 'switch', config: { cases: [{ port: 'low', expression: 'input.n < 5' }, { port: 'mid', expression: 'input.n < 50' }] } },
        out('low', 'low'), out('mid', 'mid'), out('other', 'other'),
      ],
      edges: [{ from: 'route', port: 'low', to: 'low' }, { from: 'route', port: 'mid', to: 'mid' }, { from: 'route', port: 'default', to: 'other' }],
    };
    expect((await finish(graph, { n: 20 })).result.output).toBe('mid');
    expect((await finish(graph, { n: 99 })).result.output).toBe('other');
  });

  it('merge "any" goes on with the first branch', async () => {
    const { result, state } = await finish({
      nodes: [t('fast', '"fast"'), { id: 'slow', type: 'delay', config: { duration: '2s' } }, { id: 'm', type: 'merge', config: { mode: 'any' } }, out('o', '{{ steps.m.output }}')],
      edges: [{ from: 'fast', to: 'm' }, { from: 'slow', to: 'm' }, { from: 'm', to: 'o' }],
    });
    expect(result.output).toEqual({ fast: 'fast' });
    expect(state.nodes.m!.endedAt! < state.nodes.slow!.endedAt!).toBe(true);
  });

  it('fails the run when a node fails, cancelling the sibling branches', async () => {
    const handle = await start({
      nodes: [{ id: 'wait', type: 'delay', config: { duration: '1h' } }, t('bad', 'input.missing.path'), out('o', 'never')],
      edges: [{ from: 'bad', to: 'o' }],
    });
    const { message, state } = await failure(handle);
    expect(message).toContain('node "bad" failed');
    expect(message).toContain('input.missing.path');
    expect(state.status).toBe('failed');
    expect(state.nodes.bad).toMatchObject({ status: 'failed', error: { kind: 'user' } });
    expect(state.nodes.wait).toMatchObject({ status: 'cancelled', error: { message: 'cancelled because node "bad" failed' } });
    expect(state.nodes.o!.status).toBe('skipped');
    expect((await handle.describe()).status.name).toBe('FAILED');
    await recordHistory(handle, 'fail-fast');
  });

  it('onError "continue" goes on with the error as output; "route" takes the error port', async () => {
    const { result, state } = await finish({
      nodes: [
        t('soft', 'input.nope', { onError: 'continue' }), t('after', '"went on: " & steps.soft.output.error.kind'),
        t('routed', 'input.nope', { onError: 'route' }), t('handler', '"handled"'), t('happy', '"happy"'),
        { id: 'm', type: 'merge', config: { mode: 'all' } }, out('o', '{{ steps.m.output }}'),
      ],
      edges: [
        { from: 'soft', to: 'after' }, { from: 'routed', port: 'error', to: 'handler' }, { from: 'routed', to: 'happy' },
        { from: 'after', to: 'm' }, { from: 'handler', to: 'm' }, { from: 'happy', to: 'm' }, { from: 'm', to: 'o' },
      ],
    });
    expect(result.output).toEqual({ after: 'went on: user', handler: 'handled' });
    expect(state.nodes.soft!.status).toBe('failed');
    expect(state.nodes.routed).toMatchObject({ status: 'failed', ports: ['error'] });
    expect(state.nodes.happy!.status).toBe('skipped');
  });

  describe('approval', () => {
    const graph = {
      nodes: [
        { id: 'review', type: 'approval', config: { message: 'Publish {{ input.title }}?', form: [{ name: 'note', type: 'string', required: true }] } },
        out('yes', '{{ "approved by " & steps.review.output.actor & ": " & steps.review.output.data.note }}'),
        out('no', 'rejected'),
      ],
      edges: [{ from: 'review', port: 'approved', to: 'yes' }, { from: 'review', port: 'rejected', to: 'no' }],
    };

    it('waits, refuses invalid decisions without a trace, and resumes on a valid one', async () => {
      const handle = await start(graph, { title: 'Post' });
      const waiting = await until(handle, (s) => s.nodes.review?.status === 'waiting');
      expect(waiting.status).toBe('waiting');
      expect(waiting.nodes.review!.waiting).toMatchObject({ message: 'Publish Post?' });

      const refusal = async (input: DecideInput) => {
        const error = await decideOn(handle, input).then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
        return String((error as WorkflowUpdateFailedError).cause?.message);
      };
      expect(await refusal({ nodeId: 'review', decision: 'approve', data: {}, actor: 'u1' })).toBe('the form data is invalid: note is required');
      expect(await refusal({ nodeId: 'review', decision: 'approve', data: { note: 5 }, actor: 'u1' })).toBe('the form data is invalid: note must be a string');
      expect(await refusal({ nodeId: 'yes', decision: 'approve', actor: 'u1' })).toBe('node "yes" is not an approval node');
      const historyBefore = (await handle.fetchHistory()).events?.length;

      const answer = await decideOn(handle, { nodeId: 'review', decision: 'approve', data: { note: 'ship it' }, actor: 'u1' });
      expect(answer).toMatchObject({ nodeId: 'review', decision: 'approve' });
      expect((await handle.result()).output).toBe('approved by u1: ship it');
      // The two refused updates wrote nothing: the history before the valid one had no update events.
      const events = (await handle.fetchHistory()).events ?? [];
      const accepted = events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
      expect(accepted.length).toBe(1); // only the valid update reached history
      expect(events.some((e) => e.workflowExecutionUpdateCompletedEventAttributes)).toBe(true);
      expect(historyBefore).toBeLessThan(events.length);
      await recordHistory(handle, 'approval-approved');
      await expect(decideOn(handle, { nodeId: 'review', decision: 'reject', actor: 'u2' })).rejects.toThrow();
    });

    it('takes the rejected port', async () => {
      const handle = await start(graph, { title: 'Post' });
      await until(handle, (s) => s.nodes.review?.status === 'waiting');
      await decideOn(handle, { nodeId: 'review', decision: 'reject', data: { note: 'no' }, comment: 'not yet', actor: 'u2' });
      const result = (await handle.result()) as RunGraphResult;
      expect(result.output).toBe('rejected');
      const state = await handle.query(getRunState);
      expect(state.nodes.review!.output).toMatchObject({ decision: 'reject', comment: 'not yet', actor: 'u2' });
      expect(state.nodes.yes!.status).toBe('skipped');
    });

    it('takes the timed_out port after its timeout', async () => {
      const { result, state } = await finish({
        nodes: [{ id: 'review', type: 'approval', config: { message: 'ok?', timeout: '1s' } }, out('late', 'timed out')],
        edges: [{ from: 'review', port: 'timed_out', to: 'late' }],
      });
      expect(result.output).toBe('timed out');
      expect(state.nodes.review).toMatchObject({ status: 'succeeded', ports: ['timed_out'] });
    });

    it('cancelNode cancels a waiting node; the run goes on without it', async () => {
      const handle = await start({
        nodes: [{ id: 'review', type: 'approval', config: { message: 'ok?' } }, out('after', 'x'), t('other', '"other"'), out('o', '{{ steps.other.output }}')],
        edges: [{ from: 'review', port: 'approved', to: 'after' }, { from: 'other', to: 'o' }],
      });
      await until(handle, (s) => s.nodes.review?.status === 'waiting');
      await handle.signal(cancelNode, { nodeId: 'review' });
      const result = (await handle.result()) as RunGraphResult;
      expect(result.output).toBe('other');
      const state = await handle.query(getRunState);
      expect(state.nodes.review).toMatchObject({ status: 'cancelled', error: { kind: 'cancelled' } });
      expect(state.nodes.after!.status).toBe('skipped');
    });
  });

  it('workflow cancellation leaves every node in a final state and the run cancelled', async () => {
    const handle = await start({
      nodes: [t('a', '1'), { id: 'wait', type: 'delay', config: { duration: '1h' } }, { id: 'review', type: 'approval', config: { message: 'm' } }, out('o', 'x')],
      edges: [{ from: 'a', to: 'wait' }, { from: 'wait', to: 'o' }],
    });
    await until(handle, (s) => s.nodes.review?.status === 'waiting' && s.nodes.wait?.status === 'running');
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    const state = await handle.query(getRunState);
    expect(state.status).toBe('cancelled');
    expect(state.nodes.a!.status).toBe('succeeded');
    expect(state.nodes.wait!.status).toBe('cancelled');
    expect(state.nodes.review).toMatchObject({ status: 'cancelled', error: { kind: 'cancelled' } });
    expect(state.nodes.o!.status).toBe('cancelled');
  });

  it('a run cancelled before its first step still ends cancelled, in Temporal and in the mirror', async () => {
    // Start and cancel on a task queue no worker polls yet: the first workflow task then holds
    // both the start and the cancel request.
    const taskQueue = `late-${randomUUID()}`;
    const { runId } = await startRun(client, { taskQueue, blobThresholdBytes: THRESHOLD, maxConcurrency: 10 }, {
      graph: Graph.parse({ nodes: [{ id: 'review', type: 'approval', config: { message: 'm' } }] }),
      version: 1, input: {}, teamId: 'team_1', workflowId: 'wf_1', trigger: 'api',
    });
    const handle = client.workflow.getHandle(runId);
    await handle.cancel();
    const late = await startTestWorker({ address: testEnv.temporalAddress, orm, taskQueue });
    try {
      await expect(handle.result()).rejects.toThrow();
      expect((await handle.describe()).status.name).toBe('CANCELLED');
      const row = await orm.em.fork().findOne(RunRecord, { id: runId });
      expect(row).toMatchObject({ status: 'cancelled' });
      expect(row?.endedAt).toBeInstanceOf(Date);
    } finally {
      await late.stop();
    }
  });

  it('map runs an inline sub-graph per item, in item order', async () => {
    const { result, state, handle } = await finish(
      {
        nodes: [
          {
            id: 'each', type: 'map',
            config: { items: 'input.xs', concurrency: 2, graph: { nodes: [t('double', 'item * 2'), out('r', '{{ steps.double.output }}')], edges: [{ from: 'double', to: 'r' }] } },
          },
          out('o', '{{ steps.each.output }}'),
        ],
        edges: [{ from: 'each', to: 'o' }],
      },
      { xs: [1, 2, 3, 4, 5] },
    );
    expect(result.output).toEqual([2, 4, 6, 8, 10]);
    expect(state.nodes.each!.progress).toEqual({ done: 5, total: 5 });
    await recordHistory(handle, 'map-inline');
  });

  it('map runs child runs for arrays above the inline limit', async () => {
    const xs = Array.from({ length: 22 }, (_, i) => i);
    const { result, handle } = await finish(
      {
        nodes: [{ id: 'each', type: 'map', config: { items: 'input.xs', concurrency: 5, graph: { nodes: [out('r', '{{ item + 100 }}')], edges: [] } } }, out('o', '{{ $sum(steps.each.output) }}')],
        edges: [{ from: 'each', to: 'o' }],
      },
      { xs },
    );
    expect(result.output).toBe(xs.reduce((a, x) => a + x + 100, 0));
    const children = [];
    for await (const run of client.workflow.list({ query: `WorkflowId STARTS_WITH "${handle.workflowId}.each."` })) children.push(run.workflowId);
    expect(children.length).toBe(22);
  });

  it('subworkflow runs a saved workflow version as a child run', async () => {
    const id = `wf_${randomUUID().slice(0, 8)}`;
    const em = orm.em.fork();
    em.create(WorkflowDefinition, { id, teamId: 'team_1', name: 'child', description: null, latestVersion: 2, createdAt: new Date(), updatedAt: new Date(), deletedAt: null });
    em.create(WorkflowVersion, { workflowId: id, version: 1, graph: { nodes: [out('o', 'v1')] }, createdAt: new Date(), createdBy: null });
    em.create(WorkflowVersion, { workflowId: id, version: 2, graph: { nodes: [out('o', '{{ "v2 got " & input.x }}')] }, createdAt: new Date(), createdBy: null });
    await em.flush();
    const { result } = await finish({
      nodes: [{ id: 'sub', type: 'subworkflow', config: { workflowId: id, input: { x: '{{ input.value }}' } } }, { id: 'pinned', type: 'subworkflow', config: { workflowId: id, version: 1 } }, out('o', '{{ [steps.sub.output, steps.pinned.output] }}')],
      edges: [{ from: 'sub', to: 'o' }, { from: 'pinned', to: 'o' }],
    }, { value: 'hi' });
    expect(result.output).toEqual(['v2 got hi', 'v1']);

    const missing = await start({ nodes: [{ id: 'sub', type: 'subworkflow', config: { workflowId: 'wf_nope' } }], edges: [] });
    expect((await failure(missing)).message).toContain('workflow "wf_nope" was not found in this team');
  });

  it('continues as new on long histories, carrying node states', async () => {
    // Timers write history (nodes computed in the workflow do not): 12 short delays in a row.
    const nodes = Array.from({ length: 12 }, (_, i) => ({ id: `n${i}`, type: 'delay', config: { duration: '10ms' } }));
    const edges = nodes.slice(1).map((n, i) => ({ from: `n${i}`, to: n.id }));
    const handle = await start({ nodes: [...nodes, out('o', '{{ $count($keys(steps)) }}')], edges: [...edges, { from: 'n11', to: 'o' }] }, {}, { historyEventLimit: 20 });
    const firstRunId = (await handle.describe()).runId;
    const result = (await handle.result()) as RunGraphResult;
    expect(result.output).toBe(12); // every carried step is visible to the expression
    const last = await handle.describe();
    expect(last.runId).not.toBe(firstRunId); // at least one continue-as-new happened
    const state = await handle.query(getRunState);
    expect(Object.values(state.nodes).every((n) => n.status === 'succeeded')).toBe(true);
  });

  it('keeps large outputs out of history and reads them through an activity', async () => {
    const { result, state, handle } = await finish({
      nodes: [t('big', '$pad("", 5000, "x")'), t('size', '$length(steps.big.output)'), out('o', '{{ steps.size.output }}')],
      edges: [{ from: 'big', to: 'size' }, { from: 'size', to: 'o' }],
    });
    expect(result.output).toBe(5000);
    expect(state.nodes.big!.output).toBeUndefined();
    expect(state.nodes.big!.outputRef).toMatchObject({ $trellisRef: 'blob', bytes: 5002 });
    const history = JSON.stringify((await handle.fetchHistory()).events);
    expect(history).not.toContain('x'.repeat(3000));
    await recordHistory(handle, 'large-output');
  });

  it('rerun seeds reuse earlier outputs instead of executing those nodes again', async () => {
    const { result, state } = await finish(
      { nodes: [t('a', 'input.missing'), t('b', 'steps.a.output & "-b"'), out('o', '{{ steps.b.output }}')], edges: [{ from: 'a', to: 'b' }, { from: 'b', to: 'o' }] },
      {},
      { seed: { a: { status: 'succeeded', attempts: 1, output: 'seeded', ports: ['out'] } } },
    );
    expect(result.output).toBe('seeded-b');
    expect(state.nodes.a).toMatchObject({ status: 'succeeded', output: 'seeded' });
  });
});
