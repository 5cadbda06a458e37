// Starting a run: one runGraph workflow execution per run, its workflow id being the run id.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Config } from '../config.ts';
import type { RunGraphInput, RunGraphResult } from '../../workflows/run-graph.ts';
import { GraphVersionKey, TeamIdKey, TriggerTypeKey, TrellisWorkflowIdKey } from '../../workflows/search-attributes.ts';

export function newRunId(): string {
  return `run_${randomUUID().replaceAll('-', '')}`;
}

export type RunRequest = Omit<RunGraphInput, 'blobThresholdBytes' | 'maxConcurrency'> & { runId?: string };

/** Engine settings every run carries, from the configuration. */
export interface EngineSettings {
  taskQueue: string;
  blobThresholdBytes: number;
  maxConcurrency: number;
}

export function engineSettings(config: Pick<Config, 'temporal' | 'engine'>): EngineSettings {
  return { taskQueue: config.temporal.taskQueue, blobThresholdBytes: config.engine.blobThresholdBytes, maxConcurrency: config.engine.runConcurrency };
}

export async function startRun(client: Client, settings: EngineSettings, run: RunRequest): Promise<{ runId: string }> {
  const { runId = newRunId(), ...rest } = run;
  const args: RunGraphInput = { ...rest, blobThresholdBytes: settings.blobThresholdBytes, maxConcurrency: settings.maxConcurrency };
  await client.workflow.start<(input: RunGraphInput) => Promise<RunGraphResult>>('runGraph', {
    workflowId: runId,
    taskQueue: settings.taskQueue,
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
