// The entities of runs: a run's row (the queue and the record of its life, ADR 028/029) and the
// idempotency keys of run starts.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** The database mirror of a run's summary, written by activities at start and end. */
export const RunRecord = defineEntity({
  name: 'RunRecord',
  tableName: 'run',
  properties: {
    id: p.string().primary(),
    teamId: p.string().index(),
    workflowId: p.string().index(),
    version: p.integer(),
    trigger: p.string(),
    status: p.string(),
    startedAt: p.datetime(),
    endedAt: p.datetime().nullable(),
    error: p.text().nullable(),
    /** The run's input as JSON text (shown by GET …/runs/{id}; reused by rerun). */
    input: p.text().nullable(),
    /** What started it: the webhook or schedule id, the user or API key id. */
    triggeredBy: p.string().nullable(),
    aiTokens: p.integer().default(0),
    costUsd: p.double().default(0),
    nodeExecutions: p.integer().default(0),
    /** 1–5, 1 first: the order runs leave the team's queue in (ADR 028). */
    priority: p.integer().default(3),
    /** When the run left the queue for Temporal; null while status is "queued". */
    dispatchedAt: p.datetime().nullable(),
    /** The final RunState as JSON (nodes, output, error, usage), written once at the end (ADR 029). */
    state: p.text().nullable().lazy(),
    /** The node a failed run failed at, and the failure's code (the failures view groups by them). */
    errorNodeId: p.string().nullable(),
    errorCode: p.string().nullable(),
    /** Node states a rerun from a node reuses, kept while the run is queued (JSON). */
    seed: p.text().nullable().lazy(),
  },
});
export type RunRecord = InferEntity<typeof RunRecord>;

/** Idempotency keys of run starts, kept beyond Temporal's retention. */
export const RunIdempotency = defineEntity({
  name: 'RunIdempotency',
  tableName: 'run_idempotency',
  properties: {
    teamId: p.string().primary(),
    key: p.string().primary(),
    runId: p.string(),
    createdAt: p.datetime(),
  },
});
export type RunIdempotency = InferEntity<typeof RunIdempotency>;
