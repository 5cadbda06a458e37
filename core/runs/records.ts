// The one writer of run rows (table `run`): every change of a run's record goes through here, so
// what a row may go through is read in one place (docs/decisions/029-lean-run-path.md).
// - start: a row is written before its workflow runs (the start path's queue transitions live
//   in queue.ts; child runs and runs fired by Temporal schedules write theirs here, as their
//   first step, once);
// - AI spend: calls reserve and settle tokens and cost on the row as they happen;
// - end: the final state — status, error and where it happened, usage, and the whole RunState —
//   is written once, by the run itself (recordRunFinished) or, for an execution closed from
//   outside Trellis, by the reconciler. A finished row with its state answers GET run alone.
import { raw } from '@mikro-orm/core';
import type { Orm } from '../db/orm.ts';
import { RunRecord } from './entities.ts';
import { ACTIVE_RUN_STATUSES } from '../usage/service.ts';
import type { RunState } from '../../workflows/interpreter/state.ts';

/** A run's start as its workflow knows it (child runs, runs fired by a schedule). */
export interface RunStart {
  runId: string;
  teamId: string;
  workflowId: string;
  version: number;
  trigger: string;
  startedAt: string;
}

/** A run's end, as the workflow reports it. */
export interface RunEnd {
  runId: string;
  teamId?: string;
  status: string;
  endedAt: string;
  error?: string;
  usage?: { aiTokens: number; costUsd: number };
  nodeExecutions?: number;
  /** The final RunState (absent from runs that ended before it was stored). */
  state?: RunState;
}

export interface RunEndWritten {
  /** False when the row had ended already (a retried activity, or the reconciler first). */
  written: boolean;
  /** AI usage the row did not hold yet (calls made before spend was recorded per call). */
  unrecorded: { aiTokens: number; costUsd: number };
}

export type RunRecords = ReturnType<typeof createRunRecords>;

export function createRunRecords(deps: { orm: Orm; onChange?: (teamId: string) => Promise<void> }) {
  const { orm } = deps;
  const changed = async (teamId: string | undefined) => {
    if (teamId) await deps.onChange?.(teamId);
  };

  return {
    /** Reserves a run's row as running, or keeps the one a retried step wrote. */
    async reserve(run: RunStart): Promise<void> {
      await orm.em.fork().upsert(
        RunRecord,
        {
          id: run.runId, teamId: run.teamId, workflowId: run.workflowId, version: run.version, trigger: run.trigger,
          status: 'running', startedAt: new Date(run.startedAt), endedAt: null, error: null,
        },
        { onConflictFields: ['id'], onConflictAction: 'ignore' },
      );
      await changed(run.teamId);
    },

    /** True when the run has a row (written by the start path or by an earlier attempt). */
    async exists(runId: string): Promise<boolean> {
      return (await orm.em.fork().count(RunRecord, { id: runId })) > 0;
    },

    /** Takes a reservation back (admission failed for a transient reason; the retry admits afresh). */
    async remove(teamId: string, runId: string): Promise<void> {
      await orm.em.fork().nativeDelete(RunRecord, { id: runId, teamId });
      await changed(teamId);
    },

    /** A run that could not start (refused by a quota, or its workflow could not be started). */
    async failStart(teamId: string, runId: string, error: string): Promise<void> {
      await orm.em.fork().nativeUpdate(RunRecord, { id: runId, teamId, endedAt: null }, { status: 'failed', endedAt: new Date(), error });
      await changed(teamId);
    },

    /**
     * The run's end, written once: only a row that has not ended is updated, so a retried
     * activity (or one racing the reconciler) changes nothing the second time.
     */
    async finish(end: RunEnd): Promise<RunEndWritten> {
      const em = orm.em.fork();
      // AI calls record their spend on the row as they finish (core/usage/ai-spend.ts); the
      // workflow's own sum adds only what they did not record (calls made before that existed).
      const row = await em.findOne(RunRecord, { id: end.runId }, { fields: ['aiTokens', 'costUsd'] });
      const aiTokens = Math.max(0, (end.usage?.aiTokens ?? 0) - (row?.aiTokens ?? 0));
      const costUsd = Math.max(0, (end.usage?.costUsd ?? 0) - Number(row?.costUsd ?? 0));
      const unrecorded = { aiTokens, costUsd: costUsd < 1e-9 ? 0 : costUsd };
      const errorNodeId = end.state?.error?.nodeId ?? null;
      const errorCode = (errorNodeId && end.state?.nodes[errorNodeId]?.error?.type) || null;
      const updated = await em.nativeUpdate(
        RunRecord,
        { id: end.runId, endedAt: null },
        {
          status: end.status, endedAt: new Date(end.endedAt), error: end.error ?? null, errorNodeId, errorCode,
          aiTokens: raw('ai_tokens + ?', [unrecorded.aiTokens]), costUsd: raw('cost_usd + ?', [unrecorded.costUsd]), nodeExecutions: end.nodeExecutions ?? 0,
          ...(end.state ? { state: JSON.stringify({ ...end.state, status: end.status, endedAt: end.endedAt }) } : {}),
        },
      );
      await changed(end.teamId);
      return { written: updated > 0, unrecorded };
    },

    /**
     * Closes an active row whose execution closed without recording its end (the reconciler).
     * The run's own finish, or another pass, wins a race: only a row still active is updated.
     */
    async close(teamId: string, runId: string, closing: { status: string; error: string | null; endedAt: Date }): Promise<boolean> {
      const updated = await orm.em.fork().nativeUpdate(
        RunRecord,
        { id: runId, status: { $in: ACTIVE_RUN_STATUSES }, endedAt: null },
        { status: closing.status, endedAt: closing.endedAt, error: closing.error },
      );
      if (updated > 0) await changed(teamId);
      return updated > 0;
    },

    /**
     * The final state of a run that ended without storing it (closed from outside Trellis, or
     * before states were stored), as read once from Temporal: later reads need no replay.
     */
    async keepState(runId: string, state: RunState): Promise<void> {
      await orm.em.fork().nativeUpdate(RunRecord, { id: runId, state: null, endedAt: { $ne: null } }, { state: JSON.stringify(state) });
    },

    /**
     * Reserves an AI call's tokens and cost on the run's row; `within` holds the run's own
     * limits as conditions on the row. False when they leave no room.
     */
    async reserveSpend(runId: string, within: { aiTokens?: { $lte: number }; costUsd?: { $lte: number } }, tokens: number, costUsd: number): Promise<boolean> {
      const updated = await orm.em.fork().nativeUpdate(
        RunRecord,
        { id: runId, ...within },
        { aiTokens: raw('ai_tokens + ?', [tokens]), costUsd: raw('cost_usd + ?', [costUsd]) },
      );
      return updated > 0;
    },

    /** Settles a reservation with what the call used (deltas may be negative). */
    async settleSpend(runId: string, tokens: number, costUsd: number): Promise<void> {
      await orm.em.fork().nativeUpdate(RunRecord, { id: runId }, { aiTokens: raw('ai_tokens + ?', [tokens]), costUsd: raw('cost_usd + ?', [costUsd]) });
    },
  };
}
