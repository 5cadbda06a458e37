// Starting a run: one runGraph workflow execution per run, its workflow id being the run id.
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Config } from '../config.ts';
import type { RunGraphInput, RunGraphResult } from '../../workflows/inputs.ts';
import { runSearchAttributes } from '../../workflows/search-attributes.ts';

export function newRunId(): string {
  return `run_${randomUUID().replaceAll('-', '')}`;
}

/** `priority` 1–5 (1 first) goes to Temporal with the team as fairness key (ADR 028). */
export type RunRequest = Omit<RunGraphInput, 'blobThresholdBytes' | 'maxConcurrency'> & { runId?: string; priority?: number };

/** Engine settings every run carries, from the configuration. */
export interface EngineSettings {
  taskQueue: string;
  blobThresholdBytes: number;
  maxConcurrency: number;
}

export function engineSettings(config: Pick<Config, 'temporal' | 'engine'>): EngineSettings {
  return { taskQueue: config.temporal.taskQueue, blobThresholdBytes: config.engine.blobThresholdBytes, maxConcurrency: config.engine.runConcurrency };
}

/**
 * Starts a run's workflow; its workflow id is the run id. Starting an id that exists already is a
 * no-op (USE_EXISTING, and REJECT_DUPLICATE once it ended): requests sharing an idempotency key
 * all call this with the same id and one execution results.
 */
export async function startRun(client: Client, settings: EngineSettings, run: RunRequest): Promise<{ runId: string }> {
  const { runId = newRunId(), priority, ...rest } = run;
  const args: RunGraphInput = { ...rest, blobThresholdBytes: settings.blobThresholdBytes, maxConcurrency: settings.maxConcurrency };
  await client.workflow
    .start<(input: RunGraphInput) => Promise<RunGraphResult>>('runGraph', {
      workflowId: runId,
      taskQueue: settings.taskQueue,
      args: [args],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: runSearchAttributes(args),
      // Task queue order: by priority, and fair shares across teams (servers that support it;
      // others ignore these fields).
      ...(priority === undefined ? {} : { priority: { priorityKey: priority, fairnessKey: run.teamId } }),
    })
    .catch((error: unknown) => {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    });
  return { runId };
}
