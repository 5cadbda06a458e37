// Live run events: node state changes and the final state, sent out of the workflow through a
// sink (no history, not repeated on replay) and published by the worker on Redis channel
// `run:<runId>`, where the api's SSE endpoint relays them. AI tokens use the same channel.
import type { Sinks } from '@temporalio/workflow';
import type { NodeState, RunState } from './interpreter/state.ts';

export type RunEvent =
  | { type: 'node'; runId: string; nodeId: string; state: NodeState; at: string; nodeType?: string }
  // For the worker's metrics (worker/sinks.ts); not relayed to live clients.
  | { type: 'started'; runId: string; trigger: string; at: string }
  | { type: 'run'; runId: string; status: RunState['status']; output?: unknown; error?: RunState['error']; at: string }
  // `step`: an agent's model turn the text belongs to (its index in the node's agent steps).
  | { type: 'token'; runId?: string; nodeId: string; text: string; step?: number };

export interface RunEventSinks extends Sinks {
  runEvents: {
    publish(event: RunEvent): void;
  };
}

export function runChannel(runId: string): string {
  return `run:${runId}`;
}
