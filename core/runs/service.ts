// Runs over the API: start (core/runs/intake.ts: a queued row the dispatcher starts), list from the
// database mirror, read the live state from Temporal, approve, cancel, rerun.
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { isGrpcServiceError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Orm } from '../db/orm.ts';
import { RunRecord } from './entities.ts';
import { WorkflowVersion } from '../workflows/entities.ts';
import { NotFoundError, OperationalError, UserError } from '../errors.ts';
import { decodeCursor, encodeCursor } from '../pagination.ts';
import type { UsageService } from '../usage/service.ts';
import type { Admission } from '../usage/admission.ts';
import type { WorkflowService } from '../workflows/service.ts';
import type { EngineSettings } from './start-run.ts';
import type { RunIntake, StartRequest } from './intake.ts';
import type { QueuePosition, RunQueue } from './queue.ts';
import { finalStatusOf } from './reconciler.ts';
import type { RunListCache } from './list-cache.ts';
import { createRunStats, runSearchFilter } from './stats.ts';
import { createRunRecords } from './records.ts';
import { Graph } from '../../workflows/graph/schema.ts';
import { upstreamOf } from '../../workflows/graph/validate.ts';
import { isBlobRef, type NodeState, type RunState } from '../../workflows/interpreter/state.ts';
import { createBlobStore } from '../blobs/store.ts';
import { decide, DecideFailure, getRunState, FINAL_RUN_STATUSES } from '../../workflows/messages.ts';
import type { Run as WireRun, RunSummary as WireRunSummary } from '../../contract/index.ts';

/** gRPC's code for "the operation was rejected because the system is not in a state required for it". */
const FAILED_PRECONDITION = 9;

/**
 * Temporal refuses an update while the workflow task that would carry it is failing or was lost
 * (a worker crash, overload, or the speculative task that held an earlier update failing): a
 * transient state that clears within moments.
 */
function isUpdateRefusedForNow(error: unknown): boolean {
  const grpc = isGrpcServiceError(error) ? error : (error as { cause?: unknown } | undefined)?.cause;
  return isGrpcServiceError(grpc) && grpc.code === FAILED_PRECONDITION;
}

/** Retries an update refused for now a few times (about 3 s in all), then lets the refusal through (503). */
export async function withUpdateRetries<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (attempt >= 4 || !isUpdateRefusedForNow(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    }
  }
}

export type PublicRunStatus = RunState['status'] | 'queued';
export type { StartRequest } from './intake.ts';

/** The wire shape (contract/): what the api answers with. */
export type RunSummary = WireRunSummary;

/** The wire shape (contract/): what the api answers with. */
export type RunDetail = WireRun;

const summary = (row: RunRecord): RunSummary => ({
  // The mirror row's status is one of the contract's run statuses (contract/run-status.ts).
  runId: row.id, workflowId: row.workflowId, version: row.version, status: row.status as PublicRunStatus, trigger: row.trigger,
  startedAt: row.startedAt.toISOString(), endedAt: row.endedAt?.toISOString() ?? null, error: row.error ?? null,
  priority: row.priority, waitedMs: Math.max(0, (row.dispatchedAt ?? (row.status === 'queued' ? new Date() : row.startedAt)).getTime() - row.startedAt.getTime()),
});

/** Temporal's status is the truth; the query refines "running" into running or waiting. */
function statusOf(description: WorkflowExecutionDescription, live?: RunState): PublicRunStatus {
  const final = finalStatusOf(description.status.name) as PublicRunStatus | undefined;
  if (final) return final;
  const name = description.status.name;
  if (name === 'RUNNING' || name === 'CONTINUED_AS_NEW') return live?.status === 'waiting' ? 'waiting' : 'running';
  return live?.status ?? 'running';
}

export type RunService = ReturnType<typeof createRunService>;

export function createRunService(deps: { orm: Orm; temporal: Client; intake: RunIntake; queue: RunQueue; listCache?: RunListCache; engine: EngineSettings; usage: UsageService; admission: Admission; workflows: WorkflowService }) {
  const { orm, temporal, queue } = deps;
  const records = createRunRecords({ orm, onChange: async (teamId) => deps.listCache?.invalidate(teamId) });
  // Only reads here (large outputs on demand); the worker's activities write blobs.
  const blobs = createBlobStore(orm, { maxBytes: Number.MAX_SAFE_INTEGER });
  const stats = createRunStats({ orm });

  async function findRow(teamId: string, runId: string): Promise<RunRecord> {
    const row = await orm.em.fork().findOne(RunRecord, { id: runId, teamId });
    if (!row) throw new NotFoundError('Run');
    return row;
  }

  /** The queue position of each queued run among `rows`. */
  async function withQueue<T extends { runId: string; status: string; queue?: QueuePosition }>(teamId: string, items: T[], rows: RunRecord[]): Promise<T[]> {
    const queued = rows.filter((row) => row.status === 'queued');
    if (queued.length === 0) return items;
    const positions = new Map(await Promise.all(queued.map(async (row) => [row.id, await queue.position({ ...row, teamId })] as const)));
    return items.map((item) => (positions.has(item.runId) ? { ...item, queue: positions.get(item.runId) } : item));
  }

  /** The detail of a finished run from its stored final state. */
  function finishedDetail(row: RunRecord, state: RunState): RunDetail {
    const { endedAt: _mirrorEnd, error: _mirrorError, ...base } = summary(row);
    const error = state.error ?? (row.error ? { message: row.error } : undefined);
    return {
      ...base,
      endedAt: (row.endedAt as Date).toISOString(),
      input: row.input ? (JSON.parse(row.input) as unknown) : {},
      ...(state.output !== undefined ? { output: state.output } : {}),
      ...(state.outputRef ? { outputRef: state.outputRef } : {}),
      ...(error ? { error } : {}),
      nodes: state.nodes,
      usage: state.usage,
    };
  }

  const service = {
    start: (teamId: string, request: StartRequest) => deps.intake.start(teamId, request),

    async list(teamId: string, query: { workflowId?: string; status?: string; q?: string; limit: number; cursor?: string }) {
      const load = async () => {
        const where: Record<string, unknown> = { teamId, trigger: { $nin: ['map', 'subworkflow'] } };
        if (query.workflowId) where.workflowId = query.workflowId;
        if (query.status) where.status = query.status;
        if (query.q) where.$and = [runSearchFilter(teamId, query.q)];
        if (query.cursor) {
          const { createdAt: startedAt, id } = decodeCursor(query.cursor);
          where.$or = [{ startedAt: { $lt: startedAt } }, { startedAt, id: { $lt: id } }];
        }
        const rows = await orm.em.fork().find(RunRecord, where, { orderBy: { startedAt: 'desc', id: 'desc' }, limit: query.limit + 1 });
        const items = rows.slice(0, query.limit);
        const last = items.at(-1);
        const names = await stats.workflowNames(teamId, items.map((row) => row.workflowId));
        const page = {
          items: items.map((row) => ({ ...summary(row), workflowName: names.get(row.workflowId) ?? null })),
          nextCursor: rows.length > query.limit && last ? encodeCursor({ createdAt: last.startedAt, id: last.id }) : null,
        };
        page.items = await withQueue(teamId, page.items, items);
        return page;
      };
      return deps.listCache ? deps.listCache.read(teamId, query, load) : load();
    },

    /**
     * A finished run with its final state stored is read from the database alone (no Temporal,
     * no worker replay: ADR 029). A live one is the mirror merged with the workflow's own state
     * (Temporal's status wins).
     */
    async get(teamId: string, runId: string): Promise<RunDetail> {
      const row = await orm.em.fork().findOne(RunRecord, { id: runId, teamId }, { populate: ['state'] });
      if (!row) throw new NotFoundError('Run');
      if (row.endedAt && row.state) return finishedDetail(row, JSON.parse(row.state) as RunState);
      if (row.status === 'queued') {
        // Not in Temporal yet: its row says all there is.
        const { endedAt: _end, error: _error, ...base } = summary(row);
        const [detail] = await withQueue(teamId, [{ ...base, input: row.input ? (JSON.parse(row.input) as unknown) : {}, nodes: {}, usage: { aiTokens: 0, costUsd: 0 } } as RunDetail], [row]);
        return detail as RunDetail;
      }
      const handle = temporal.workflow.getHandle(runId);
      let description: WorkflowExecutionDescription | undefined;
      let live: RunState | undefined;
      try {
        description = await handle.describe();
        // Queries need a worker; with none, the run still shows its true status from describe().
        live = await Promise.race([handle.query(getRunState), new Promise<undefined>((r) => setTimeout(() => r(undefined), 3_000).unref())]);
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError) && description === undefined) throw error;
      }
      const status = description ? statusOf(description, live) : (row.status as PublicRunStatus);
      const endedAt = description?.closeTime?.toISOString() ?? live?.endedAt ?? row.endedAt?.toISOString();
      const { endedAt: _mirrorEnd, error: _mirrorError, ...base } = summary(row);
      const detail: RunDetail = {
        ...base,
        status,
        ...(endedAt ? { endedAt } : {}),
        input: row.input ? (JSON.parse(row.input) as unknown) : {},
        ...(live?.output !== undefined ? { output: live.output } : {}),
        ...(live?.outputRef ? { outputRef: live.outputRef } : {}),
        ...(live?.error ? { error: live.error } : row.error ? { error: { message: row.error } } : {}),
        nodes: live?.nodes ?? {},
        usage: live?.usage ?? { aiTokens: row.aiTokens, costUsd: Number(row.costUsd) },
      };
      // Ended without storing its state (closed outside Trellis, or before states were stored):
      // what the worker answered is final and complete, kept so that no later read replays it.
      if (live && description && FINAL_RUN_STATUSES.has(status) && row.endedAt) {
        await records.keepState(runId, { ...live, status: status as RunState['status'], ...(endedAt ? { endedAt } : {}) });
      }
      return detail;
    },

    /**
     * A node's whole output (or the run's, for nodeId undefined), loaded from blob storage when
     * it was too large to travel with the run state — the run view asks for these on demand.
     */
    async output(teamId: string, runId: string, nodeId?: string): Promise<unknown> {
      const run = await service.get(teamId, runId);
      let value: unknown;
      if (nodeId === undefined) {
        value = run.outputRef ?? run.output;
      } else {
        const node = Object.hasOwn(run.nodes, nodeId) ? run.nodes[nodeId] : undefined;
        if (!node) throw new NotFoundError(`Node ${nodeId} of this run`);
        value = node.outputRef ?? node.output;
      }
      return isBlobRef(value) ? blobs.get(value, teamId) : (value ?? null);
    },

    /** A queued run is cancelled in its row; a dispatched one through its workflow. */
    async cancel(teamId: string, runId: string): Promise<'cancelled' | 'cancelling'> {
      const row = await findRow(teamId, runId);
      if (row.status === 'queued' && (await queue.cancelQueued(teamId, runId))) return 'cancelled';
      // Claimed meanwhile: its workflow may take a moment to exist.
      for (let attempt = 0; ; attempt++) {
        try {
          await temporal.workflow.getHandle(runId).cancel();
          return 'cancelling';
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError) || row.endedAt || attempt >= 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    },

    async decide(teamId: string, runId: string, input: { nodeId: string; decision: 'approve' | 'reject'; comment?: string; data?: Record<string, unknown>; actor: string }) {
      const row = await findRow(teamId, runId);
      if (row.status === 'queued') throw new UserError('node_not_waiting', 'The run is queued: none of its nodes has started yet', { status: 409 });
      try {
        return await withUpdateRetries(() => temporal.workflow.getHandle(runId).executeUpdate(decide, { args: [input] }));
      } catch (error) {
        if (error instanceof WorkflowUpdateFailedError) {
          // The validator's ApplicationFailure type says why (workflows/messages.ts DecideFailure).
          const message = error.cause?.message ?? error.message;
          const code = error.cause instanceof ApplicationFailure ? error.cause.type : undefined;
          if (code === DecideFailure.InvalidFormData) throw new UserError('invalid_form_data', message, { status: 422 });
          if (code === DecideFailure.InvalidDecision) throw new UserError('invalid_request', message, { status: 400 });
          throw new UserError('node_not_waiting', message, { status: 409 });
        }
        if (error instanceof WorkflowNotFoundError) throw new UserError('node_not_waiting', 'The run has finished', { status: 409 });
        if (isUpdateRefusedForNow(error)) {
          throw new OperationalError('run_busy', 'The run is recovering from an interrupted step; try again in a few seconds', { status: 503, cause: error });
        }
        throw error;
      }
    },

    /** A new run of the same version and input; from a node, reusing the outputs upstream of it. */
    async rerun(teamId: string, runId: string, actor: string, fromNode?: string) {
      const row = await findRow(teamId, runId);
      let seed: Record<string, NodeState> | undefined;
      if (fromNode) {
        const version = await orm.em.fork().findOneOrFail(WorkflowVersion, { workflowId: row.workflowId, version: row.version });
        const graph = Graph.parse(version.graph);
        if (!graph.nodes.some((n) => n.id === fromNode)) {
          throw new UserError('invalid_request', `The run's graph has no node "${fromNode}"`, { problems: [{ path: 'fromNode', message: 'unknown node' }] });
        }
        const original = await service.get(teamId, runId);
        seed = {};
        for (const id of upstreamOf(graph, fromNode)) {
          const state = original.nodes[id];
          if (state && (state.status === 'succeeded' || state.status === 'skipped')) seed[id] = state;
        }
      }
      return deps.intake.start(teamId, {
        workflowId: row.workflowId, version: row.version, input: row.input ? (JSON.parse(row.input) as unknown) : {},
        trigger: 'rerun', triggeredBy: actor, seed,
      });
    },
  };
  return service;
}
