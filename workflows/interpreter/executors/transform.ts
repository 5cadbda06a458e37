import type { NodeState } from '../state.ts';
import { claimCheck, render, type Executor } from '../node-runtime.ts';

export const transform: Executor<'transform'> = async (node, execution, runtime) => {
  const state = execution.nodes[node.id] as NodeState;
  state.attempts = 1;
  return { output: await claimCheck(runtime, await render(execution, runtime, 'expression', node.config.expression, true)) };
};
