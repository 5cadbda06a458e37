// The queue transitions of run rows (records.ts holds the others; docs/decisions/028-admission-queue.md):
//   enqueue: a new row, status "queued", startedAt = when it was accepted;
//   claim:   queued → running with dispatchedAt (a conditional update: a row is claimed once), then
//            checked against the plan: claims past it go straight back (see claim);
//   release: running → queued again, when its workflow could not be started;
//   cancel:  queued → cancelled (conditional: a row claimed meanwhile is cancelled in Temporal).
// A queued row holds no concurrency slot; a claimed one does from the moment it is claimed.
import type { Orm } from '../db/orm.ts';
import { RunRecord } from './entities.ts';
import { DEFAULT_PLAN, planLimits } from '../plans.ts';
import { Team } from '../teams/entities.ts';
import { CHILD_RUN_TRIGGERS, countActiveRootRuns } from '../usage/service.ts';
import { newRunId } from './start-run.ts';
import type { Queue as WireQueue, QueuePosition as WireQueuePosition } from '../../contract/index.ts';

export const QUEUED = 'queued';

export interface QueuedRun {
  id: string;
  teamId: string;
  workflowId: string;
  version: number;
  trigger: string;
  triggeredBy: string;
  input: unknown;
  priority: number;
  seed?: unknown;
}

/** A claimed row, with what its workflow needs to start. */
export interface ClaimedRun {
  id: string;
  teamId: string;
  workflowId: string;
  version: number;
  trigger: string;
  priority: number;
  input: string | null;
  seed: string | null;
}

/** The wire shape (contract/): what the api answers with. */
export type QueuePosition = WireQueuePosition;

/** The wire shape (contract/): what the api answers with. */
export type QueueSummary = WireQueue;

/** Runs listed in a queue summary's `next`. */
const SUMMARY_NEXT = 20;

export type RunQueue = ReturnType<typeof createRunQueue>;

export function createRunQueue(deps: { orm: Orm; onChange?: (teamId: string) => Promise<void> }) {
  const { orm } = deps;
  const changed = async (teamId: string) => deps.onChange?.(teamId);

  return {
    async enqueue(run: QueuedRun, at = new Date()): Promise<void> {
      await orm.em.fork().insert(RunRecord, {
        id: run.id, teamId: run.teamId, workflowId: run.workflowId, version: run.version, trigger: run.trigger, status: QUEUED,
        startedAt: at, endedAt: null, error: null, input: JSON.stringify(run.input ?? {}), triggeredBy: run.triggeredBy,
        aiTokens: 0, costUsd: 0, nodeExecutions: 0, priority: run.priority, dispatchedAt: null,
        seed: run.seed === undefined ? null : JSON.stringify(run.seed),
      });
      await changed(run.teamId);
    },

    /**
     * Claims up to `limit` of the team's queued root runs, first by priority, then by age. The
     * update is conditional on the row still being queued, so a row is claimed once whoever races.
     *
     * `limit` is the caller's estimate of the free slots, counted before the claim; `allowed` (the
     * plan's concurrent runs, null: unlimited) is what holds. After its claim is committed, a
     * claimer counts the team's active root runs, which include every claim committed before, and
     * puts back the excess of its own rows (the last in queue order): the last claimer to count
     * sees all earlier claims, so together they never keep more than `allowed`, even when a
     * dispatcher stalled past its Redis lock between its count and its claim. Two claimers that
     * both put rows back may leave a slot free until the next pass: `returned` says to look again.
     */
    async claim(teamId: string, limit: number, allowed: number | null, at = new Date()): Promise<{ runs: ClaimedRun[]; returned: number }> {
      if (limit <= 0) return { runs: [], returned: 0 };
      const em = orm.em.fork();
      const candidates = await em.find(
        RunRecord,
        { status: QUEUED, teamId },
        { fields: ['id'], orderBy: { priority: 'asc', startedAt: 'asc', id: 'asc' }, limit },
      );
      if (candidates.length === 0) return { runs: [], returned: 0 };
      const ids = candidates.map((c) => c.id);
      const updated = await em.nativeUpdate(RunRecord, { id: { $in: ids }, status: QUEUED }, { status: 'running', dispatchedAt: at });
      if (updated === 0) return { runs: [], returned: 0 };
      const rows = await orm.em.fork().find(
        RunRecord,
        { id: { $in: ids }, status: 'running', dispatchedAt: at, endedAt: null },
        { fields: ['id', 'teamId', 'workflowId', 'version', 'trigger', 'priority', 'input', 'seed'], orderBy: { priority: 'asc', startedAt: 'asc', id: 'asc' } },
      );
      const excess = allowed === null ? 0 : Math.min(rows.length, (await countActiveRootRuns(orm.em.fork(), teamId)) - allowed);
      const kept = excess > 0 ? rows.slice(0, rows.length - excess) : rows;
      if (excess > 0) {
        const back = rows.slice(rows.length - excess).map((r) => r.id);
        await orm.em.fork().nativeUpdate(RunRecord, { id: { $in: back }, status: 'running', dispatchedAt: at, endedAt: null }, { status: QUEUED, dispatchedAt: null });
      }
      await changed(teamId);
      return {
        runs: kept.map((r) => ({ id: r.id, teamId: r.teamId, workflowId: r.workflowId, version: r.version, trigger: r.trigger, priority: r.priority, input: r.input ?? null, seed: (r.seed as string | null | undefined) ?? null })),
        returned: Math.max(0, excess),
      };
    },

    /** Puts a claimed run back in the queue (its workflow did not start); it keeps its place. */
    async release(teamId: string, runId: string): Promise<boolean> {
      const updated = await orm.em.fork().nativeUpdate(RunRecord, { id: runId, status: 'running', endedAt: null }, { status: QUEUED, dispatchedAt: null });
      if (updated > 0) await changed(teamId);
      return updated > 0;
    },

    /** A run refused at its start (a schedule's firing over a quota): recorded as failed, never queued. */
    async recordRefused(run: Omit<QueuedRun, 'id'>, error: string, at = new Date()): Promise<string> {
      const id = newRunId();
      await orm.em.fork().insert(RunRecord, {
        id, teamId: run.teamId, workflowId: run.workflowId, version: run.version, trigger: run.trigger, status: 'failed',
        startedAt: at, endedAt: at, error, input: JSON.stringify(run.input ?? {}), triggeredBy: run.triggeredBy,
        aiTokens: 0, costUsd: 0, nodeExecutions: 0, priority: run.priority, dispatchedAt: null,
      });
      await changed(run.teamId);
      return id;
    },

    /** A claimed run whose workflow can never start (its version or graph is gone or invalid). */
    async failClaimed(teamId: string, runId: string, error: string, at = new Date()): Promise<void> {
      await orm.em.fork().nativeUpdate(RunRecord, { id: runId, status: 'running', endedAt: null }, { status: 'failed', endedAt: at, error });
      await changed(teamId);
    },

    /** queued → cancelled; false when the run is no longer queued (it was claimed meanwhile). */
    async cancelQueued(teamId: string, runId: string, at = new Date()): Promise<boolean> {
      const updated = await orm.em.fork().nativeUpdate(RunRecord, { id: runId, teamId, status: QUEUED }, { status: 'cancelled', endedAt: at, error: 'cancelled while queued' });
      if (updated > 0) await changed(teamId);
      return updated > 0;
    },

    /** Teams with at least one queued run. */
    async teamsWithQueued(): Promise<string[]> {
      const rows = (await orm.em.fork().getConnection().execute('select distinct team_id from run where status = ?', [QUEUED])) as { team_id: string }[];
      return rows.map((r) => r.team_id);
    },

    /** Where a queued run stands in its team's queue (runs that leave before it, plus one). */
    async position(row: Pick<RunRecord, 'id' | 'teamId' | 'priority' | 'startedAt'>): Promise<QueuePosition> {
      const ahead = await orm.em.fork().count(RunRecord, {
        teamId: row.teamId, status: QUEUED,
        $or: [
          { priority: { $lt: row.priority } },
          { priority: row.priority, startedAt: { $lt: row.startedAt } },
          { priority: row.priority, startedAt: row.startedAt, id: { $lt: row.id } },
        ],
      });
      return { priority: row.priority, position: ahead + 1, enqueuedAt: row.startedAt.toISOString() };
    },

    /** The team's queue at a glance (GET /api/v1/teams/{teamId}/queue). */
    async summary(teamId: string, now = new Date()): Promise<QueueSummary> {
      const em = orm.em.fork();
      const plan = (await em.findOne(Team, { id: teamId }, { fields: ['plan'] }))?.plan ?? DEFAULT_PLAN;
      const counts = (await em.getConnection().execute(
        'select priority, count(*) as n from run where team_id = ? and status = ? group by priority order by priority',
        [teamId, QUEUED],
      )) as { priority: number; n: number | string }[];
      const byPriority = counts.map((c) => ({ priority: Number(c.priority), queued: Number(c.n) }));
      const oldest = await em.findOne(RunRecord, { teamId, status: QUEUED }, { fields: ['id', 'startedAt'], orderBy: { startedAt: 'asc', id: 'asc' } });
      const next = await em.find(RunRecord, { teamId, status: QUEUED }, { fields: ['id', 'workflowId', 'priority', 'startedAt'], orderBy: { priority: 'asc', startedAt: 'asc', id: 'asc' }, limit: SUMMARY_NEXT });
      const running = await em.count(RunRecord, { teamId, status: { $in: ['running', 'waiting'] }, trigger: { $nin: CHILD_RUN_TRIGGERS } });
      return {
        queued: byPriority.reduce((sum, p) => sum + p.queued, 0),
        byPriority,
        oldest: oldest ? { runId: oldest.id, enqueuedAt: oldest.startedAt.toISOString(), waitedMs: Math.max(0, now.getTime() - oldest.startedAt.getTime()) } : null,
        running,
        allowed: planLimits(plan).concurrentRuns,
        next: next.map((row, i) => ({
          runId: row.id, workflowId: row.workflowId, priority: row.priority, position: i + 1,
          enqueuedAt: row.startedAt.toISOString(), waitedMs: Math.max(0, now.getTime() - row.startedAt.getTime()),
        })),
      };
    },
  };
}
