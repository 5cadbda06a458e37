// Keeps the run records in step with Temporal. A run's workflow writes its own final state
// (recordRunFinished), but an execution closed from outside Trellis — terminated or cancelled in
// the Temporal UI or CLI, timed out, or failed before that activity ran — never does, and a
// start that died between writing the row and starting the workflow leaves a row with no
// execution at all. Either row would stay "running" and hold one of its team's concurrency slots
// for good. A pass describes active rows in Temporal and closes those whose execution is closed.
// A root run claimed by the dispatcher whose execution is missing past a grace period (the
// process died between the claim and the start) is started again, never failed: the start is a
// no-op if it exists by then (ADR 028). Other rows missing their execution are closed as failed.
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Orm } from '../db/orm.ts';
import { RunRecord } from './entities.ts';
import type { Logger } from '../log.ts';
import type { Redis } from '../redis/client.ts';
import { ACTIVE_RUN_STATUSES } from '../usage/service.ts';
import type { RunListCache } from './list-cache.ts';
import { kickDispatch, launchRun } from './dispatcher.ts';
import type { EngineSettings } from './start-run.ts';
import { CHILD_RUN_TRIGGERS } from '../usage/service.ts';
import { createRunRecords } from './records.ts';

export interface ReconcilerSettings {
  /** Time between passes; also how long one replica holds the pass for itself. */
  intervalMs: number;
  /** How old a row without an execution must be before it is closed (its start may still be under way). */
  graceMs: number;
  /** Rows described per pass; a cursor walks the rest over the next passes. */
  batchSize?: number;
}

export interface ReconcileOutcome {
  checked: number;
  closed: { runId: string; teamId: string; status: string }[];
  /** Claimed runs whose start was lost, started again. */
  relaunched: string[];
}

/** Past this, a claimed row without an execution is not started again (its history may be past retention). */
const RELAUNCH_WITHIN_MS = 24 * 3600 * 1000;

const LOCK_KEY = 'trellis:runs:reconciler';
const DESCRIBE_CONCURRENCY = 8;

/** The run status a closed execution maps to (the API's statuses: docs/api.md). */
export function finalStatusOf(name: WorkflowExecutionDescription['status']['name']): string | undefined {
  switch (name) {
    case 'COMPLETED':
      return 'succeeded';
    case 'FAILED':
      return 'failed';
    case 'TIMED_OUT':
      return 'timed_out';
    case 'CANCELLED':
    case 'TERMINATED':
      return 'cancelled';
    default:
      // RUNNING, CONTINUED_AS_NEW (describe follows the chain, so not seen in practice), unknown.
      return undefined;
  }
}

export type RunReconciler = ReturnType<typeof createRunReconciler>;

export function createRunReconciler(deps: { orm: Orm; temporal: Client; redis: Redis; listCache?: RunListCache; logger?: Logger; settings: ReconcilerSettings; engine?: EngineSettings }) {
  const { orm, temporal, settings } = deps;
  const batchSize = settings.batchSize ?? 200;
  const records = createRunRecords({ orm });
  let cursor = '';

  /** What a row's execution says, or undefined while it is still open (or Temporal did not answer). */
  async function verdict(row: Pick<RunRecord, 'id' | 'startedAt' | 'dispatchedAt' | 'trigger'>, now: number): Promise<{ status: string; error: string | null; endedAt: Date } | 'relaunch' | undefined> {
    let description: WorkflowExecutionDescription;
    try {
      description = await temporal.workflow.getHandle(row.id).describe();
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      const since = (row.dispatchedAt ?? row.startedAt).getTime();
      if (now - since < settings.graceMs) return undefined;
      if (deps.engine && row.dispatchedAt && !CHILD_RUN_TRIGGERS.includes(row.trigger) && now - since < RELAUNCH_WITHIN_MS) return 'relaunch';
      return {
        status: 'failed', endedAt: new Date(now),
        error: 'The run ended outside Trellis: its workflow execution does not exist in Temporal (the start never completed, or the history is past retention)',
      };
    }
    const status = finalStatusOf(description.status.name);
    if (!status) return undefined;
    const how = description.status.name.toLowerCase().replace('_', ' ');
    // A completed execution has its output in Temporal; only the record of its end was lost.
    const error = status === 'succeeded' ? null : `The run ended outside Trellis: its workflow execution was ${how} in Temporal`;
    return { status, error, endedAt: description.closeTime ?? new Date(now) };
  }

  /** Starts a claimed run again (its whole row is read only now: inputs may be large). */
  async function relaunch(runId: string): Promise<boolean> {
    const row = await orm.em.fork().findOne(RunRecord, { id: runId, status: 'running', endedAt: null }, { populate: ['seed'] });
    if (!row || !deps.engine) return false;
    try {
      await launchRun({ orm, temporal, engine: deps.engine }, {
        id: row.id, teamId: row.teamId, workflowId: row.workflowId, version: row.version, trigger: row.trigger, priority: row.priority,
        input: row.input ?? null, seed: (row.seed as string | null | undefined) ?? null,
      });
    } catch (error) {
      deps.logger?.warn({ runId, err: (error as Error).message }, 'run reconciler: relaunch failed (the next pass tries again)');
      return false;
    }
    deps.logger?.warn({ runId, teamId: row.teamId }, 'run reconciler: a claimed run had no workflow execution; started it again');
    return true;
  }

  /** One pass over (at most batchSize) active rows; idempotent, so overlapping passes do no harm. */
  async function reconcileOnce(now = Date.now()): Promise<ReconcileOutcome> {
    const em = orm.em.fork();
    const rows = await em.find(
      RunRecord,
      { status: { $in: ACTIVE_RUN_STATUSES }, endedAt: null, id: { $gt: cursor } },
      { fields: ['id', 'teamId', 'startedAt', 'dispatchedAt', 'trigger'], orderBy: { id: 'asc' }, limit: batchSize },
    );
    // A short page means the walk reached the end: the next pass starts again from the beginning.
    cursor = rows.length < batchSize ? '' : rows.at(-1)!.id;
    const outcome: ReconcileOutcome = { checked: rows.length, closed: [], relaunched: [] };
    for (let i = 0; i < rows.length; i += DESCRIBE_CONCURRENCY) {
      await Promise.all(
        rows.slice(i, i + DESCRIBE_CONCURRENCY).map(async (row) => {
          const closing = await verdict(row, now).catch((error: unknown) => {
            deps.logger?.warn({ runId: row.id, err: (error as Error).message }, 'run reconciler: describe failed');
            return undefined;
          });
          if (!closing) return;
          if (closing === 'relaunch') {
            if (await relaunch(row.id)) outcome.relaunched.push(row.id);
            return;
          }
          // Only a row still active: the run's own recordRunFinished (or another pass) wins a race.
          if (!(await records.close(row.teamId, row.id, closing))) return;
          outcome.closed.push({ runId: row.id, teamId: row.teamId, status: closing.status });
          deps.logger?.warn({ runId: row.id, teamId: row.teamId, status: closing.status }, closing.error ?? 'run reconciler: closed a run whose end was not recorded');
        }),
      );
    }
    for (const teamId of new Set(outcome.closed.map((c) => c.teamId))) {
      await deps.listCache?.invalidate(teamId);
      // Each closed run freed a slot a queued run of its team may take.
      await kickDispatch(deps.redis, teamId);
    }
    return outcome;
  }

  /**
   * A pass unless another replica ran one within the interval (a Redis key held for the interval,
   * never released early). With Redis unreachable every replica passes: harmless, just more describes.
   */
  async function tick(): Promise<ReconcileOutcome | undefined> {
    const won = await deps.redis.set(LOCK_KEY, String(process.pid), 'PX', settings.intervalMs, 'NX').then(
      (reply) => reply === 'OK',
      () => true,
    );
    if (!won) return undefined;
    return reconcileOnce();
  }

  /** Runs tick() every interval until the returned stop() is called. */
  function start(): () => void {
    let running = false;
    const run = () => {
      if (running) return;
      running = true;
      tick()
        .catch((error: unknown) => deps.logger?.warn({ err: (error as Error).message }, 'run reconciler pass failed'))
        .finally(() => (running = false));
    };
    const timer = setInterval(run, settings.intervalMs);
    timer.unref();
    run();
    return () => clearInterval(timer);
  }

  return { reconcileOnce, tick, start };
}
