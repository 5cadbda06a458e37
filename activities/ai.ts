// The ai node's activity: one chat completion through the official openai client against any
// OpenAI-compatible server (the operator's default, or a team's "openai" credential with its own
// key and base URL). Before the call: the model must be allowed and the call's largest spend is
// reserved against the team's and the run's limits (./ai-spend.ts); after it, the reservation is
// settled with what was used. Streams by default, publishing the text in batches to Redis channel
// `run:<runId>` for live views (never into history) under a byte ceiling (./ai-stream.ts), and
// heartbeating meanwhile; validates structured output against the node's JSON Schema; reports
// usage and cost; optionally answers from a Redis cache (./ai-cache.ts). Redis is an accelerator
// here: when it is down, tokens are not published and the cache is skipped, and the call still succeeds.
import type { Redis } from 'ioredis';
import { APIUserAbortError } from 'openai';
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { Logger } from '../core/log.ts';
import { runOnlyLedger, type AiSpendLedger } from '../core/usage/ai-spend.ts';
import type { AiConfig } from '../workflows/graph/nodes/ai.ts';
import { cacheKeyOf, createRedisHelpers, type CachedAnswer } from './ai-cache.ts';
import { costOf, PRICES, type PriceTable } from './ai-prices.ts';
import { createProviders, hostOf, providerFailure, usesMaxCompletionTokens } from './ai-provider.ts';
import {
  createSpendGuard,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_MAX_OUTPUT_TOKENS,
  estimatePromptTokens,
  requireModelAllowed,
  usedBy,
  type AiLimits,
  type RunSpend,
} from './ai-spend.ts';
import { appendText, createTokenPublisher, readStream, type AiUsage, type Reply } from './ai-stream.ts';
import { currentContext, excerpt, FailureType, nonRetryable, startHeartbeats, throwIfCancelled } from './failures.ts';
import type { CredentialStore, NodeCallContext } from './http.ts';
import { compileJsonSchema, formatProblems, validateJsonSchema } from './json-schema.ts';
import type { LookupAll } from './ssrf.ts';
import { runChannel } from '../workflows/events.ts';
import type { RunMetrics } from '../core/metrics/run-metrics.ts';

export { CACHE_HITS_KEY, CACHE_MISSES_KEY, CACHE_PREFIX, DEFAULT_CACHE_TTL_SECONDS } from './ai-cache.ts';
export type { TokenEvent, AiUsage } from './ai-stream.ts';
export type { AiLimits, RunSpend } from './ai-spend.ts';
// Tokens go to the run's live channel, beside the node events of workflows/events.ts.
export { runChannel };

export interface AiDeps {
  /** The operator's default provider (OPENAI_BASE_URL / OPENAI_API_KEY). */
  openai: { baseUrl: string; apiKey?: string };
  redis: Redis;
  credentials: CredentialStore;
  logger: Logger;
  /**
   * TRELLIS_HTTP_ALLOWLIST. A base URL taken from a team credential is user-controlled, so it goes
   * through the same SSRF guard as the http node; the operator's default base URL is trusted.
   */
  allowlist?: string[];
  /** Stream completions (tokens to Redis, heartbeats per chunk). Default true. */
  stream?: boolean;
  /** Cache entry lifetime; default 24 h. */
  cacheTtlSeconds?: number;
  /** How long a Redis command may take before it is given up (cache, counters); default 1000 ms. */
  redisTimeoutMs?: number;
  /** Upper bound for one completion (default 10 minutes); the activity's start-to-close timeout also bounds it. */
  requestTimeoutMs?: number;
  prices?: PriceTable;
  /** DNS for the SSRF guard (tests). */
  lookup?: LookupAll;
  /** Team quotas and run limits (core/usage/ai-spend.ts); without a ledger only the run's own limits apply. */
  spend?: AiSpendLedger;
  /** Models, max_tokens and reply bytes (TRELLIS_AI_*). */
  limits?: AiLimits;
  /** Token batching to Redis: at most one publish per this many ms or bytes (defaults 50 ms, 2 KiB). */
  tokenFlushMs?: number;
  tokenFlushBytes?: number;
  /** The worker's metrics (trellis_ai_tokens_total, trellis_ai_cost_usd_total). */
  metrics?: Pick<RunMetrics, 'aiUsed'>;
}

export interface AiChatInput {
  config: AiConfig;
  call: NodeCallContext;
  /** The graph's per-run limits and what the run has spent (absent in activities scheduled before it existed). */
  spend?: RunSpend;
}

export interface AiChatOutput {
  text: string;
  json?: unknown;
  model: string;
  usage: AiUsage;
  costUsd: number;
  /** False when the model has no entry in the price table (costUsd is then 0). */
  priced: boolean;
  /** Why the model stopped: "stop", "length" (hit maxTokens: the text is cut off) … */
  finishReason?: string;
  cached: boolean;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10 * 60 * 1000;
const NO_RUN_SPEND: RunSpend = { spent: { aiTokens: 0, costUsd: 0 } };

export function createAiActivities(deps: AiDeps) {
  const providers = createProviders(deps);
  const redisHelpers = createRedisHelpers(deps);
  const prices = deps.prices ?? PRICES;
  const limits = deps.limits ?? {};
  const maxOutputTokens = limits.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
  const maxOutputBytes = limits.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const ledger = deps.spend ?? runOnlyLedger();
  const spend = createSpendGuard({ ledger, logger: deps.logger, prices });

  async function aiChat(input: AiChatInput): Promise<AiChatOutput> {
    const { config, call } = input;
    const context = currentContext();
    const cancel = context?.cancellationSignal;
    throwIfCancelled(cancel);
    const startedAt = performance.now();
    const log = { runId: call.runId, nodeId: call.nodeId, iteration: call.iteration, model: config.model };

    const provider = await providers.resolveProvider(config.credentialId, call);
    if (!provider.apiKey && /(^|\.)openai\.com$/i.test(hostOf(provider.baseUrl))) {
      throw nonRetryable(
        FailureType.AiConfigurationError,
        'no API key for the AI provider: set OPENAI_API_KEY, or give the node an openai credential',
      );
    }
    await requireModelAllowed(config.model, provider, call, limits, ledger);
    const secrets = provider.apiKey ? [provider.apiKey] : [];

    const messages: ChatCompletionMessageParam[] = [];
    if (config.system) messages.push({ role: 'system', content: config.system });
    messages.push({ role: 'user', content: config.prompt });
    const params: ChatCompletionCreateParamsNonStreaming = { model: config.model, messages };
    if (config.temperature !== undefined) params.temperature = config.temperature;
    if (config.jsonSchema) {
      // A schema outside the bounded subset (a graph saved before the check) fails before any spend.
      compileJsonSchema(config.jsonSchema);
      params.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: config.jsonSchema, strict: true } };
    }
    const publish = createTokenPublisher({ redis: deps.redis, logger: deps.logger, flushMs: deps.tokenFlushMs, flushBytes: deps.tokenFlushBytes }, call);

    const { temperature, maxTokens, jsonSchema } = config;
    const cacheKey = config.cache ? cacheKeyOf({ teamId: call.teamId, baseUrl: provider.baseUrl, model: config.model, messages, temperature, maxTokens, jsonSchema }) : undefined;
    // A cached answer costs nothing, so it is given even when the team's or run's AI limits are reached.
    const answer = cacheKey ? await redisHelpers.lookup(cacheKey, call) : undefined;
    if (answer) {
      publish.push(answer.text);
      publish.flush();
      deps.logger.debug({ ...log, cached: true }, 'ai answer from cache');
      const output: AiChatOutput = {
        text: answer.text,
        model: answer.model,
        usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
        costUsd: 0,
        priced: costOf(answer.model, { promptTokens: 0, completionTokens: 0 }, prices).priced,
        cached: true,
      };
      if (answer.json !== undefined) output.json = answer.json;
      if (answer.finishReason) output.finishReason = answer.finishReason;
      return output;
    }

    // Reserve the most the call may use; with little room left, its reply is cut to what fits.
    const wanted = Math.min(config.maxTokens ?? maxOutputTokens, maxOutputTokens);
    const promptTokens = estimatePromptTokens(messages, config.jsonSchema);
    const reservation = await spend.reserve({ call, model: config.model, promptTokens, maxOutputTokens: wanted, run: input.spend ?? NO_RUN_SPEND });
    const outputTokens = reservation.outputTokens;
    if (usesMaxCompletionTokens(config.model)) params.max_completion_tokens = outputTokens;
    else params.max_tokens = outputTokens;

    const budget = context?.info.startToCloseTimeoutMs || Infinity;
    const timeoutMs = Math.min(deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, budget);
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = cancel ? AbortSignal.any([cancel, deadline]) : deadline;
    const client = providers.clientFor(provider);
    const stopHeartbeats = startHeartbeats(context);

    const reply: Reply = { text: '', refusal: '', model: config.model, bytes: 0 };
    try {
      if (deps.stream ?? true) {
        const stream = await client.chat.completions.create(
          { ...params, stream: true, stream_options: { include_usage: true } },
          { signal, timeout: timeoutMs },
        );
        await readStream(stream, reply, { maxBytes: maxOutputBytes, publish, onChunk: () => context?.heartbeat() });
        // The client ends an aborted stream quietly: an abort must not pass for a complete answer.
        if (signal.aborted) throw new APIUserAbortError();
      } else {
        const completion = await client.chat.completions.create(params, { signal, timeout: timeoutMs });
        reply.model = completion.model || reply.model;
        const choice = completion.choices[0];
        if (completion.usage) {
          reply.usage = {
            promptTokens: completion.usage.prompt_tokens,
            completionTokens: completion.usage.completion_tokens,
            totalTokens: completion.usage.total_tokens,
          };
        }
        reply.finishReason = choice?.finish_reason ?? undefined;
        appendText(reply, 'text', choice?.message?.content ?? '', maxOutputBytes);
        appendText(reply, 'refusal', choice?.message?.refusal ?? '', maxOutputBytes);
      }
    } catch (error) {
      throw providerFailure(error, { model: config.model, provider, secrets, cancel, deadline, timeoutMs });
    } finally {
      stopHeartbeats();
      // Recorded right away, also for a failed call that the provider had begun to answer.
      const used = usedBy(reply, promptTokens, prices);
      await spend.settle(reservation, used, call);
      deps.metrics?.aiUsed({ ...used, teamId: call.teamId });
    }

    const { text, refusal, model, finishReason } = reply;
    if (refusal && !text) {
      throw nonRetryable(FailureType.AiRequestRejected, `the model refused to answer: ${excerpt(refusal, 300)}`);
    }
    let usage = reply.usage;
    if (!usage) {
      deps.logger.debug(log, 'the AI provider reported no token usage');
      usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
    }

    let json: unknown;
    if (config.jsonSchema) {
      const cutOff = finishReason === 'length' ? ' (the reply was cut off at maxTokens: raise it)' : '';
      try {
        json = JSON.parse(text);
      } catch {
        throw nonRetryable(FailureType.AiInvalidJson, `the model's reply is not valid JSON${cutOff}: ${excerpt(text, 200)}`);
      }
      const problems = validateJsonSchema(config.jsonSchema, json);
      if (problems.length > 0) {
        throw nonRetryable(
          FailureType.AiSchemaMismatch,
          `the model's reply does not match the node's JSON schema: ${formatProblems(problems)}${cutOff}`,
          { problems },
        );
      }
    }

    const cost = costOf(model, usage, prices);
    const output: AiChatOutput = { text, model, usage, costUsd: cost.costUsd, priced: cost.priced, cached: false };
    if (json !== undefined) output.json = json;
    if (finishReason) output.finishReason = finishReason;

    // A reply cut short by the spend limits is not what the same request gets next time: not cached.
    if (cacheKey && outputTokens >= wanted) {
      const entry: CachedAnswer = { text, model, finishReason };
      if (json !== undefined) entry.json = json;
      await redisHelpers.store(cacheKey, call, entry);
    }
    deps.logger.debug(
      { ...log, model, usage, costUsd: cost.costUsd, cached: false, maxTokens: outputTokens, ms: Math.round(performance.now() - startedAt) },
      'ai completion',
    );
    return output;
  }

  return { aiChat };
}

export type AiActivities = ReturnType<typeof createAiActivities>;
