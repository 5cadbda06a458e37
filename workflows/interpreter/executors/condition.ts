import type { NodeState } from '../state.ts';
import { render, truthy, type Executor } from '../node-runtime.ts';

export const condition: Executor<'condition'> = async (node, execution, runtime) => {
  (execution.nodes[node.id] as NodeState).attempts = 1;
  const value = truthy(await render(execution, runtime, 'expression', node.config.expression));
  return { output: value, ports: [value ? 'true' : 'false'] };
};
