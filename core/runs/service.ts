// Runs over the API: start (pinned version, idempotency key, plan quotas), list from the database
// mirror, read the live state from Temporal, approve, cancel, rerun.
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Orm } from '../db/orm.ts';
import { RunIdempotency, RunRecord, WorkflowVersion } from '../db/entities.ts';
import { NotFoundError, UserError } from '../errors.ts';
import { jsonDepth, MAX_JSON_DEPTH } from '../limits/json.ts';
import { decodeCursor, encodeCursor } from '../pagination.ts';
import type { UsageService } from '../usage/service.ts';
import type { Admission } from '../usage/admission.ts';
import type { WorkflowService } from '../workflows/service.ts';
import { newRunId, startRun, type EngineSettings } from './start-run.ts';
import { finalStatusOf } from './reconciler.ts';
import type { RunListCache } from './list-cache.ts';
import { createRunStats, runSearchFilter } from './stats.ts';
import { createRunRecords } from './records.ts';
import { Graph } from '../../workflows/graph/schema.ts';
import { upstreamOf } from '../../workflows/graph/validate.ts';
import { isBlobRef, type NodeState, type RunState } from '../../workflows/interpreter/state.ts';
import { createBlobStore } from '../blobs/store.ts';
import { decide, getRunState, FINAL_RUN_STATUSES } from '../../workflows/messages.ts';
import type { TriggerType } from '../../workflows/run-graph.ts';

export type PublicRunStatus = RunState['status'];

export interface RunSummary {
  runId: string;
  workflowId: string;
  version: number;
  status: string;
  trigger: string;
  startedAt: string;
  endedAt: string | null;
  error: string | null;
  /** In lists: the workflow's name (kept after the workflow is deleted; null if unknown). */
  workflowName?: string | null;
}

export interface RunDetail extends Omit<RunSummary, 'endedAt' | 'error'> {
  endedAt?: string;
  input: unknown;
  output?: unknown;
  outputRef?: unknown;
  error?: { message: string; nodeId?: string };
  nodes: Record<string, NodeState>;
  usage: { aiTokens: number; costUsd: number };
}

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
}

const summary = (row: RunRecord): RunSummary => ({
  runId: row.id, workflowId: row.workflowId, version: row.version, status: row.status, trigger: row.trigger,
  startedAt: row.startedAt.toISOString(), endedAt: row.endedAt?.toISOString() ?? null, error: row.error ?? null,
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

export function createRunService(deps: { orm: Orm; temporal: Client; listCache?: RunListCache; engine: EngineSettings; usage: UsageService; admission: Admission; workflows: WorkflowService }) {
  const { orm, temporal, usage, admission } = deps;
  const records = createRunRecords({ orm, onChange: async (teamId) => deps.listCache?.invalidate(teamId) });
  // Only reads here (large outputs on demand); the worker's activities write blobs.
  const blobs = createBlobStore(orm, { maxBytes: Number.MAX_SAFE_INTEGER });
  const stats = createRunStats({ orm });

  async function findRow(teamId: string, runId: string): Promise<RunRecord> {
    const row = await orm.em.fork().findOne(RunRecord, { id: runId, teamId });
    if (!row) throw new NotFoundError('Run');
    return row;
  }

  async function start(teamId: string, request: StartRequest): Promise<{ runId: string; existing: boolean }> {
    // Every trigger (api, webhook, schedule, sub-workflow) comes through here: deeper input would
    // overflow the stack when it is serialised below or by Temporal.
    if (jsonDepth(request.input) > MAX_JSON_DEPTH) {
      throw new UserError('input_too_deep', `The run input nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`, { problems: [{ path: 'input', message: `nests deeper than ${MAX_JSON_DEPTH} levels` }] });
    }
    const workflow = await deps.workflows.find(teamId, request.workflowId);
    const versionNumber = request.version ?? workflow.latestVersion;
    const version = await orm.em.fork().findOne(WorkflowVersion, { workflowId: workflow.id, version: versionNumber });
    if (!version) throw new UserError('invalid_request', `Workflow ${workflow.id} has no version ${versionNumber}`, { status: 404 });
    let runId = request.runId ?? newRunId();

    if (request.idempotencyKey) {
      // The key is claimed in the database: a unique constraint decides which request of a burst wins.
      try {
        await orm.em.fork().insert(RunIdempotency, { teamId, key: request.idempotencyKey, runId, createdAt: new Date() });
      } catch (error) {
        if (!(error instanceof UniqueConstraintViolationException)) throw error;
        runId = (await orm.em.fork().findOneOrFail(RunIdempotency, { teamId, key: request.idempotencyKey })).runId;
        // A run admitted under this key is answered as is, never started again (not even after
        // Temporal's retention). Without its row, no run was admitted (refused by a quota, or the
        // request died first): this start is a new one and passes admission below.
        const admitted = await orm.em.fork().findOne(RunRecord, { id: runId, teamId });
        if (admitted) {
          // The first request may have died between writing the row and starting the workflow
          // (the api killed): the retry starts it, which is a no-op when it exists (start-run.ts).
          if (admitted.status === 'running') await relaunch(teamId, admitted, request);
          return { runId, existing: true };
        }
      }
    }

    // Reserve, then admit: the mirror row counts as active at once, and a start that finds the
    // team over a limit after reserving takes its row back. Parallel starts can only
    // under-admit (each sees the others), never overshoot, and need no lock.
    try {
      await orm.em.fork().insert(RunRecord, {
        id: runId, teamId, workflowId: workflow.id, version: versionNumber, trigger: request.trigger, status: 'running',
        startedAt: new Date(), endedAt: null, error: null, input: JSON.stringify(request.input ?? {}), triggeredBy: request.triggeredBy,
        aiTokens: 0, costUsd: 0, nodeExecutions: 0,
      });
    } catch (error) {
      // Another request with the same idempotency key reserved the run first: that one starts it.
      if (request.idempotencyKey && error instanceof UniqueConstraintViolationException) return { runId, existing: true };
      throw error;
    }
    try {
      await admission.admitRun(teamId, { trigger: request.trigger, reserved: true });
    } catch (error) {
      await records.remove(teamId, runId);
      throw error;
    }
    await deps.listCache?.invalidate(teamId);
    await usage.record(teamId, { runs: 1 });
    try {
      await launch(teamId, runId, request, workflow.id, versionNumber, version.graph);
    } catch (error) {
      await records.failStart(teamId, runId, `could not start: ${(error as Error).message}`);
      throw error;
    }
    return { runId, existing: false };
  }

  async function relaunch(teamId: string, row: RunRecord, request: StartRequest) {
    const version = await orm.em.fork().findOneOrFail(WorkflowVersion, { workflowId: row.workflowId, version: row.version });
    const input = row.input ? (JSON.parse(row.input) as unknown) : {};
    await launch(teamId, row.id, { ...request, input, trigger: row.trigger as StartRequest['trigger'] }, row.workflowId, row.version, version.graph);
  }

  async function launch(teamId: string, runId: string, request: StartRequest, workflowId: string, version: number, graph: unknown) {
    await startRun(temporal, deps.engine, {
      runId, graph: Graph.parse(graph), version, input: request.input ?? {}, teamId, workflowId, trigger: request.trigger, seed: request.seed,
      // Its row is written and marked running: the workflow does not record its start (ADR 029).
      recorded: true,
    });
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
    start,

    async list(teamId: string, query: { workflowId?: string; status?: string; q?: string; limit: number; cursor?: string }) {
      const load = async () => {
        const where: Record<string, unknown> = { teamId, trigger: { $nin: ['map', 'subworkflow'] } };
        if (query.workflowId) where.workflowId = query.workflowId;
        if (query.status) where.status = query.status;
        if (query.q) where.$and = [runSearchFilter(query.q)];
        if (query.cursor) {
          const { createdAt: startedAt, id } = decodeCursor(query.cursor);
          where.$or = [{ startedAt: { $lt: startedAt } }, { startedAt, id: { $lt: id } }];
        }
        const rows = await orm.em.fork().find(RunRecord, where, { orderBy: { startedAt: 'desc', id: 'desc' }, limit: query.limit + 1 });
        const items = rows.slice(0, query.limit);
        const last = items.at(-1);
        const names = await stats.workflowNames(teamId, items.map((row) => row.workflowId));
        return {
          items: items.map((row) => ({ ...summary(row), workflowName: names.get(row.workflowId) ?? null })),
          nextCursor: rows.length > query.limit && last ? encodeCursor({ createdAt: last.startedAt, id: last.id }) : null,
        };
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
        await records.keepState(runId, { ...live, status, ...(endedAt ? { endedAt } : {}) });
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

    async cancel(teamId: string, runId: string): Promise<void> {
      await findRow(teamId, runId);
      await temporal.workflow.getHandle(runId).cancel();
    },

    async decide(teamId: string, runId: string, input: { nodeId: string; decision: 'approve' | 'reject'; comment?: string; data?: Record<string, unknown>; actor: string }) {
      await findRow(teamId, runId);
      try {
        return await temporal.workflow.getHandle(runId).executeUpdate(decide, { args: [input] });
      } catch (error) {
        if (error instanceof WorkflowUpdateFailedError) {
          const message = error.cause?.message ?? error.message;
          if (message.startsWith('the form data is invalid')) throw new UserError('invalid_form_data', message, { status: 422 });
          throw new UserError('node_not_waiting', message, { status: 409 });
        }
        if (error instanceof WorkflowNotFoundError) throw new UserError('node_not_waiting', 'The run has finished', { status: 409 });
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
      return start(teamId, {
        workflowId: row.workflowId, version: row.version, input: row.input ? (JSON.parse(row.input) as unknown) : {},
        trigger: 'rerun', triggeredBy: actor, seed,
      });
    },
  };
  return service;
}
