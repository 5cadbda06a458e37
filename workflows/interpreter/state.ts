// Run and node states as exposed by the getRunState query and mirrored by the api.

export type NodeStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'waiting' | 'cancelled';
export type RunStatus = 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out';
export type ErrorKind = 'user' | 'operational' | 'timeout' | 'cancelled' | 'internal';

/** A value kept in blob storage instead of the workflow history (claim check). */
export interface BlobRef {
  $trellisRef: 'blob';
  id: string;
  bytes: number;
}

export function isBlobRef(value: unknown): value is BlobRef {
  return typeof value === 'object' && value !== null && (value as { $trellisRef?: unknown }).$trellisRef === 'blob';
}

export interface NodeError {
  message: string;
  kind: ErrorKind;
  /** For failed activities: the failure type (e.g. HttpClientError). */
  type?: string;
}

export interface NodeState {
  status: NodeStatus;
  attempts: number;
  startedAt?: string;
  endedAt?: string;
  /** The output, unless it is large: then `outputRef` points to blob storage. */
  output?: unknown;
  outputRef?: BlobRef;
  error?: NodeError;
  /** Output ports taken when the node finished (e.g. ["true"] for a condition). */
  ports?: string[];
  /** What a waiting approval asks. */
  waiting?: { message: string; form: unknown[]; deadline?: string };
  /** Map progress. */
  progress?: { done: number; total: number };
  /** An agent's steps so far (model turns and tool calls), for the live timeline. */
  agent?: { steps: AgentStep[] };
}

/** One step of an agent node: a model turn or a tool call. */
export interface AgentStep {
  index: number;
  kind: 'model' | 'tool';
  status: 'running' | 'succeeded' | 'failed' | 'waiting' | 'rejected';
  /** A model turn's text. */
  text?: string;
  tool?: string;
  arguments?: unknown;
  result?: unknown;
  error?: string;
  tokens?: number;
  costUsd?: number;
  startedAt: string;
  endedAt?: string;
}

export interface RunState {
  status: RunStatus;
  startedAt: string;
  endedAt?: string;
  output?: unknown;
  outputRef?: BlobRef;
  error?: { message: string; nodeId?: string };
  nodes: Record<string, NodeState>;
  usage: { aiTokens: number; costUsd: number };
}
