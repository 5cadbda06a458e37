// The one workflow that interprets any graph. This first version runs nodes one at a time in
// topological order; the engine issue grows it into the full scheduler (parallel branches,
// ports, policies), with every semantic change behind patched().
import { proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { renderTemplate, evaluate, type ExpressionContext } from './graph/expressions.ts';
import type { Graph, Node } from './graph/schema.ts';
import { topologicalOrder } from './graph/validate.ts';
import type { NodeType } from './graph/registry.ts';
import type { RunState } from './interpreter/state.ts';
import { getRunState } from './messages.ts';

export interface RunGraphInput {
  graph: Graph;
  version: number;
  input: unknown;
  teamId: string;
  workflowId: string;
  trigger: 'api' | 'webhook' | 'schedule' | 'manual' | 'system';
}

export interface RunGraphResult {
  status: 'succeeded' | 'failed';
  output?: unknown;
  error?: { message: string; nodeId?: string };
}

const { recordRunStarted, recordRunFinished } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10 },
});

type Executor = (node: Node, context: ExpressionContext) => Promise<unknown>;

// `satisfies` makes the compiler demand an executor for every registered node type.
const executors = {
  transform: (node, context) => evaluate((node.config as { expression: string }).expression, context),
  output: (node, context) => renderDeep((node.config as { value: unknown }).value, context),
} satisfies Record<NodeType, Executor>;

async function renderDeep(value: unknown, context: ExpressionContext): Promise<unknown> {
  if (typeof value === 'string') return renderTemplate(value, context);
  if (Array.isArray(value)) return Promise.all(value.map((v) => renderDeep(v, context)));
  if (value && typeof value === 'object') {
    const entries = await Promise.all(
      Object.entries(value).map(async ([k, v]) => [k, await renderDeep(v, context)] as const),
    );
    return Object.fromEntries(entries);
  }
  return value;
}

export async function runGraph(args: RunGraphInput): Promise<RunGraphResult> {
  const info = workflowInfo();
  const startedAt = new Date(info.startTime).toISOString();
  const state: RunState = {
    status: 'running',
    startedAt,
    nodes: Object.fromEntries(args.graph.nodes.map((n) => [n.id, { status: 'pending', attempts: 0 }])),
  };
  setHandler(getRunState, () => state);
  await recordRunStarted({
    runId: info.workflowId,
    teamId: args.teamId,
    workflowId: args.workflowId,
    version: args.version,
    trigger: args.trigger,
    startedAt,
  });

  const context: ExpressionContext = { input: args.input ?? {}, steps: {}, run: { id: info.workflowId, startedAt } };
  const byId = new Map(args.graph.nodes.map((n) => [n.id, n]));
  let result: RunGraphResult = { status: 'succeeded' };
  for (const id of topologicalOrder(args.graph)) {
    const node = byId.get(id) as Node;
    const nodeState = state.nodes[id] as RunState['nodes'][string];
    Object.assign(nodeState, { status: 'running', attempts: 1, startedAt: new Date().toISOString() });
    try {
      const value = await executors[node.type](node, context);
      Object.assign(nodeState, { status: 'succeeded', output: value, endedAt: new Date().toISOString() });
      context.steps[id] = { output: value, status: 'succeeded' };
      if (node.type === 'output') result = { status: 'succeeded', output: value };
    } catch (error) {
      const message = (error as Error).message;
      Object.assign(nodeState, { status: 'failed', error: { message, kind: 'user' }, endedAt: new Date().toISOString() });
      result = { status: 'failed', error: { message, nodeId: id } };
      break;
    }
  }
  for (const nodeState of Object.values(state.nodes)) {
    if (nodeState.status === 'pending') nodeState.status = 'skipped';
  }
  state.status = result.status;
  state.output = result.output;
  state.error = result.error;
  state.endedAt = new Date().toISOString();
  await recordRunFinished({ runId: info.workflowId, status: result.status, endedAt: state.endedAt, error: result.error?.message });
  return result;
}
