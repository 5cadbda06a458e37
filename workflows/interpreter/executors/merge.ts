import type { NodeState } from '../state.ts';
import { claimCheck, type Executor } from '../node-runtime.ts';

export const merge: Executor<'merge'> = async (node, execution, runtime) => {
  (execution.nodes[node.id] as NodeState).attempts = 1;
  const inputs = execution.activeInputs(node.id);
  const merged = Object.fromEntries(inputs.map((edge) => [edge.from, execution.context.steps[edge.from]?.output]));
  return { output: await claimCheck(runtime, merged) };
};
