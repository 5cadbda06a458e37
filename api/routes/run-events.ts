// GET /api/v1/teams/{teamId}/runs/{runId}/events: a run's live events over SSE, bounded
// (docs/decisions/019-resource-ceilings.md): streams open at once are capped per user or API key
// and per team across replicas (429 `sse_limit`), each stream lives at most maxLifetimeMs and then
// ends with a `reconnect` event (EventSource reconnects by itself and gets a fresh snapshot), and
// a client that goes away at any moment — setup included — leaves no listener, timer or slot.
import type { Request, RequestHandler, Response } from 'express';
import type { Config } from '../../core/config.ts';
import { TooManyRequestsError } from '../../core/errors.ts';
import type { StreamSlots } from '../../core/limits/streams.ts';
import type { Logger } from '../../core/log.ts';
import type { RunService } from '../../core/runs/service.ts';
import type { RunEvent } from '../../workflows/events.ts';
import { FINAL_RUN_STATUSES } from '../../workflows/messages.ts';
import type { RunEventHub } from '../events.ts';

/** A stream that falls this far behind drops token events (node and run events still go out). */
const SLOW_CLIENT_BYTES = 1024 * 1024;
/** Comment lines that keep proxies from closing an idle stream; each one also refreshes the stream's slot. */
const HEARTBEAT_MS = 15_000;
/** How soon EventSource reconnects after the server ends a stream at its lifetime. */
const RECONNECT_AFTER_MS = 1_000;

export interface RunEventStreamsDeps {
  runs: Pick<RunService, 'get'>;
  hub: RunEventHub;
  slots: StreamSlots;
  limits: Config['sse'];
  logger: Logger;
  heartbeatMs?: number;
}

export interface RunEventStreams {
  handler: RequestHandler;
  /** Streams whose resources are held (from the request's start until every listener and timer is gone). */
  readonly open: number;
}

export function createRunEventStreams(deps: RunEventStreamsDeps): RunEventStreams {
  let open = 0;
  const heartbeatMs = deps.heartbeatMs ?? HEARTBEAT_MS;

  const handler = async (req: Request, res: Response) => {
    const teamId = req.params.teamId as string;
    const runId = req.params.runId as string;
    const auth = req.auth!;
    const principal = auth.kind === 'user' ? `user:${auth.user.id}` : `key:${auth.key.id}`;

    // Everything the stream holds is undone here, once, whenever the connection closes: the
    // cleanups registered so far run at once, and any registered later run when registered.
    const cleanups: (() => void)[] = [];
    let disposed = false;
    open++;
    const dispose = () => {
      if (disposed) return;
      disposed = true;
      for (const cleanup of cleanups.splice(0).reverse()) cleanup();
      open--;
    };
    /** Registers a cleanup; false (after running it) when the client is already gone. */
    const hold = (cleanup: () => void): boolean => {
      if (disposed) {
        cleanup();
        return false;
      }
      cleanups.push(cleanup);
      return true;
    };
    res.on('close', dispose);
    if (res.destroyed || req.socket.destroyed) dispose();

    let sequence = 0;
    const send = (type: string, data: unknown) => {
      if (disposed || res.writableEnded) return;
      res.write(`id: ${++sequence}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const finish = () => {
      if (!res.writableEnded) res.end();
      dispose();
    };

    try {
      const decision = await deps.slots.acquire([
        { name: 'principal', id: principal, limit: deps.limits.perPrincipal },
        { name: 'team', id: teamId, limit: deps.limits.perTeam },
      ]);
      if (!decision.allowed) {
        const limit = decision.rule.name === 'team'
          ? `${deps.limits.perTeam} per team (TRELLIS_SSE_PER_TEAM)`
          : `${deps.limits.perPrincipal} per ${auth.kind === 'user' ? 'user' : 'API key'} (TRELLIS_SSE_PER_PRINCIPAL)`;
        throw new TooManyRequestsError('sse_limit', `Too many live-event streams open: the limit is ${limit}; close a stream (another tab?) and try again`, heartbeatMs / 1000);
      }
      const { slot } = decision;
      if (!hold(() => void slot.release())) return;

      // Subscribe before reading the snapshot so nothing falls between the two.
      const pending: RunEvent[] = [];
      let ready = false;
      const deliver = (event: RunEvent) => {
        if (event.type === 'token' && res.writableLength > SLOW_CLIENT_BYTES) return;
        send(event.type, event);
        if (event.type === 'run') finish();
      };
      const unsubscribe = await deps.hub
        .subscribe(runId, (event) => (ready ? deliver(event) : pending.push(event)))
        .catch((error: unknown) => {
          deps.logger.warn({ err: (error as Error).message }, 'live events unavailable; sending the snapshot only');
          return undefined;
        });
      if (unsubscribe && !hold(unsubscribe)) return;
      const snapshot = await deps.runs.get(teamId, runId);
      if (disposed) return;

      res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
      res.flushHeaders();
      const heartbeat = setInterval(() => {
        res.write(': keep-alive\n\n');
        void slot.refresh();
      }, heartbeatMs);
      hold(() => clearInterval(heartbeat));
      // Up to 10% early, so streams opened together (after a deploy) do not all reconnect together.
      const lifetimeMs = Math.round(deps.limits.maxLifetimeMs * (1 - Math.random() * 0.1));
      const lifetime = setTimeout(() => {
        res.write(`retry: ${RECONNECT_AFTER_MS}\n\n`);
        send('reconnect', { reason: 'max_lifetime', maxLifetimeSeconds: deps.limits.maxLifetimeMs / 1000 });
        finish();
      }, lifetimeMs);
      hold(() => clearTimeout(lifetime));

      // A reconnecting client (Last-Event-ID) gets a fresh snapshot: it replaces all it missed.
      send('snapshot', snapshot);
      if (FINAL_RUN_STATUSES.has(snapshot.status)) {
        send('run', { type: 'run', runId: snapshot.runId, status: snapshot.status, output: snapshot.output, error: snapshot.error });
        return finish();
      }
      ready = true;
      for (const event of pending.splice(0)) deliver(event);
      if (!unsubscribe) finish();
    } catch (error) {
      // Before the headers: the error middleware answers (404, 429 …); nothing stays held.
      dispose();
      throw error;
    }
  };

  return {
    handler,
    get open() {
      return open;
    },
  };
}
