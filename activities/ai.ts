// The ai node's activity: one chat completion through the official openai client against any
// OpenAI-compatible server (the operator's default, or a team's "openai" credential with its own
// key and base URL). Streams by default, publishing each token to Redis channel `run:<runId>`
// for live views (never into history) and heartbeating meanwhile; validates structured output
// against the node's JSON Schema; reports usage and cost; optionally answers from a Redis cache.
// Redis is an accelerator here: when it is down, tokens are not published and the cache is
// skipped, and the call still succeeds.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from '../core/log.ts';
import type { AiConfig } from '../workflows/graph/nodes/ai.ts';
import { costOf, PRICES, type PriceTable } from './ai-prices.ts';
import {
  currentContext,
  excerpt,
  FailureType,
  nonRetryable,
  parseRetryAfter,
  redact,
  retryable,
  startHeartbeats,
  throwIfCancelled,
} from './failures.ts';
import { createGuardedFetch, createTransport, type CredentialStore, type NodeCallContext } from './http.ts';
import { formatProblems, validateJsonSchema } from './json-schema.ts';
import type { LookupAll } from './ssrf.ts';
import { runChannel, type RunEvent } from '../workflows/events.ts';

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
}

export interface AiChatInput {
  config: AiConfig;
  call: NodeCallContext;
}

export interface AiUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
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

export const CACHE_PREFIX = 'ai:cache:';
export const CACHE_HITS_KEY = 'ai:cache:hits';
export const CACHE_MISSES_KEY = 'ai:cache:misses';
export const DEFAULT_CACHE_TTL_SECONDS = 24 * 60 * 60;
const DEFAULT_REQUEST_TIMEOUT_MS = 10 * 60 * 1000;
const MAX_CLIENTS = 64;

// Tokens go to the run's live channel, beside the node events of workflows/events.ts.
export { runChannel };
export type TokenEvent = Extract<RunEvent, { type: 'token' }>;

interface CachedAnswer {
  text: string;
  json?: unknown;
  model: string;
  finishReason?: string;
}

interface Provider {
  baseUrl: string;
  apiKey: string | undefined;
  /** The base URL came from a team credential: guard it against SSRF. */
  guarded: boolean;
}

/** JSON with object keys sorted, so equal parameters hash equally whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Models that take max_completion_tokens instead of max_tokens (OpenAI reasoning models). */
const usesMaxCompletionTokens = (model: string) => /^(o\d|gpt-5)/i.test(model.replace(/^[\w.-]+\//, ''));

export function createAiActivities(deps: AiDeps) {
  const transport = createTransport({ allowlist: deps.allowlist ?? [], lookup: deps.lookup });
  const guardedFetch = createGuardedFetch(transport);
  const clients = new Map<string, OpenAI>();
  const redisTimeoutMs = deps.redisTimeoutMs ?? 1_000;
  const prices = deps.prices ?? PRICES;

  function clientFor(provider: Provider): OpenAI {
    const key = sha256(`${provider.baseUrl}\0${provider.apiKey ?? ''}\0${provider.guarded}`);
    let client = clients.get(key);
    if (!client) {
      client = new OpenAI({
        baseURL: provider.baseUrl,
        // The client insists on a key; servers that need none (Ollama, vLLM) get no Authorization header.
        apiKey: provider.apiKey ?? 'unused',
        defaultHeaders: provider.apiKey ? undefined : { Authorization: null },
        // Everything explicit: the client must not read OPENAI_* from the environment (config.ts does).
        organization: null,
        project: null,
        adminAPIKey: null,
        webhookSecret: null,
        maxRetries: 0, // Temporal retries, with the node's policy
        logLevel: 'off',
        fetch: provider.guarded ? guardedFetch : undefined,
      });
      if (clients.size >= MAX_CLIENTS) clients.delete(clients.keys().next().value!);
      clients.set(key, client);
    }
    return client;
  }

  async function resolveProvider(config: AiConfig, call: NodeCallContext): Promise<Provider> {
    if (!config.credentialId) {
      return { baseUrl: deps.openai.baseUrl, apiKey: deps.openai.apiKey || undefined, guarded: false };
    }
    const credential = await deps.credentials.get(call.teamId, config.credentialId);
    if (!credential) {
      throw nonRetryable(FailureType.CredentialNotFound, `credential "${config.credentialId}" was not found in this team`);
    }
    if (credential.type !== 'openai') {
      throw nonRetryable(
        FailureType.CredentialTypeMismatch,
        `credential "${config.credentialId}" is of type ${credential.type}; the ai node takes an openai credential`,
      );
    }
    const baseUrl = credential.data.baseUrl?.trim();
    if (baseUrl) {
      let parsed: URL;
      try {
        parsed = new URL(baseUrl);
      } catch {
        throw nonRetryable(FailureType.AiConfigurationError, `credential "${config.credentialId}" has an invalid baseUrl`);
      }
      // Refuse early, with a clear message; the guarded fetch checks (and pins) again per request.
      await transport.guard.vet(parsed);
    }
    return { baseUrl: baseUrl || deps.openai.baseUrl, apiKey: credential.data.apiKey || undefined, guarded: Boolean(baseUrl) };
  }

  /** A Redis command that may fail or hang without failing the activity. */
  async function bestEffort<T>(what: string, call: NodeCallContext, command: () => Promise<T>): Promise<T | undefined> {
    const status = deps.redis.status;
    if (status === 'end' || status === 'close' || status === 'reconnecting') {
      deps.logger.debug({ runId: call.runId, nodeId: call.nodeId, status }, `redis unavailable, skipping ${what}`);
      return undefined;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        command(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${redisTimeoutMs} ms`)), redisTimeoutMs);
        }),
      ]);
    } catch (error) {
      deps.logger.debug({ runId: call.runId, nodeId: call.nodeId, err: (error as Error).message }, `redis ${what} failed, continuing`);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Publishes token events; after the first failure it stops trying for this call. */
  function tokenPublisher(call: NodeCallContext): (text: string) => void {
    let broken = false;
    const channel = runChannel(call.runId);
    const fail = (reason: string) => {
      if (broken) return;
      broken = true;
      deps.logger.debug({ runId: call.runId, nodeId: call.nodeId, err: reason }, 'cannot publish tokens to redis, continuing without live tokens');
    };
    return (text) => {
      if (broken || text === '') return;
      const status = deps.redis.status;
      if (status === 'end' || status === 'close' || status === 'reconnecting') return fail(`redis is ${status}`);
      const event: TokenEvent = { type: 'token', nodeId: call.nodeId, text };
      deps.redis.publish(channel, JSON.stringify(event)).catch((error: unknown) => fail((error as Error).message));
    };
  }

  function failure(
    error: unknown,
    context: { model: string; provider: Provider; secrets: string[]; cancel?: AbortSignal; deadline: AbortSignal; timeoutMs: number },
  ): Error {
    throwIfCancelled(context.cancel);
    if (error instanceof ApplicationFailure) return error;
    if (error instanceof APIError && error.cause instanceof ApplicationFailure) return error.cause; // refused by the SSRF guard
    const clean = (text: string) => redact(text, context.secrets);
    let host = context.provider.baseUrl;
    try {
      host = new URL(context.provider.baseUrl).host;
    } catch {
      // keep the raw value
    }
    if (error instanceof APIConnectionTimeoutError || (error instanceof APIUserAbortError && context.deadline.aborted)) {
      return retryable(FailureType.AiTimeout, `the AI provider at ${host} did not answer within ${context.timeoutMs} ms`);
    }
    if (error instanceof APIConnectionError) {
      const cause = error.cause as NodeJS.ErrnoException | undefined;
      const code = cause?.code ?? (cause?.cause as NodeJS.ErrnoException | undefined)?.code;
      return retryable(
        FailureType.AiConnectionError,
        `could not reach the AI provider at ${host}${code ? ` (${code})` : `: ${clean(excerpt(cause?.message ?? error.message, 200))}`}`,
      );
    }
    if (error instanceof APIError) {
      const status = error.status;
      const body = error.error as { message?: unknown } | undefined;
      const providerMessage = clean(excerpt(typeof body?.message === 'string' ? body.message : error.message, 300));
      const details = { status, code: error.code ?? undefined };
      if (status === undefined) {
        return retryable(FailureType.AiServerError, `the AI provider reported an error: ${providerMessage}`, { details });
      }
      if (status === 401) {
        return nonRetryable(
          FailureType.AiAuthenticationError,
          `the AI provider rejected the API key (401): check OPENAI_API_KEY or the team's openai credential`,
          details,
        );
      }
      if (status === 403) {
        return nonRetryable(FailureType.AiAuthenticationError, `the AI provider refused access (403): ${providerMessage}`, details);
      }
      if (status === 404) {
        return nonRetryable(
          FailureType.AiRequestRejected,
          `the AI provider does not know model "${context.model}" or the chat completions endpoint (404): ${providerMessage}`,
          details,
        );
      }
      if (status === 429) {
        if (error.code === 'insufficient_quota') {
          return nonRetryable(FailureType.AiQuotaExceeded, `the AI provider account is out of quota (429): ${providerMessage}`, details);
        }
        const headers = error.headers;
        const delay =
          parseRetryAfter(headers?.get('retry-after-ms'), Date.now(), 'ms') ?? parseRetryAfter(headers?.get('retry-after'));
        return retryable(
          FailureType.AiRateLimited,
          `the AI provider is rate limiting (429)${delay !== undefined ? `, retry after ${Math.round(delay / 1000)} s` : ''}: ${providerMessage}`,
          { nextRetryDelayMs: delay, details: { ...details, retryAfterMs: delay } },
        );
      }
      if (status === 408 || status === 409 || status >= 500) {
        return retryable(FailureType.AiServerError, `the AI provider failed (${status}): ${providerMessage}`, { details });
      }
      return nonRetryable(FailureType.AiRequestRejected, `the AI provider rejected the request (${status}): ${providerMessage}`, details);
    }
    return error instanceof Error ? error : new Error(String(error));
  }

  async function aiChat(input: AiChatInput): Promise<AiChatOutput> {
    const { config, call } = input;
    const context = currentContext();
    const cancel = context?.cancellationSignal;
    throwIfCancelled(cancel);
    const startedAt = performance.now();
    const log = { runId: call.runId, nodeId: call.nodeId, iteration: call.iteration, model: config.model };

    const provider = await resolveProvider(config, call);
    if (!provider.apiKey && /(^|\.)openai\.com$/i.test(hostOf(provider.baseUrl))) {
      throw nonRetryable(
        FailureType.AiConfigurationError,
        'no API key for the AI provider: set OPENAI_API_KEY, or give the node an openai credential',
      );
    }
    const secrets = provider.apiKey ? [provider.apiKey] : [];

    const messages: ChatCompletionMessageParam[] = [];
    if (config.system) messages.push({ role: 'system', content: config.system });
    messages.push({ role: 'user', content: config.prompt });
    const params: ChatCompletionCreateParamsNonStreaming = { model: config.model, messages };
    if (config.temperature !== undefined) params.temperature = config.temperature;
    if (config.maxTokens !== undefined) {
      if (usesMaxCompletionTokens(config.model)) params.max_completion_tokens = config.maxTokens;
      else params.max_tokens = config.maxTokens;
    }
    if (config.jsonSchema) {
      params.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: config.jsonSchema, strict: true } };
    }
    const publish = tokenPublisher(call);

    // The cache is per team (a model name can be private to one account) and per provider.
    const cacheKey = config.cache
      ? `${CACHE_PREFIX}${sha256(
          canonicalJson({
            v: 1,
            teamId: call.teamId,
            baseUrl: provider.baseUrl,
            model: config.model,
            messages,
            temperature: config.temperature,
            maxTokens: config.maxTokens,
            jsonSchema: config.jsonSchema,
          }),
        )}`
      : undefined;
    if (cacheKey) {
      const hit = await bestEffort('cache lookup', call, () => deps.redis.get(cacheKey));
      let answer: CachedAnswer | undefined;
      if (typeof hit === 'string') {
        try {
          answer = JSON.parse(hit) as CachedAnswer;
        } catch {
          answer = undefined;
        }
      }
      if (answer) {
        void bestEffort('cache hit count', call, () => deps.redis.multi().incr(CACHE_HITS_KEY).incr(`${CACHE_HITS_KEY}:${call.teamId}`).exec());
        publish(answer.text);
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
      if (hit !== undefined) void bestEffort('cache miss count', call, () => deps.redis.multi().incr(CACHE_MISSES_KEY).incr(`${CACHE_MISSES_KEY}:${call.teamId}`).exec());
    }

    const budget = context?.info.startToCloseTimeoutMs || Infinity;
    const timeoutMs = Math.min(deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, budget);
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = cancel ? AbortSignal.any([cancel, deadline]) : deadline;
    const client = clientFor(provider);
    const stopHeartbeats = startHeartbeats(context);

    let text = '';
    let refusal = '';
    let model = config.model;
    let finishReason: string | undefined;
    let usage: AiUsage | undefined;
    try {
      if (deps.stream ?? true) {
        const stream = await client.chat.completions.create(
          { ...params, stream: true, stream_options: { include_usage: true } },
          { signal, timeout: timeoutMs },
        );
        for await (const chunk of stream) {
          context?.heartbeat();
          if (chunk.model) model = chunk.model;
          if (chunk.usage) {
            usage = {
              promptTokens: chunk.usage.prompt_tokens,
              completionTokens: chunk.usage.completion_tokens,
              totalTokens: chunk.usage.total_tokens,
            };
          }
          const choice = chunk.choices?.[0];
          if (!choice) continue;
          const delta = choice.delta?.content;
          if (delta) {
            text += delta;
            publish(delta);
          }
          if (choice.delta?.refusal) refusal += choice.delta.refusal;
          if (choice.finish_reason) finishReason = choice.finish_reason;
        }
        // The client ends an aborted stream quietly: an abort must not pass for a complete answer.
        if (signal.aborted) throw new APIUserAbortError();
      } else {
        const completion = await client.chat.completions.create(params, { signal, timeout: timeoutMs });
        model = completion.model || model;
        const choice = completion.choices[0];
        text = choice?.message?.content ?? '';
        refusal = choice?.message?.refusal ?? '';
        finishReason = choice?.finish_reason ?? undefined;
        if (completion.usage) {
          usage = {
            promptTokens: completion.usage.prompt_tokens,
            completionTokens: completion.usage.completion_tokens,
            totalTokens: completion.usage.total_tokens,
          };
        }
      }
    } catch (error) {
      throw failure(error, { model: config.model, provider, secrets, cancel, deadline, timeoutMs });
    } finally {
      stopHeartbeats();
    }

    if (refusal && !text) {
      throw nonRetryable(FailureType.AiRequestRejected, `the model refused to answer: ${excerpt(refusal, 300)}`);
    }
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

    if (cacheKey) {
      const entry: CachedAnswer = { text, model, finishReason };
      if (json !== undefined) entry.json = json;
      const ttl = deps.cacheTtlSeconds ?? DEFAULT_CACHE_TTL_SECONDS;
      await bestEffort('cache store', call, () => deps.redis.set(cacheKey, JSON.stringify(entry), 'EX', ttl));
    }
    deps.logger.debug(
      { ...log, model, usage, costUsd: cost.costUsd, cached: false, ms: Math.round(performance.now() - startedAt) },
      'ai completion',
    );
    return output;
  }

  return { aiChat };
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

export type AiActivities = ReturnType<typeof createAiActivities>;
