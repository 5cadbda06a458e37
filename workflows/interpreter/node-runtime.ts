// What the executors of every node type share (executors/<type>.ts): rendering templates and
// expressions, retries, activity proxies with the time-outs the node type declares, large values
// to blob storage, child runs and their admission. Workflow code: deterministic, no Node built-ins.
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  TimeoutFailure,
  executeChild,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  sleep,
} from '@temporalio/workflow';
import type { Activities } from '../../activities/index.ts';
import { ExpressionError, ExpressionLimitError, INLINE_COMPUTE_LIMITS, INLINE_LIMITS, isBoundedValue, isInlineValue, renderValue, type EvaluationLimits } from '../graph/expressions.ts';
import { MAX_DURATION_MS, MAX_RETRY_INTERVAL_MS, durationMs } from '../graph/durations.ts';
import { kindOf, nodeTypes, type NodeType } from '../graph/registry.ts';
import type { Graph, Node } from '../graph/schema.ts';
import type * as GraphSchema from '../graph/schema.ts';
import { runSearchAttributes } from '../search-attributes.ts';
import type { GraphExecution, NodeResult } from './engine.ts';
import { isBlobRef, type NodeError, type NodeState, type RunState } from './state.ts';
import type { DecideInput } from '../messages.ts';
import type { RunGraphInput, RunGraphResult } from '../inputs.ts';

// The graph schemas (zod) are built only by runs that parse a sub-graph: building them took most
// of a workflow's module initialisation, ~1 MiB per run (docs/decisions/030-inline-compute.md).
let graphSchema: typeof GraphSchema | undefined;

/**
 * Loads the graph schemas when the run may parse a sub-graph (node types with `parsesGraphs`:
 * map, subworkflow). Called once at the start of a run, before its first command, so the extra
 * await reorders nothing.
 */
export async function loadGraphSchema(graph: Graph): Promise<void> {
  if (graphSchema || !graph.nodes.some((n) => nodeTypes[n.type].parsesGraphs === true)) return;
  graphSchema = await import('../graph/schema.ts');
}

/** Parses a (sub-)graph; only in runs whose graph has a node type that `parsesGraphs`. */
export function parseGraph(value: unknown): Graph {
  if (!graphSchema) throw new Error('the graph schemas are not loaded (loadGraphSchema)');
  return graphSchema.Graph.parse(value);
}

/** Arrays up to this size run an inline sub-graph inside the run; larger ones as child runs. */
export const INLINE_MAP_LIMIT = 20;

const DEFAULT_RETRY = { maxAttempts: 3, initialInterval: '1s', backoffCoefficient: 2 };

export interface RunRuntime {
  args: RunGraphInput;
  runId: string;
  state: RunState;
  decisions: Map<string, DecideInput & { decidedAt: string }>;
  onChange: (nodePath: string, state: NodeState) => void;
  /** Runs one node with the executor table (executors/index.ts); handed in by run-graph.ts so the map executor, itself in the table, needs no import of it. */
  execute: (node: Node, execution: GraphExecution) => Promise<NodeResult>;
}

/** What a node type does when it runs: its output and the ports it takes. */
export type Executor<T extends NodeType> = (node: Extract<Node, { type: T }>, execution: GraphExecution, runtime: RunRuntime) => Promise<NodeResult>;

/**
 * Graphs saved before the duration bounds (validate.ts) may ask for more than Temporal can hold
 * (`"timeout": "99999999999d"`): the command then fails its workflow task again and again and the
 * run never ends. Such a value is cut to the bound; runs with values inside it issue the same
 * commands as before, so the patch marker is only written when a value is cut.
 */
export const BOUNDED_DURATIONS_PATCH = 'bounded-durations';

export function bounded(ms: number, max: number): number {
  return ms > max && patched(BOUNDED_DURATIONS_PATCH) ? max : ms;
}

/** Fallback for a node type without `timeouts` (every 'action' type declares them: registry.test.ts). */
const DEFAULT_TIMEOUTS = { timeout: '1 minute' };

/** Activities for a node: its own timeout, else its type's `timeouts`; one attempt per call. */
export function activities(node: Node) {
  const defaults: { timeout: string; heartbeat?: string } = nodeTypes[node.type].timeouts ?? DEFAULT_TIMEOUTS;
  const timeout = node.timeout === undefined ? undefined : durationMs(node.timeout) > MAX_DURATION_MS ? bounded(durationMs(node.timeout), MAX_DURATION_MS) : node.timeout;
  // Retries happen in the workflow (withRetry) so each attempt is visible in the node's state.
  return proxyActivities<Activities>({
    startToCloseTimeout: timeout ?? defaults.timeout,
    heartbeatTimeout: defaults.heartbeat,
    retry: { maximumAttempts: 1 },
  });
}

export const internal = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 5 } });

/** Runs started before this patch sent no approval.waiting notification (docs/decisions/032-notifications.md). */
export const APPROVAL_NOTIFY_PATCH = 'approval-notify';
export const notify = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 5 } });

function applicationCause(error: unknown): ApplicationFailure | undefined {
  if (error instanceof ApplicationFailure) return error;
  if ((error instanceof ActivityFailure || error instanceof ChildWorkflowFailure) && error.cause instanceof ApplicationFailure) return error.cause;
  return undefined;
}

export function describeError(error: unknown): NodeError {
  if (error instanceof ExpressionLimitError) return { message: error.message, kind: 'user', type: 'expression_limit' };
  if (error instanceof ExpressionError) return { message: error.message, kind: 'user', type: 'ExpressionError' };
  if (error instanceof TimeoutFailure || (error instanceof ActivityFailure && error.cause instanceof TimeoutFailure)) {
    return { message: 'timed out', kind: 'timeout' };
  }
  const cause = applicationCause(error);
  if (cause) return { message: cause.message, kind: cause.nonRetryable ? 'user' : 'operational', type: cause.type ?? undefined };
  if (error instanceof ChildWorkflowFailure) return { message: error.cause?.message ?? error.message, kind: 'operational' };
  return { message: error instanceof Error ? error.message : String(error), kind: 'internal' };
}

function retryable(error: unknown): boolean {
  if (isCancellation(error) || error instanceof ExpressionError) return false;
  const cause = applicationCause(error);
  return !(cause?.nonRetryable ?? false);
}

/** Runs an attempt, retrying per the node's policy; every attempt shows in the node's state. */
export async function withRetry<T>(node: Node, state: NodeState, attempt: () => Promise<T>): Promise<T> {
  const policy = node.retry ?? DEFAULT_RETRY;
  for (let n = 1; ; n++) {
    state.attempts = n;
    try {
      return await attempt();
    } catch (error) {
      if (n >= policy.maxAttempts || !retryable(error)) throw error;
      const asked = applicationCause(error)?.nextRetryDelay; // e.g. an HTTP 429's Retry-After
      const backoff = durationMs(policy.initialInterval) * policy.backoffCoefficient ** (n - 1);
      await sleep(bounded(asked ?? backoff, MAX_RETRY_INTERVAL_MS));
    }
  }
}

function hasRefs(execution: GraphExecution): boolean {
  return Object.values(execution.context.steps).some((step) => isBlobRef(step.output)) || isBlobRef(execution.context.input);
}

/** True when a config value holds a "{{ }}" template somewhere (checked without promises). */
function hasTemplates(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('{{');
  if (Array.isArray(value)) return value.some(hasTemplates);
  if (value && typeof value === 'object') return Object.values(value).some(hasTemplates);
  return false;
}

/** Runs started before this patch evaluated inside the workflow; they replay that way. */
export const ISOLATED_EXPRESSIONS_PATCH = 'isolated-expressions';

// Expressions run in the worker's expression pool (runner processes with a CPU deadline and a
// memory ceiling): a runaway one fails its node and hurts nobody else. Limits fail at once;
// a runner that died for another reason is retried.
const isolated = proxyLocalActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['expression_limit', 'ExpressionError'] },
});

/**
 * Runs started before this patch sent every expression calling a function to the pool. Since:
 * calls of linear built-ins ($sum, $string …) are evaluated in the workflow too, and every inline
 * evaluation has a work budget (docs/decisions/030-inline-compute.md).
 */
export const INLINE_COMPUTE_PATCH = 'inline-compute';

/** A rendered setting travels in the history: past this size it goes to the pool, whose output_bytes limit names it. */
const INLINE_SETTING_BYTES = 1_048_576;

/** The limits to evaluate a value with inside the workflow, or undefined when it goes to the pool. */
function inlineLimits(mode: 'expression' | 'template', value: unknown): Partial<EvaluationLimits> | undefined {
  if (isBoundedValue(mode, value)) return patched(INLINE_COMPUTE_PATCH) ? INLINE_COMPUTE_LIMITS : INLINE_LIMITS;
  if (isInlineValue(mode, value) && patched(INLINE_COMPUTE_PATCH)) return INLINE_COMPUTE_LIMITS;
  return undefined;
}

/**
 * Evaluates an expression or renders a value's templates. `claim`: a large result is stored in
 * blob storage and referenced (for values that become a node's output).
 */
export async function render(execution: GraphExecution, runtime: RunRuntime, mode: 'expression' | 'template', value: unknown, claim = false): Promise<unknown> {
  // Most config has no templates: return it as is, without a trip to the pool.
  if (mode === 'template' && !hasTemplates(value)) return value;
  const owner = { teamId: runtime.args.teamId, runId: runtime.runId };
  if (patched(ISOLATED_EXPRESSIONS_PATCH)) {
    // A bounded expression (paths, operators, literals, calls of linear built-ins: no loops) over
    // values held in the workflow is evaluated right here under tight limits; it replays the same
    // way. Anything else, or one that outgrows those limits, goes to the pool.
    const limits = hasRefs(execution) ? undefined : inlineLimits(mode, value);
    if (limits) {
      try {
        const result = await renderValue(mode, value, execution.context, limits);
        if (limits.work === undefined || claim || JSON.stringify(result ?? null).length <= INLINE_SETTING_BYTES) return result;
      } catch (error) {
        if (!(error instanceof ExpressionLimitError)) throw error;
      }
    }
    return isolated.evaluateIsolated({ owner, mode, value, context: execution.context, claim });
  }
  if (hasRefs(execution)) return internal.evaluateWithRefs({ owner, mode, value, context: execution.context });
  return renderValue(mode, value, execution.context);
}

/** Keeps values computed in the workflow small: large ones are stored and referenced. */
export async function claimCheck(runtime: RunRuntime, value: unknown): Promise<unknown> {
  if (isBlobRef(value)) return value;
  if (JSON.stringify(value ?? null).length <= runtime.args.blobThresholdBytes) return value;
  return internal.storeValue({ owner: { teamId: runtime.args.teamId, runId: runtime.runId }, value });
}

export function truthy(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : Boolean(value);
}

/** Runs `fn` over items with at most `limit` in flight, keeping results in item order. */
export async function pool<T, R>(limit: number, items: T[], fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  });
  await Promise.all(lanes);
  return results;
}

export function callContext(node: Node, execution: GraphExecution, runtime: RunRuntime) {
  return { runId: runtime.runId, teamId: runtime.args.teamId, nodeId: execution.pathOf(node.id), iteration: execution.iteration };
}

export function childRunInput(runtime: RunRuntime, graph: Graph, version: number, workflowId: string, input: unknown, trigger: 'map' | 'subworkflow', item?: unknown): RunGraphInput {
  return {
    ...runtime.args, graph, version, workflowId, input, trigger, item, carried: undefined, seed: undefined, parentRunId: runtime.runId,
    depth: (runtime.args.depth ?? 0) + 1, rootRunId: runtime.args.rootRunId ?? runtime.runId,
  };
}

/**
 * Before child runs start: the plan's depth limit, child runs under the root run (a map admits
 * all its items at once, so 10 000 items are refused before the first starts) and runs this
 * month. Over a limit the node fails, non-retryable, with the limit's code as its error type.
 */
export async function admitChildRuns(runtime: RunRuntime, trigger: 'map' | 'subworkflow', key: string, runs: number): Promise<void> {
  // Runs recorded before admission existed started their children without this activity.
  if (runs === 0 || !patched('child-run-admission')) return;
  await internal.admitChildRuns({
    teamId: runtime.args.teamId, trigger, key, runs, rootRunId: runtime.args.rootRunId ?? runtime.runId, depth: (runtime.args.depth ?? 0) + 1,
  });
}

export async function runChild(runtime: RunRuntime, childId: string, input: RunGraphInput): Promise<unknown> {
  try {
    const result = await executeChild<(input: RunGraphInput) => Promise<RunGraphResult>>('runGraph', {
      workflowId: childId,
      args: [input],
      typedSearchAttributes: runSearchAttributes(input),
    });
    return result.outputRef ?? result.output;
  } catch (error) {
    if (error instanceof ChildWorkflowFailure && !isCancellation(error)) {
      throw ApplicationFailure.create({ type: 'ChildRunFailed', message: `child run ${childId} failed: ${error.cause?.message ?? error.message}`, nonRetryable: true });
    }
    throw error;
  }
}

/** The value of a (sub-)graph's first node of kind 'output' that ran. */
export function graphOutput(graph: Graph, nodes: RunState['nodes']): unknown {
  for (const node of graph.nodes) {
    const state = nodes[node.id];
    if (kindOf(node.type) === 'output' && state?.status === 'succeeded') return state.outputRef ?? state.output;
  }
  return undefined;
}

