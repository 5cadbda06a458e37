import { isBlobRef, type NodeState } from '../state.ts';
import { activities, callContext, render, withRetry, type Executor } from '../node-runtime.ts';

export const ai: Executor<'ai'> = async (node, execution, runtime) => {
  const config = (await render(execution, runtime, 'template', node.config)) as typeof node.config;
  const state = execution.nodes[node.id] as NodeState;
  const { aiChat } = activities(node);
  // The run's limits and spend so far travel in the activity's input (no new command: replay-safe);
  // read per attempt, so a retry sees what other nodes spent meanwhile.
  const settings = runtime.args.graph.settings;
  const spend = () => ({ maxAiTokens: settings?.maxAiTokens, maxCostUsd: settings?.maxCostUsd, spent: { ...runtime.state.usage } });
  const output = await withRetry(node, state, () => aiChat({ config, call: callContext(node, execution, runtime), spend: spend() }));
  if (!isBlobRef(output)) {
    runtime.state.usage.aiTokens += output.usage.totalTokens;
    runtime.state.usage.costUsd += output.costUsd;
  }
  return { output };
};
