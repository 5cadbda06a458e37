// Starting a run: one runGraph workflow execution per run, its workflow id being the run id.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { RunGraphInput, RunGraphResult } from '../../workflows/run-graph.ts';
import { GraphVersionKey, TeamIdKey, TriggerTypeKey, TrellisWorkflowIdKey } from '../../workflows/search-attributes.ts';

export function newRunId(): string {
  return `run_${randomUUID().replaceAll('-', '')}`;
}

export async function startRun(
  client: Client,
  taskQueue: string,
  run: RunGraphInput & { runId?: string },
): Promise<{ runId: string }> {
  const { runId = newRunId(), ...args } = run;
  await client.workflow.start<(input: RunGraphInput) => Promise<RunGraphResult>>('runGraph', {
    workflowId: runId,
    taskQueue,
    args: [args],
    typedSearchAttributes: [
      { key: TeamIdKey, value: args.teamId },
      { key: TrellisWorkflowIdKey, value: args.workflowId },
      { key: TriggerTypeKey, value: args.trigger },
      { key: GraphVersionKey, value: args.version },
    ],
  });
  return { runId };
}
