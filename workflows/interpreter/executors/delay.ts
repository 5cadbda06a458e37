import { sleep } from '@temporalio/workflow';
import { MAX_DURATION_MS, durationMs } from '../../graph/durations.ts';
import type { NodeState } from '../state.ts';
import { bounded, type Executor } from '../node-runtime.ts';

export const delay: Executor<'delay'> = async (node, execution) => {
  (execution.nodes[node.id] as NodeState).attempts = 1;
  const waitMs = bounded(durationMs(node.config.duration), MAX_DURATION_MS);
  await sleep(waitMs);
  return { output: { waitedMs: waitMs } };
};
