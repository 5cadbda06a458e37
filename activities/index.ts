// Every side effect a run performs lives here, with its dependencies injected.
import type { Logger } from '../core/log.ts';
import type { Orm } from '../core/db/orm.ts';
import type { BlobStore } from '../core/blobs/store.ts';
import { WorkflowDefinition, WorkflowVersion } from '../core/workflows/entities.ts';
import { UserError } from '../core/errors.ts';
import { ExpressionError, ExpressionLimitError, type ExpressionContext } from '../workflows/graph/expressions.ts';
import type { ExpressionPool } from './expressions/pool.ts';
import { isBlobRef, type BlobRef } from '../workflows/interpreter/state.ts';
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { Redis } from '../core/redis/client.ts';
import { CHILD_RUN_TRIGGERS, type UsageService } from '../core/usage/service.ts';
import { createRunListCache } from '../core/runs/list-cache.ts';
import { createRunRecords, type RunEnd, type RunStart } from '../core/runs/records.ts';
import { kickDispatch } from '../core/runs/dispatcher.ts';
import { createAdmissionActivities } from './admission.ts';
import { createScheduledRunActivities } from './scheduled-runs.ts';
import { createAiActivities, type AiDeps, type AiLimits } from './ai.ts';
import { createChatCompletions } from './ai-chat.ts';
import { createAgentActivities, requireToolArguments } from './agent.ts';
import { createMcpClient } from './mcp-client.ts';
import { createAiSpendLedger } from '../core/usage/ai-spend.ts';
import { createHttpActivities, type CredentialStore, type HttpRequestInput } from './http.ts';
import { createHttpBufferBudget, type HttpBufferBudgetOptions } from './http-budget.ts';
import type { Notifier } from '../core/notifications/notifier.ts';
import type { RunMetrics } from '../core/metrics/run-metrics.ts';

export type { CredentialStore };

export interface ActivityDeps {
  orm: Orm;
  logger: Logger;
  redis: Redis;
  blobs: BlobStore;
  blobThresholdBytes: number;
  /** TRELLIS_HTTP_ALLOWLIST: private hosts the http node may reach anyway. */
  httpAllowlist: string[];
  /** TRELLIS_HTTP_PORTS: destination ports the http node may use; activities/ssrf.ts DEFAULT_HTTP_PORTS when absent. */
  httpPorts?: string;
  /** Worker-wide memory budget for buffered http bodies (config.http.buffer); the default budget when absent. */
  httpBuffer?: HttpBufferBudgetOptions;
  openai: { baseUrl: string; apiKey?: string };
  credentials: CredentialStore;
  /** The runner processes that evaluate expressions and templates under limits. */
  expressions: ExpressionPool;
  /** Team usage counters (runs, node executions, AI tokens, cost); absent in engine-only tests. */
  usage?: UsageService;
  /** Models, max_tokens and reply bytes of AI calls (config.ai); the defaults when absent. */
  ai?: AiLimits;
  /** The worker's run, node and AI metrics (core/metrics/run-metrics.ts); absent: nothing counted. */
  metrics?: RunMetrics;
  /** Records run, approval and quota notifications (core/notifications); absent: none are sent. */
  notifications?: Pick<Notifier, 'runEnded' | 'approvalWaiting'>;
}

export type RunStarted = RunStart;
export type RunFinished = RunEnd;

export interface Owner {
  teamId: string;
  runId: string;
}

export interface EvaluateInput {
  owner: Owner;
  mode: 'expression' | 'template';
  value: unknown;
  context: ExpressionContext;
  claim?: boolean;
}

/** A rendered setting travels in the history: keep it well under Temporal's 2 MB payload limit. */
const INLINE_RESULT_BYTES = 1024 * 1024;

function hasRefsIn(value: unknown): boolean {
  if (isBlobRef(value)) return true;
  if (Array.isArray(value)) return value.some(hasRefsIn);
  if (value && typeof value === 'object') return Object.values(value).some(hasRefsIn);
  return false;
}

/** The current activity's cancellation signal: a cancelled evaluation leaves the queue. */
function activitySignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
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
  const http = createHttpActivities({
    allowlist: deps.httpAllowlist, ports: deps.httpPorts, credentials: deps.credentials, logger: deps.logger, bufferBudget: createHttpBufferBudget(deps.httpBuffer),
  });
  const records = createRunRecords({ orm: deps.orm, onChange: (teamId) => listCache.invalidate(teamId) });
  const admission = createAdmissionActivities({ orm: deps.orm, redis: deps.redis, records });

  /**
   * Everything that follows a run's end, once per run (its row was written by this call): usage,
   * the freed slot, the log. What else reacts to a run's end (metrics, notifications) goes here.
   */
  async function runEnded(run: RunFinished, unrecorded: { aiTokens: number; costUsd: number }): Promise<void> {
    if (run.teamId) {
      await recordUsage(run.teamId, { nodeExecutions: run.nodeExecutions, ...unrecorded });
      // A queued run of the team may take the slot this one held.
      await kickDispatch(deps.redis, run.teamId);
    }
    await deps.notifications?.runEnded(run.runId, run.teamId);
    deps.logger.info({ runId: run.runId, status: run.status }, 'run finished');
  }
  const aiDeps: AiDeps = {
    openai: deps.openai, redis: deps.redis, credentials: deps.credentials, logger: deps.logger, allowlist: deps.httpAllowlist, limits: deps.ai, metrics: deps.metrics,
    // Team quotas are kept where usage is; engine-only workers check the runs' own limits alone.
    spend: deps.usage ? createAiSpendLedger({ orm: deps.orm }) : undefined,
  };
  // One provider client cache and spend guard for the ai node and the agent's turns.
  const chat = createChatCompletions(aiDeps);
  const ai = createAiActivities(aiDeps, chat);
  const agent = createAgentActivities({
    orm: deps.orm,
    logger: deps.logger,
    chat,
    http,
    mcp: createMcpClient({ credentials: deps.credentials, allowlist: deps.httpAllowlist, ports: deps.httpPorts, logger: deps.logger }),
    renderTemplate: ({ teamId, runId, value, context }) =>
      evaluateIsolated({ owner: { teamId, runId }, mode: 'template', value, context: context as unknown as ExpressionContext }),
  });
  /**
   * Evaluates an expression or renders a value's templates in the expression pool, under its
   * limits. Blob references in the context are loaded here, never into the workflow history.
   * Run as a local activity: the result is recorded once and never evaluated again on replay.
   * `claim`: a result over the blob threshold is stored and referenced (transform, output);
   * otherwise it must fit in the history as it is.
   */
  async function evaluateIsolated(input: EvaluateInput): Promise<unknown> {
    try {
      const context = hasRefsIn(input.context) ? ((await resolveRefs(input.context, blobs, input.owner.teamId)) as ExpressionContext) : input.context;
      const result = await deps.expressions.evaluate({ teamId: input.owner.teamId, mode: input.mode, value: input.value, context, signal: activitySignal() });
      if (input.claim) return await blobs.claimCheck(input.owner, result, deps.blobThresholdBytes);
      const bytes = JSON.stringify(result ?? null).length;
      if (bytes > INLINE_RESULT_BYTES) {
        throw new ExpressionLimitError(String(input.value).slice(0, 200), 'output_bytes', `a value of ${bytes} bytes exceeds the limit of ${INLINE_RESULT_BYTES} for a node's settings`);
      }
      return result;
    } catch (error) {
      if (error instanceof ExpressionLimitError) {
        throw ApplicationFailure.create({ type: 'expression_limit', message: error.message, nonRetryable: true, details: [{ limit: error.limit }] });
      }
      if (error instanceof ExpressionError) throw ApplicationFailure.create({ type: 'ExpressionError', message: error.message, nonRetryable: true });
      return nonRetryable(error);
    }
  }

  return {
    // A schedule's firing queues its run through the one start path (workflows/scheduled-run.ts).
    ...createScheduledRunActivities({ orm: deps.orm, redis: deps.redis, usage: deps.usage, logger: deps.logger, onRunsChanged: (teamId) => listCache.invalidate(teamId) }),

    /** The http node; large response bodies go to blob storage (claim check). */
    async httpRequest(input: HttpRequestInput) {
      const response = await http.httpRequest(input);
      // A response too large even for blob storage fails the node at once, without retries.
      return blobs.claimCheck({ teamId: input.call.teamId, runId: input.call.runId }, response, deps.blobThresholdBytes).catch(nonRetryable);
    },

    /** The ai node (usage and cost travel with the output, so it is not claim-checked here). */
    aiChat: ai.aiChat,

    /** The agent node's steps: tools prepared once, then model turns and tool calls (activities/agent.ts). */
    agentPrepareTools: agent.agentPrepareTools,
    agentTurn: agent.agentTurn,
    agentHttpTool: agent.agentHttpTool,
    agentMcpTool: agent.agentMcpTool,

    /**
     * The row of a run that no start path wrote: a child run (admitted by its parent) or a run
     * fired by a Temporal schedule (admitted here, its first step). Written once, idempotent
     * under retries; a row that exists (the start path wrote it) is left as it is.
     */
    async recordRunStarted(run: RunStarted): Promise<void> {
      if (await records.exists(run.runId)) return;
      if (run.trigger === 'schedule') await admission.admitWorkerStart(run);
      else await records.reserve(run);
      if (run.trigger === 'schedule' || CHILD_RUN_TRIGGERS.includes(run.trigger)) await recordUsage(run.teamId, { runs: 1 });
    },

    /**
     * A run's end and final state, written once (core/runs/records.ts); the workflow calls it as
     * a local activity, so the state (which may be large) never enters the history.
     */
    async recordRunFinished(run: RunFinished): Promise<void> {
      const { written, unrecorded } = await records.finish(run);
      // Counted once: a retried activity finds the row already ended.
      if (written) await runEnded(run, unrecorded);
    },

    /** The start of a stored value as JSON text, for a reader that takes no more (a model reading a workflow tool's large output). */
    async readValueText(input: { teamId: string; ref: BlobRef; maxChars: number }): Promise<string> {
      const value = await blobs.get(input.ref, input.teamId).catch(nonRetryable);
      const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
      return text.length <= input.maxChars ? text : `${text.slice(0, input.maxChars)}… (${text.length - input.maxChars} more characters cut)`;
    },

    /** Stores a large value computed inside the workflow, returning its reference. */
    async storeValue(input: { owner: Owner; value: unknown }) {
      return blobs.put(input.owner, input.value).catch(nonRetryable);
    },

    evaluateIsolated,

    /** Kept for runs in flight that started before evaluateIsolated: the same evaluation. */
    async evaluateWithRefs(input: Omit<EvaluateInput, 'claim'>) {
      return evaluateIsolated({ ...input, claim: true });
    },

    admitChildRuns: admission.admitChildRuns,

    /** approval.waiting for a node that just started waiting (recorded once per run and node). */
    async notifyApprovalWaiting(input: { teamId: string; workflowId: string; runId: string; nodeId: string; message?: string }): Promise<void> {
      try {
        await deps.notifications?.approvalWaiting(input);
      } catch (error) {
        // The approval waits either way; the workflow retries this activity a few times.
        deps.logger.warn({ runId: input.runId, nodeId: input.nodeId, err: (error as Error).message }, 'approval notification not recorded');
        throw error;
      }
    },

    /**
     * The graph of a saved workflow version (the latest when no version is given), to run as a
     * child; `toolCall`: an agent's call of it, checked against its tool input schema first.
     */
    async loadWorkflowVersion(input: { teamId: string; workflowId: string; version?: number; toolCall?: { tool: string; args: unknown } }): Promise<{ graph: unknown; version: number }> {
      const em = deps.orm.em.fork();
      const workflow = await em.findOne(WorkflowDefinition, { id: input.workflowId, teamId: input.teamId, deletedAt: null });
      if (!workflow) nonRetryable(new UserError('workflow_not_found', `workflow "${input.workflowId}" was not found in this team`));
      if (input.toolCall && workflow.tool) requireToolArguments(workflow.tool.inputSchema, input.toolCall.args, input.toolCall.tool);
      const version = input.version ?? workflow.latestVersion;
      const row = await em.findOne(WorkflowVersion, { workflowId: workflow.id, version });
      if (!row) nonRetryable(new UserError('version_not_found', `workflow "${input.workflowId}" has no version ${version}`));
      return { graph: row.graph, version };
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
