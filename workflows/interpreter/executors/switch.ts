import type { NodeState } from '../state.ts';
import { render, truthy, type Executor } from '../node-runtime.ts';

export const switchNode: Executor<'switch'> = async (node, execution, runtime) => {
  (execution.nodes[node.id] as NodeState).attempts = 1;
  for (const c of node.config.cases) {
    if (truthy(await render(execution, runtime, 'expression', c.expression))) return { output: c.port, ports: [c.port] };
  }
  return { output: 'default', ports: ['default'] };
};
