// What starts a workflow and what it answers: the inputs and results of runGraph and
// startScheduledRun, as types only. core/ (start path, dispatcher, schedules), activities/ and the
// executors import them from here, not from the workflow files, so no import circle closes through
// a workflow entry file (tests/infra/import-graph.test.ts).
import type { Graph } from './graph/schema.ts';
import type { BlobRef, NodeState, RunState } from './interpreter/state.ts';

export type TriggerType = 'api' | 'webhook' | 'schedule' | 'manual' | 'system' | 'map' | 'subworkflow' | 'rerun' | 'mcp';

export interface RunGraphInput {
  /** The exact graph version the run executes (validated, defaults applied). */
  graph: Graph;
  version: number;
  input: unknown;
  teamId: string;
  workflowId: string;
  trigger: TriggerType;
  /** Outputs reused from an earlier run (rerun from a node): these nodes do not execute again. */
  seed?: Record<string, NodeState>;
  /** Node states carried over continue-as-new. */
  carried?: { nodes: Record<string, NodeState>; startedAt: string; usage: RunState['usage'] };
  /** Map items run as child runs see their item as `item`. */
  item?: unknown;
  parentRunId?: string;
  /** Nesting of runs started by runs: a root run is 0 (absent in runs recorded before it existed). */
  depth?: number;
  /** The run at the top of this run's tree (absent: this run is the root). */
  rootRunId?: string;
  blobThresholdBytes: number;
  maxConcurrency: number;
  /** Continue as new once history has this many events (Temporal's own suggestion otherwise). */
  historyEventLimit?: number;
  /** The start path wrote the run's row and marked it running (ADR 029): the run does not record its start. */
  recorded?: boolean;
}

export interface RunGraphResult {
  status: 'succeeded' | 'failed';
  output?: unknown;
  outputRef?: BlobRef;
  error?: { message: string; nodeId?: string };
}

/** startScheduledRun's input (workflows/scheduled-run.ts): one firing of a schedule. */
export interface ScheduledRunInput {
  scheduleId: string;
  teamId: string;
  workflowId: string;
  /** The firing's workflow id (set by the workflow): one run per firing, however often retried. */
  firingId?: string;
}
