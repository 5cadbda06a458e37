// The one start path of root runs — the API, webhook deliveries, reruns and schedules
// (docs/decisions/028-admission-queue.md): input checks → workflow and version → idempotency →
// monthly quota (never refused for concurrency) → a queued row → usage → a kick to the
// dispatcher. It never waits for Temporal, so it answers as soon as the run is durably recorded.
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Orm } from '../db/orm.ts';
import { RunIdempotency, RunRecord } from './entities.ts';
import { WorkflowVersion } from '../workflows/entities.ts';
import { UserError } from '../errors.ts';
import { jsonDepth, MAX_JSON_DEPTH } from '../limits/json.ts';
import type { Admission } from '../usage/admission.ts';
import type { UsageService } from '../usage/service.ts';
import type { WorkflowService } from '../workflows/service.ts';
import type { NodeState } from '../../workflows/interpreter/state.ts';
import type { TriggerType } from '../../workflows/inputs.ts';
import type { RunQueue } from './queue.ts';
import { newRunId } from './start-run.ts';

export const DEFAULT_PRIORITY = 3;
export const MIN_PRIORITY = 1;
export const MAX_PRIORITY = 5;

export interface StartRequest {
  workflowId: string;
  version?: number;
  input?: unknown;
  idempotencyKey?: string;
  trigger: TriggerType;
  triggeredBy: string;
  /** A known run id (webhook deliveries pick theirs before starting). */
  runId?: string;
  seed?: Record<string, NodeState>;
  /** 1–5, 1 first (default 3). */
  priority?: number;
}

export interface StartAnswer {
  runId: string;
  /** True when an earlier request with the same idempotency key started it. */
  existing: boolean;
  /** "queued" for a new run; an existing one's current status. */
  status: string;
}

/** Refuses a priority outside 1–5 (400, naming where it came from). */
export function requirePriority(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_PRIORITY || value > MAX_PRIORITY) {
    throw new UserError('invalid_priority', `${path} must be an integer from ${MIN_PRIORITY} (first) to ${MAX_PRIORITY}`, { problems: [{ path, message: `must be an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}` }] });
  }
  return value;
}

export type RunIntake = ReturnType<typeof createRunIntake>;

export function createRunIntake(deps: { orm: Orm; usage: UsageService; admission: Admission; workflows: WorkflowService; queue: RunQueue; kick: (teamId: string) => void }) {
  const { orm } = deps;

  async function start(teamId: string, request: StartRequest): Promise<StartAnswer> {
    // Deeper input would overflow the stack when it is serialised below or by Temporal.
    if (jsonDepth(request.input) > MAX_JSON_DEPTH) {
      throw new UserError('input_too_deep', `The run input nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`, { problems: [{ path: 'input', message: `nests deeper than ${MAX_JSON_DEPTH} levels` }] });
    }
    const priority = request.priority === undefined ? DEFAULT_PRIORITY : requirePriority(request.priority, 'priority');
    const workflow = await deps.workflows.find(teamId, request.workflowId);
    const version = request.version ?? workflow.latestVersion;
    if (request.version !== undefined && request.version !== workflow.latestVersion) {
      const found = await orm.em.fork().count(WorkflowVersion, { workflowId: workflow.id, version });
      if (found === 0) throw new UserError('invalid_request', `Workflow ${workflow.id} has no version ${version}`, { status: 404 });
    }
    let runId = request.runId ?? newRunId();

    if (request.idempotencyKey) {
      // The key is claimed in the database: a unique constraint decides which request of a burst wins.
      try {
        await orm.em.fork().insert(RunIdempotency, { teamId, key: request.idempotencyKey, runId, createdAt: new Date() });
      } catch (error) {
        if (!(error instanceof UniqueConstraintViolationException)) throw error;
        runId = (await orm.em.fork().findOneOrFail(RunIdempotency, { teamId, key: request.idempotencyKey })).runId;
        // A run admitted under this key is answered as is, never started again (its row queues
        // it; the dispatcher or the reconciler starts it). Without its row, no run was admitted
        // (refused by a quota, or the request died first): this start is a new one.
        const admitted = await orm.em.fork().findOne(RunRecord, { id: runId, teamId }, { fields: ['status'] });
        if (admitted) return { runId, existing: true, status: admitted.status };
      }
    }

    await deps.admission.admitRun(teamId, { trigger: request.trigger });
    try {
      await deps.queue.enqueue({
        id: runId, teamId, workflowId: workflow.id, version, trigger: request.trigger, triggeredBy: request.triggeredBy,
        input: request.input ?? {}, priority, seed: request.seed,
      });
    } catch (error) {
      // Another request with the same idempotency key wrote the run first: that one queued it.
      if (request.idempotencyKey && error instanceof UniqueConstraintViolationException) return { runId, existing: true, status: 'queued' };
      throw error;
    }
    await deps.usage.record(teamId, { runs: 1 });
    deps.kick(teamId);
    return { runId, existing: false, status: 'queued' };
  }

  return { start };
}
