// A periodic background pass (sweepers): runs now and then every interval, never two passes at
// once; a failed pass is reported and the next one runs as usual. And the one sweeper of the
// outboxes (mail, notifications), which start a delivery workflow per recorded row.
import type { Logger } from './log.ts';

/** Starts `pass`; returns stop(). The timer does not keep the process alive. */
export function every(intervalMs: number, pass: () => Promise<unknown>, onError: (error: unknown) => void): () => void {
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    pass()
      .catch(onError)
      .finally(() => (running = false));
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return () => clearInterval(timer);
}

/** How long a recorded row may wait for its own start before the sweeper starts it. */
const OUTBOX_SWEEP_GRACE_MS = 10_000;
const OUTBOX_SWEEP_BATCH = 200;

/**
 * Starts the deliveries an outbox recorded but never started (the process died between the
 * insert and the start, or Temporal was away), oldest first; stops at the first failure, since
 * Temporal is then still away and the next pass tries again.
 */
export function outboxSweeper(deps: {
  /** In logs: "mail", "notification". */
  name: string;
  logger: Logger;
  /** Ids of rows queued and not started, recorded before `before`, oldest first. */
  unstarted: (before: Date, limit: number) => Promise<string[]>;
  start: (id: string) => Promise<void>;
}) {
  const { name, logger } = deps;
  async function sweepOnce(now = Date.now()): Promise<{ started: number }> {
    let started = 0;
    for (const id of await deps.unstarted(new Date(now - OUTBOX_SWEEP_GRACE_MS), OUTBOX_SWEEP_BATCH)) {
      try {
        await deps.start(id);
        started++;
      } catch (error) {
        logger.warn({ id, err: (error as Error).message }, `${name} sweeper: start failed`);
        break;
      }
    }
    if (started > 0) logger.info({ started }, `${name} sweeper started deliveries that were recorded but not started`);
    return { started };
  }
  function startSweeper(intervalMs: number): () => void {
    return every(intervalMs, sweepOnce, (error) => logger.warn({ err: (error as Error).message }, `${name} sweeper pass failed`));
  }
  return { sweepOnce, startSweeper };
}
