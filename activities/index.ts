// Every side effect a run performs lives here, with its dependencies injected.
import type { Logger } from '../core/log.ts';
import type { Orm } from '../core/db/orm.ts';
import type { BlobStore } from '../core/blobs/store.ts';
import { RunRecord, WorkflowDefinition, WorkflowVersion } from '../core/db/entities.ts';
import { UserError } from '../core/errors.ts';
import { evaluate, renderTemplate, type ExpressionContext } from '../workflows/graph/expressions.ts';
import { isBlobRef } from '../workflows/interpreter/state.ts';
import { ApplicationFailure } from '@temporalio/common';
import type { Redis } from '../core/redis/client.ts';
import type { UsageService } from '../core/usage/service.ts';
import { createRunListCache } from '../core/runs/list-cache.ts';
import { createAiActivities } from './ai.ts';
import { createHttpActivities, type CredentialStore, type HttpRequestInput } from './http.ts';

export type { CredentialStore };

export interface ActivityDeps {
  orm: Orm;
  logger: Logger;
  redis: Redis;
  blobs: BlobStore;
  blobThresholdBytes: number;
  /** TRELLIS_HTTP_ALLOWLIST: private hosts the http node may reach anyway. */
  httpAllowlist: string[];
  openai: { baseUrl: string; apiKey?: string };
  credentials: CredentialStore;
  /** Team usage counters (runs, node executions, AI tokens, cost); absent in engine-only tests. */
  usage?: UsageService;
}

export interface RunStarted {
  runId: string;
  teamId: string;
  workflowId: string;
  version: number;
  trigger: string;
  startedAt: string;
}

export interface RunFinished {
  runId: string;
  teamId?: string;
  status: string;
  endedAt: string;
  error?: string;
  usage?: { aiTokens: number; costUsd: number };
  nodeExecutions?: number;
}

export interface Owner {
  teamId: string;
  runId: string;
}

/** A user mistake (bad graph input, missing workflow) must not be retried: fail at once. */
function nonRetryable(error: unknown): never {
  if (error instanceof UserError) {
    throw ApplicationFailure.create({ type: error.code, message: error.message, nonRetryable: true });
  }
  throw error;
}

/** Replaces blob references in a structure with their values. */
async function resolveRefs(value: unknown, blobs: BlobStore, teamId: string): Promise<unknown> {
  if (isBlobRef(value)) return blobs.get(value, teamId);
  if (Array.isArray(value)) return Promise.all(value.map((v) => resolveRefs(v, blobs, teamId)));
  if (value && typeof value === 'object') {
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolveRefs(v, blobs, teamId)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}

export function createActivities(deps: ActivityDeps) {
  const { blobs } = deps;
  const listCache = createRunListCache(deps.redis);
  async function recordUsage(teamId: string, delta: Parameters<UsageService['record']>[1]) {
    try {
      await deps.usage?.record(teamId, delta);
    } catch (error) {
      // A run of no stored team (the diagnostics graph) has no counters; never fail a run over it.
      deps.logger.warn({ teamId, err: (error as Error).message }, 'usage not recorded');
    }
  }
  const http = createHttpActivities({ allowlist: deps.httpAllowlist, credentials: deps.credentials, logger: deps.logger });
  const ai = createAiActivities({ openai: deps.openai, redis: deps.redis, credentials: deps.credentials, logger: deps.logger, allowlist: deps.httpAllowlist });
  return {
    /** The http node; large response bodies go to blob storage (claim check). */
    async httpRequest(input: HttpRequestInput) {
      const response = await http.httpRequest(input);
      // A response too large even for blob storage fails the node at once, without retries.
      return blobs.claimCheck({ teamId: input.call.teamId, runId: input.call.runId }, response, deps.blobThresholdBytes).catch(nonRetryable);
    },

    /** The ai node (usage and cost travel with the output, so it is not claim-checked here). */
    aiChat: ai.aiChat,

    /** Mirrors a run's start into the database; idempotent, since activities may be retried. */
    async recordRunStarted(run: RunStarted): Promise<void> {
      const em = deps.orm.em.fork();
      // Runs started through the api were counted there; schedules start runs on their own.
      if (run.trigger === 'schedule' && !(await em.findOne(RunRecord, { id: run.runId }))) await recordUsage(run.teamId, { runs: 1 });
      await em.upsert(RunRecord, {
        id: run.runId,
        teamId: run.teamId,
        workflowId: run.workflowId,
        version: run.version,
        trigger: run.trigger,
        status: 'running',
        startedAt: new Date(run.startedAt),
        endedAt: null,
        error: null,
      });
      await listCache.invalidate(run.teamId);
    },

    /** Mirrors a run's end; the row exists because recordRunStarted completed first. */
    async recordRunFinished(run: RunFinished): Promise<void> {
      const em = deps.orm.em.fork();
      const updated = await em.nativeUpdate(
        RunRecord,
        { id: run.runId, endedAt: null },
        {
          status: run.status, endedAt: new Date(run.endedAt), error: run.error ?? null,
          aiTokens: run.usage?.aiTokens ?? 0, costUsd: run.usage?.costUsd ?? 0, nodeExecutions: run.nodeExecutions ?? 0,
        },
      );
      if (run.teamId) await listCache.invalidate(run.teamId);
      // Counted once: a retried activity finds the row already ended.
      if (updated > 0 && run.teamId) await recordUsage(run.teamId, { nodeExecutions: run.nodeExecutions, aiTokens: run.usage?.aiTokens, costUsd: run.usage?.costUsd });
      deps.logger.info({ runId: run.runId, status: run.status }, 'run finished');
    },

    /** Stores a large value computed inside the workflow, returning its reference. */
    async storeValue(input: { owner: Owner; value: unknown }) {
      return blobs.put(input.owner, input.value).catch(nonRetryable);
    },

    /**
     * Evaluates an expression or renders templates over a context holding blob references:
     * the large values are loaded here, never into the workflow history.
     */
    async evaluateWithRefs(input: { owner: Owner; mode: 'expression' | 'template'; value: unknown; context: ExpressionContext }) {
      try {
        const context = (await resolveRefs(input.context, blobs, input.owner.teamId)) as ExpressionContext;
        const render = async (value: unknown): Promise<unknown> => {
          if (input.mode === 'expression') return evaluate(String(value), context);
          if (typeof value === 'string') return renderTemplate(value, context);
          if (Array.isArray(value)) return Promise.all(value.map(render));
          if (value && typeof value === 'object') {
            const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await render(v)] as const));
            return Object.fromEntries(entries);
          }
          return value;
        };
        const result = await render(input.value);
        return await blobs.claimCheck(input.owner, result, deps.blobThresholdBytes);
      } catch (error) {
        if (error instanceof Error && error.name === 'ExpressionError') {
          throw ApplicationFailure.create({ type: 'ExpressionError', message: error.message, nonRetryable: true });
        }
        return nonRetryable(error);
      }
    },

    /** The graph of a saved workflow version (the latest when no version is given). */
    async loadWorkflowVersion(input: { teamId: string; workflowId: string; version?: number }): Promise<{ graph: unknown; version: number }> {
      const em = deps.orm.em.fork();
      const workflow = await em.findOne(WorkflowDefinition, { id: input.workflowId, teamId: input.teamId, deletedAt: null });
      if (!workflow) nonRetryable(new UserError('workflow_not_found', `workflow "${input.workflowId}" was not found in this team`));
      const version = input.version ?? workflow.latestVersion;
      const row = await em.findOne(WorkflowVersion, { workflowId: workflow.id, version });
      if (!row) nonRetryable(new UserError('version_not_found', `workflow "${input.workflowId}" has no version ${version}`));
      return { graph: row.graph, version };
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
