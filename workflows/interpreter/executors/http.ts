import type { NodeState } from '../state.ts';
import { activities, callContext, render, withRetry, type Executor } from '../node-runtime.ts';

export const http: Executor<'http'> = async (node, execution, runtime) => {
  const config = (await render(execution, runtime, 'template', node.config)) as typeof node.config;
  const state = execution.nodes[node.id] as NodeState;
  const { httpRequest } = activities(node);
  const output = await withRetry(node, state, () => httpRequest({ config, call: callContext(node, execution, runtime) }));
  return { output };
};
