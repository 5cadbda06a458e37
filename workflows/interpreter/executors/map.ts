import { ApplicationFailure } from '@temporalio/workflow';
import type { Graph } from '../../graph/schema.ts';
import { GraphExecution } from '../engine.ts';
import type { NodeState, RunState } from '../state.ts';
import {
  INLINE_MAP_LIMIT,
  admitChildRuns,
  childRunInput,
  claimCheck,
  describeError,
  graphOutput,
  internal,
  parseGraph,
  pool,
  render,
  runChild,
  type Executor,
} from '../node-runtime.ts';

export const map: Executor<'map'> = async (node, execution, runtime) => {
  const state = execution.nodes[node.id] as NodeState;
  state.attempts = 1;
  const items = await render(execution, runtime, 'expression', node.config.items);
  if (!Array.isArray(items)) {
    throw ApplicationFailure.create({ type: 'MapItemsNotArray', message: `items must be an array, got ${items === null ? 'null' : typeof items}`, nonRetryable: true });
  }
  state.progress = { done: 0, total: items.length };
  const progress = state.progress;
  const concurrency = node.config.concurrency;

  if (node.config.graph !== undefined && items.length <= INLINE_MAP_LIMIT) {
    const graph = parseGraph(node.config.graph);
    const results = await pool(concurrency, items, async (item, index) => {
      const nodes: RunState['nodes'] = {};
      const sub = new GraphExecution({
        graph,
        context: { input: execution.context.input, run: execution.context.run, item },
        nodes,
        execute: runtime.execute,
        describeError,
        maxConcurrency: concurrency,
        onChange: runtime.onChange,
        path: `${execution.pathOf(node.id)}[${index}]`,
        iteration: index,
      });
      const outcome = await sub.run();
      if (outcome.kind === 'failed') {
        throw ApplicationFailure.create({ type: 'MapItemFailed', message: `item ${index}: node "${outcome.nodeId}" failed: ${outcome.error.message}`, nonRetryable: true });
      }
      progress.done++;
      execution.reportChange(node.id);
      return graphOutput(graph, nodes);
    });
    return { output: await claimCheck(runtime, results) };
  }

  // Large arrays, or a saved workflow: one child run per item.
  let graph: Graph;
  let version = runtime.args.version;
  let workflowId = runtime.args.workflowId;
  if (node.config.workflowId !== undefined) {
    const loaded = await internal.loadWorkflowVersion({ teamId: runtime.args.teamId, workflowId: node.config.workflowId, version: node.config.version });
    graph = parseGraph(loaded.graph);
    version = loaded.version;
    workflowId = node.config.workflowId;
  } else {
    graph = parseGraph(node.config.graph);
  }
  const saved = node.config.workflowId !== undefined;
  await admitChildRuns(runtime, 'map', `${runtime.runId}.${execution.pathOf(node.id)}`, items.length);
  const results = await pool(concurrency, items, async (item, index) => {
    const input = saved ? item : execution.context.input;
    const out = await runChild(runtime, `${runtime.runId}.${execution.pathOf(node.id)}.${index}`, childRunInput(runtime, graph, version, workflowId, input, 'map', saved ? undefined : item));
    progress.done++;
    execution.reportChange(node.id);
    return out;
  });
  return { output: await claimCheck(runtime, results) };
};
