// The wire shapes the client speaks, in one place: the repository's contract (api/contract.ts)
// is the source, so the client cannot drift from what the server sends. Types only: nothing here
// exists at run time, so the client stays free of dependencies.
import type { RunDetail } from '../../api/contract.ts';
import type { NodeState } from '../../workflows/interpreter/state.ts';

export type {
  Me, Page, UserView, TeamView, WorkflowSummary, WorkflowDetail, WorkflowListItem, WorkflowVersionInfo,
  RunSummary, RunDetail, WebhookView, QueueSummary,
} from '../../api/contract.ts';
export type { NodeState, NodeStatus } from '../../workflows/interpreter/state.ts';

export type RunStatus = 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out';
export const FINAL_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled', 'timed_out'];

/** One bad field of a request, as `problems[]` of a problem+json answer lists it. */
export interface ProblemItem {
  path: string;
  message: string;
}

/** Every error answer of the api: application/problem+json (RFC 9457) with a stable `code`. */
export interface ProblemDocument {
  type?: string;
  title?: string;
  status: number;
  code: string;
  detail?: string;
  problems?: ProblemItem[];
}

/** The settings that make a workflow a tool for MCP clients and agents (null: not a tool). */
export interface WorkflowToolSettings {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

/** POST …/workflows */
export interface CreateWorkflowInput {
  name: string;
  description?: string;
  graph: unknown;
  tool?: WorkflowToolSettings | null;
}

/** PUT …/workflows/{id}: a graph makes a new version; name, description and tool alone do not. */
export interface UpdateWorkflowInput {
  name?: string;
  description?: string;
  graph?: unknown;
  tool?: WorkflowToolSettings | null;
}

/** POST …/workflows/{id}/runs */
export interface StartRunInput {
  input?: unknown;
  /** A pinned version; absent: the latest. */
  version?: number;
  /** 1–5, 1 first (default 3). */
  priority?: number;
  /** The same key answers with the same run, however often the start is retried. */
  idempotencyKey?: string;
}

export interface StartedRun {
  runId: string;
  status: 'queued' | 'running';
}

/** Events of GET …/runs/{runId}/events (api/routes/run-events.ts). */
export type RunStreamEvent =
  /** The whole run, first on every connection (a reconnect's snapshot replaces whatever was missed). */
  | { type: 'snapshot'; id?: string; run: RunDetail }
  | { type: 'node'; id?: string; runId: string; nodeId: string; state: NodeState; at: string; nodeType?: string }
  | { type: 'token'; id?: string; runId?: string; nodeId: string; text: string }
  /** The run ended: the last event of the stream. */
  | { type: 'run'; id?: string; runId: string; status: RunStatus; output?: unknown; error?: { message: string; nodeId?: string }; at?: string }
  /** The server ended this connection at its lifetime; the iterator reconnects by itself. */
  | { type: 'reconnect'; id?: string; reason: string; maxLifetimeSeconds?: number };
