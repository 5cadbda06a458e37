// Graphs saved before the duration bounds (security review L10): a delay, an approval timeout, a
// node timeout or a retry interval beyond what Temporal can hold used to fail the workflow task
// again and again, leaving the run "running" for good. The interpreter now cuts them to the bounds
// (365 days; 1 day between attempts) and the run goes on.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { createOrm, migrate, type Orm } from '../../core/db/orm.ts';
import { startRun } from '../../core/runs/start-run.ts';
import { createTemporalClient } from '../../core/temporal.ts';
import { MAX_DURATION_MS, MAX_RETRY_INTERVAL_MS } from '../../workflows/graph/nodes/common.ts';
import { Graph } from '../../workflows/graph/schema.ts';
import { BOUNDED_DURATIONS_PATCH } from '../../workflows/interpreter/node-runtime.ts';
import { getRunState } from '../../workflows/messages.ts';
import type { RunGraphResult } from '../../workflows/run-graph.ts';
import { tempDir, testEnv } from '../support/env.ts';
import { startTestWorker } from '../support/worker.ts';
import { decideOn } from '../support/decide.ts';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

let orm: Orm;
let client: Client;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let failing: Server;
let failingUrl: string;

beforeAll(async () => {
  orm = await createOrm(`sqlite:${join(tempDir('db'), 'app.sqlite')}`);
  await migrate(orm);
  client = await createTemporalClient({ address: testEnv.temporalAddress, namespace: 'default' });
  worker = await startTestWorker({ address: testEnv.temporalAddress, orm });
  failing = createServer((_req, res) => res.writeHead(500).end('down'));
  await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
  failingUrl = `http://127.0.0.1:${(failing.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
  await orm?.close();
  await new Promise((resolve) => failing?.close(resolve));
});

const HUGE = '99999999999d';

async function start(graph: unknown): Promise<WorkflowHandle> {
  const { runId } = await startRun(
    client,
    { taskQueue: worker.taskQueue, blobThresholdBytes: 65_536, maxConcurrency: 10 },
    // Graph.parse, as the workflow does: a graph saved before the bounds still parses.
    { runId: `run_${randomUUID().replaceAll('-', '')}`, graph: Graph.parse(graph), version: 1, input: {}, teamId: 'team_1', workflowId: 'wf_1', trigger: 'api' },
  );
  return client.workflow.getHandle(runId);
}

const seconds = (d: { seconds?: unknown } | null | undefined) => Number(d?.seconds ?? 0);

/** Polls the history until `found` holds for an event; a failed workflow task fails at once. */
async function historyUntil(handle: WorkflowHandle, found: (event: HistoryEvent) => boolean): Promise<HistoryEvent[]> {
  for (let i = 0; i < 200; i++) {
    const events = (await handle.fetchHistory()).events ?? [];
    const failedTask = events.find((e) => e.workflowTaskFailedEventAttributes);
    if (failedTask) throw new Error(`a workflow task failed: ${failedTask.workflowTaskFailedEventAttributes?.failure?.message}`);
    if (events.some(found)) return events;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the history never showed the expected event');
}

/** The patch ids recorded in the history's patch markers. */
const markerText = (e: HistoryEvent) =>
  Object.values(e.markerRecordedEventAttributes?.details ?? {})
    .flatMap((p) => p.payloads ?? [])
    .map((p) => Buffer.from(p.data ?? []).toString())
    .join(' ');
const patchMarker = (events: HistoryEvent[]) =>
  events.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch' && markerText(e).includes(BOUNDED_DURATIONS_PATCH));

describe('durations beyond the bounds in graphs saved before them', () => {
  it('waits at most 365 days on a delay', async () => {
    const handle = await start({ nodes: [{ id: 'wait', type: 'delay', config: { duration: HUGE } }] });
    const events = await historyUntil(handle, (e) => Boolean(e.timerStartedEventAttributes));
    const timer = events.find((e) => e.timerStartedEventAttributes)!.timerStartedEventAttributes!;
    expect(seconds(timer.startToFireTimeout)).toBe(MAX_DURATION_MS / 1000);
    expect(patchMarker(events)).toBe(true);
    await handle.terminate('test done');
  });

  it('cuts an approval timeout to 365 days, and the approval still decides the run', async () => {
    const handle = await start({ nodes: [{ id: 'ask', type: 'approval', config: { message: 'go?', timeout: HUGE } }] });
    const events = await historyUntil(handle, (e) => Boolean(e.timerStartedEventAttributes));
    expect(seconds(events.find((e) => e.timerStartedEventAttributes)!.timerStartedEventAttributes!.startToFireTimeout)).toBe(MAX_DURATION_MS / 1000);
    const state = await handle.query(getRunState);
    expect(state.nodes.ask?.status).toBe('waiting');
    const deadline = Date.parse(state.nodes.ask!.waiting!.deadline!);
    expect(deadline - Date.now()).toBeGreaterThan(MAX_DURATION_MS - 3_600_000);
    expect(deadline - Date.now()).toBeLessThanOrEqual(MAX_DURATION_MS);
    await decideOn(handle, { nodeId: 'ask', decision: 'approve', actor: 'test' });
    expect(((await handle.result()) as RunGraphResult).status).toBe('succeeded');
  });

  it('gives an activity at most 365 days and waits at most a day between attempts', async () => {
    const handle = await start({
      nodes: [{
        id: 'call', type: 'http', config: { method: 'GET', url: failingUrl },
        timeout: HUGE, retry: { maxAttempts: 2, initialInterval: HUGE, backoffCoefficient: 10 },
      }],
    });
    const events = await historyUntil(handle, (e) => Boolean(e.timerStartedEventAttributes));
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'httpRequest')!.activityTaskScheduledEventAttributes!;
    expect(seconds(scheduled.startToCloseTimeout)).toBe(MAX_DURATION_MS / 1000);
    // The first attempt failed (HTTP 500, retryable); the wait before the second is cut to a day.
    expect(events.some((e) => e.activityTaskFailedEventAttributes)).toBe(true);
    expect(seconds(events.find((e) => e.timerStartedEventAttributes)!.timerStartedEventAttributes!.startToFireTimeout)).toBe(MAX_RETRY_INTERVAL_MS / 1000);
    await handle.terminate('test done');
  });

  it('writes no patch marker for a run whose durations are within the bounds', async () => {
    const handle = await start({ nodes: [{ id: 'wait', type: 'delay', config: { duration: '1ms' } }] });
    await handle.result();
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.some((e) => e.timerStartedEventAttributes)).toBe(true);
    expect(patchMarker(events)).toBe(false);
  });
});
