import type { NodeState } from '../state.ts';
import { admitChildRuns, childRunInput, internal, parseGraph, render, runChild, type Executor } from '../node-runtime.ts';

export const subworkflow: Executor<'subworkflow'> = async (node, execution, runtime) => {
  (execution.nodes[node.id] as NodeState).attempts = 1;
  const loaded = await internal.loadWorkflowVersion({ teamId: runtime.args.teamId, workflowId: node.config.workflowId, version: node.config.version });
  const input = node.config.input === undefined ? {} : await render(execution, runtime, 'template', node.config.input);
  const childId = `${runtime.runId}.${execution.pathOf(node.id)}`;
  await admitChildRuns(runtime, 'subworkflow', childId, 1);
  const output = await runChild(
    runtime,
    childId,
    childRunInput(runtime, parseGraph(loaded.graph), loaded.version, node.config.workflowId, input, 'subworkflow'),
  );
  return { output };
};
