// The one workflow that interprets any graph: `runGraph`. The scheduling lives in
// interpreter/engine.ts, what each node does in interpreter/executors/<type>.ts.
import {
  CancellationScope,
  CancelledFailure,
  ApplicationFailure,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  proxySinks,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { nodeTypes } from './graph/registry.ts';
import { GraphExecution } from './interpreter/engine.ts';
import { executeNode } from './interpreter/executors/index.ts';
import { describeError, graphOutput, loadGraphSchema, type RunRuntime } from './interpreter/node-runtime.ts';
import type { BlobRef, NodeState, RunState } from './interpreter/state.ts';
import type { RunGraphInput, RunGraphResult } from './inputs.ts';
import { cancelNode, decide, DecideFailure, getRunState } from './messages.ts';
import type { RunEventSinks } from './events.ts';

const { runEvents } = proxySinks<RunEventSinks>();

// The workflow's input and result types live in inputs.ts (imported by core/ and the executors without a circle).
export type { RunGraphInput, RunGraphResult, TriggerType } from './inputs.ts';

const { recordRunStarted, recordRunFinished } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10 },
});

/**
 * Runs started before this patch recorded their start and end as activities. Since then a run the
 * start path recorded skips its start, and its end (with the final state, which may be large) is
 * a local activity: no round trip through the server, and the state never enters the history.
 */
export const LEAN_RUN_PATH_PATCH = 'lean-run-path';

const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10 },
});

/** The run's end, written once (activities/index.ts recordRunFinished). */
function recordEnd(end: Parameters<Activities['recordRunFinished']>[0]): Promise<void> {
  return patched(LEAN_RUN_PATH_PATCH) ? local.recordRunFinished(end) : recordRunFinished(omitState(end));
}

/** What runs before the patch sent (the activity's input is part of the recorded history). */
function omitState<T extends { state?: unknown }>(end: T): Omit<T, 'state'> {
  const { state: _state, ...rest } = end;
  return rest;
}

// For runs started before these settings existed (the replay fixtures hold such runs).
const DEFAULTS = { blobThresholdBytes: 65_536, maxConcurrency: 10 };

export async function runGraph(input: RunGraphInput): Promise<RunGraphResult> {
  const args: RunGraphInput = { ...input, blobThresholdBytes: input.blobThresholdBytes ?? DEFAULTS.blobThresholdBytes, maxConcurrency: input.maxConcurrency ?? DEFAULTS.maxConcurrency };
  const info = workflowInfo();
  const runId = info.workflowId;
  const startedAt = args.carried?.startedAt ?? new Date(info.startTime).toISOString();
  const state: RunState = {
    status: 'running',
    startedAt,
    nodes: {},
    usage: args.carried?.usage ?? { aiTokens: 0, costUsd: 0 },
  };
  const onChange = (nodeId: string, node: NodeState, def?: { type: string }) => {
    runEvents.publish({ type: 'node', runId, nodeId, state: eventState(node), at: new Date().toISOString(), nodeType: def?.type });
  };
  // For the worker's metrics: a sink call, no command (not repeated on replay, no patch needed).
  if (!args.carried) runEvents.publish({ type: 'started', runId, trigger: args.trigger, at: startedAt });
  const runtime: RunRuntime = { args, runId, state, decisions: new Map(), onChange, execute: (node, exec) => executeNode(node, exec, runtime) };
  const execution = new GraphExecution({
    graph: args.graph,
    context: { input: args.input ?? {}, run: { id: runId, startedAt }, ...(args.item === undefined ? {} : { item: args.item }) },
    nodes: state.nodes,
    execute: runtime.execute,
    describeError,
    maxConcurrency: args.maxConcurrency,
    onChange,
    finished: { ...args.seed, ...args.carried?.nodes },
    shouldPause: () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= (args.historyEventLimit ?? Infinity),
  });

  setHandler(getRunState, () => ({ ...state, status: liveStatus(state) }));
  setHandler(
    decide,
    (update) => {
      runtime.decisions.set(update.nodeId, { ...update, decidedAt: new Date().toISOString() });
      return { nodeId: update.nodeId, decision: update.decision, decidedAt: new Date().toISOString() };
    },
    {
      // Runs before anything is written to history: a rejected decision leaves no trace.
      validator: (update) => {
        // Nodes of a type that asks for decisions (approval; an agent before a gated tool) while they wait.
        const node = args.graph.nodes.find((n) => n.id === update.nodeId);
        if (!node || !nodeTypes[node.type].asksDecisions) throw ApplicationFailure.nonRetryable(`node "${update.nodeId}" is not an approval node`, DecideFailure.NotDecidable);
        const asked = state.nodes[update.nodeId];
        if (asked?.status !== 'waiting' || !asked.waiting || runtime.decisions.has(update.nodeId)) {
          throw ApplicationFailure.nonRetryable(`node "${update.nodeId}" is not waiting for a decision`, DecideFailure.NotWaiting);
        }
        if (update.decision !== 'approve' && update.decision !== 'reject') throw ApplicationFailure.nonRetryable('decision must be "approve" or "reject"', DecideFailure.InvalidDecision);
        const problems = formProblems(asked.waiting.form as FormFieldSpec[], update.data ?? {});
        if (problems.length) throw ApplicationFailure.nonRetryable(`the form data is invalid: ${problems.join('; ')}`, DecideFailure.InvalidFormData);
      },
    },
  );
  setHandler(cancelNode, ({ nodeId }) => {
    execution.cancelNode(nodeId);
  });
  // Before the first command, so its await reorders none (ADR 030).
  await loadGraphSchema(args.graph);

  // Child runs carry their parent's arguments: only a root run is written by the start path.
  const recorded = args.recorded === true && args.parentRunId === undefined && patched(LEAN_RUN_PATH_PATCH);
  if (!args.carried && !recorded) {
    // Not cancellable: a run cancelled before its first step still gets its mirror row, which the
    // cancellation path below then closes (otherwise the row would stay "running" for good).
    await CancellationScope.nonCancellable(() =>
      recordRunStarted({ runId, teamId: args.teamId, workflowId: args.workflowId, version: args.version, trigger: args.trigger, startedAt }),
    );
  }

  let result: RunGraphResult;
  try {
    const outcome = await execution.run();
    // A cancelled run's nodes end "cancelled" and the scheduler finishes quietly; the run itself
    // must still end cancelled, not succeeded.
    if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('the run was cancelled');
    if (outcome.kind === 'paused') {
      // History is long and nothing is in flight: start afresh, carrying every node's state.
      await continueAsNew<typeof runGraph>({ ...args, seed: undefined, carried: { nodes: state.nodes, startedAt, usage: state.usage } });
    }
    const output = graphOutput(args.graph, state.nodes);
    result =
      outcome.kind === 'failed'
        ? { status: 'failed', error: { message: outcome.error.message, nodeId: outcome.nodeId } }
        : { status: 'succeeded', ...(isRef(output) ? { outputRef: output } : { output }) };
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // The whole run was cancelled: every node gets a final state, the mirror is updated, and
    // the cancellation is re-thrown so Temporal records the run as cancelled.
    for (const node of Object.values(state.nodes)) {
      if (['pending', 'running', 'waiting'].includes(node.status)) {
        node.status = 'cancelled';
        node.waiting = undefined;
        node.error ??= { message: 'cancelled with the run', kind: 'cancelled' };
      }
    }
    state.status = 'cancelled';
    state.endedAt = new Date().toISOString();
    runEvents.publish({ type: 'run', runId, status: 'cancelled', at: state.endedAt });
    await CancellationScope.nonCancellable(() => recordEnd({ runId, teamId: args.teamId, status: 'cancelled', endedAt: state.endedAt as string, usage: state.usage, nodeExecutions: executedNodes(state), state }));
    throw error;
  }

  state.status = result.status;
  state.output = result.output;
  state.outputRef = result.outputRef;
  state.error = result.error;
  state.endedAt = new Date().toISOString();
  await recordEnd({ runId, teamId: args.teamId, status: result.status, endedAt: state.endedAt, error: result.error?.message, usage: state.usage, nodeExecutions: executedNodes(state), state });
  runEvents.publish({ type: 'run', runId, status: result.status, output: result.outputRef ?? result.output, error: result.error, at: state.endedAt });
  if (result.status === 'failed') {
    // The run's status is Temporal's own: a failed graph is a failed workflow execution.
    throw ApplicationFailure.create({
      type: 'RunFailed',
      message: `node "${result.error?.nodeId}" failed: ${result.error?.message}`,
      nonRetryable: true,
      details: [result.error],
    });
  }
  return result;
}

/** Outputs up to this size travel in live events; larger ones are fetched with GET run. */
const EVENT_OUTPUT_BYTES = 2_048;

/**
 * The node state a live event carries: a copy (sinks run after the activation, while the state
 * object keeps changing), with a large output replaced by `outputOmitted` rather than cut.
 */
function eventState(node: NodeState): NodeState & { outputOmitted?: true } {
  const { output, ...rest } = node;
  const copy = JSON.parse(JSON.stringify(rest)) as NodeState & { outputOmitted?: true };
  if (output === undefined) return copy;
  const text = JSON.stringify(output);
  if (text === undefined || text.length > EVENT_OUTPUT_BYTES) copy.outputOmitted = true;
  else copy.output = JSON.parse(text) as unknown;
  return copy;
}

/** Nodes that ran (for usage): succeeded or failed, not skipped or seeded. */
function executedNodes(state: RunState): number {
  return Object.values(state.nodes).filter((n) => (n.status === 'succeeded' || n.status === 'failed') && n.attempts > 0).length;
}

function isRef(value: unknown): value is BlobRef {
  return typeof value === 'object' && value !== null && (value as { $trellisRef?: unknown }).$trellisRef === 'blob';
}

/** "waiting" when every node in flight waits for a person. */
function liveStatus(state: RunState): RunState['status'] {
  if (state.status !== 'running') return state.status;
  const active = Object.values(state.nodes).filter((n) => n.status === 'running' || n.status === 'waiting');
  return active.length > 0 && active.every((n) => n.status === 'waiting') ? 'waiting' : 'running';
}

/** A form field as an approval node's `waiting` carries it. */
type FormFieldSpec = { name: string; type: string; required: boolean };

function formProblems(form: FormFieldSpec[], data: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const field of form) {
    const value = data[field.name];
    if (value === undefined || value === null || value === '') {
      if (field.required) problems.push(`${field.name} is required`);
    } else if (typeof value !== field.type) {
      problems.push(`${field.name} must be a ${field.type}`);
    }
  }
  const known = new Set(form.map((f) => f.name));
  for (const name of Object.keys(data)) if (!known.has(name)) problems.push(`${name} is not a field of this form`);
  return problems;
}
