// Run and node states as exposed by the getRunState query and mirrored by the api.

export type NodeStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'waiting' | 'cancelled';
export type RunStatus = 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out';

export interface NodeState {
  status: NodeStatus;
  attempts: number;
  startedAt?: string;
  endedAt?: string;
  output?: unknown;
  error?: { message: string; kind: string };
}

export interface RunState {
  status: RunStatus;
  startedAt: string;
  endedAt?: string;
  output?: unknown;
  error?: { message: string; nodeId?: string };
  nodes: Record<string, NodeState>;
}
