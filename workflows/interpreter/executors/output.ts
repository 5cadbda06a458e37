import type { NodeState } from '../state.ts';
import { claimCheck, render, type Executor } from '../node-runtime.ts';

export const output: Executor<'output'> = async (node, execution, runtime) => {
  (execution.nodes[node.id] as NodeState).attempts = 1;
  return { output: await claimCheck(runtime, await render(execution, runtime, 'template', node.config.value, true)) };
};
