// Waiting for a run's answer while holding a request: the webhook's `?wait=true` (api/routes/hooks.ts)
// and an MCP `tools/call` (core/mcp/server.ts). The caller listens before the run starts, so an
// early output is not missed; waiting holds a Redis subscription only, never a worker. The answer
// is the first output node to succeed, or the run's end.
import type { RunEvent } from '../../workflows/events.ts';
import { FINAL_RUN_STATUSES } from '../../workflows/messages.ts';
import type { RunService } from './service.ts';
import type { WorkflowService } from '../workflows/service.ts';

export type RunAnswer = { output: unknown } | { status: string; error?: unknown };

/** The part of api/events.ts's hub used here. */
export interface RunEventSource {
  subscribe(runId: string, listener: (event: RunEvent) => void): Promise<() => void>;
}

export interface RunListener {
  /** Listen to another run instead (a duplicate delivery follows the first one's run). */
  follow(runId: string): Promise<void>;
  /**
   * The run's answer; undefined when `timeoutMs` passes or `signal` aborts first. `fresh`: the run
   * was started after listening began, so its events alone tell (reading a live run's state asks
   * Temporal and the worker, the largest cost of a wait); otherwise its state is read once.
   */
  answer(input: { teamId: string; workflowId: string; runId: string; fresh: boolean; timeoutMs: number; signal?: AbortSignal }): Promise<RunAnswer | undefined>;
  stop(): void;
}

export function createRunWaits(deps: { events: RunEventSource; runs: Pick<RunService, 'get'>; workflows: Pick<WorkflowService, 'get'> }) {
  /** Starts listening to `runId` (call it before starting the run). */
  async function listen(runId: string): Promise<RunListener> {
    const events: RunEvent[] = [];
    let wake = () => undefined as void;
    // No subscription (Redis down): the run's state is read once instead.
    const subscribe = (id: string) => deps.events.subscribe(id, (event) => (events.push(event), wake())).catch(() => undefined);
    let stop = await subscribe(runId);

    return {
      async follow(id) {
        stop?.();
        events.length = 0;
        stop = await subscribe(id);
      },
      stop: () => stop?.(),
      async answer({ teamId, workflowId, runId: id, fresh, timeoutMs, signal }) {
        const graph = (await deps.workflows.get(teamId, workflowId)).graph;
        const outputs = new Set(graph.nodes.filter((n) => n.type === 'output').map((n) => n.id));
        const answerFrom = (list: RunEvent[]): RunAnswer | undefined => {
          for (const event of list) {
            if (event.type === 'node' && outputs.has(event.nodeId) && event.state.status === 'succeeded') return { output: event.state.outputRef ?? event.state.output };
            if (event.type === 'run') return event.status === 'succeeded' ? { output: event.output } : { status: event.status, error: event.error };
          }
          return undefined;
        };
        const current = fresh && stop !== undefined ? undefined : await deps.runs.get(teamId, id).catch(() => undefined);
        if (current && FINAL_RUN_STATUSES.has(current.status)) return current.status === 'succeeded' ? { output: current.output } : { status: current.status, error: current.error };
        const outputNode = current && Object.entries(current.nodes).find(([nodeId, node]) => outputs.has(nodeId) && node.status === 'succeeded');
        if (outputNode) return { output: outputNode[1].outputRef ?? outputNode[1].output };
        const early = answerFrom(events);
        if (early || !stop || signal?.aborted) return early;
        return new Promise<RunAnswer | undefined>((resolve) => {
          const done = (answer: RunAnswer | undefined) => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            wake = () => undefined;
            resolve(answer);
          };
          const onAbort = () => done(undefined);
          const timer = setTimeout(onAbort, timeoutMs);
          signal?.addEventListener('abort', onAbort);
          wake = () => {
            const found = answerFrom(events);
            if (found) done(found);
          };
        });
      },
    };
  }

  return { listen };
}

export type RunWaits = ReturnType<typeof createRunWaits>;
