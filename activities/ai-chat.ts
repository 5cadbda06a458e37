// One chat completion, shared by the ai node (./ai.ts) and the agent's model turns (./agent.ts):
// through the official openai client against any OpenAI-compatible server (the operator's
// default, or a team's "openai" credential with its own key and base URL). Before the call: the
// model must be allowed and the call's largest spend is reserved against the team's and the
// run's limits (./ai-spend.ts); after it, the reservation is settled with what was used. Streams
// by default, publishing the text in batches to Redis channel `run:<runId>` for live views (never
// into history) under a byte ceiling (./ai-stream.ts), and heartbeating meanwhile. Offers tools
// and returns the function calls the model made, streamed or not; reports usage and cost.
import type { Redis } from 'ioredis';
import { APIUserAbortError } from 'openai';
import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { Logger } from '../core/log.ts';
import type { RunMetrics } from '../core/metrics/run-metrics.ts';
import { runOnlyLedger, type AiSpendLedger } from '../core/usage/ai-spend.ts';
import { costOf, PRICES, type PriceTable } from './ai-prices.ts';
import { createProviders, hostOf, providerFailure, usesMaxCompletionTokens, type Provider } from './ai-provider.ts';
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
import {
  appendText,
  appendToolCall,
  createTokenPublisher,
  readStream,
  toolCallsOf,
  type AiUsage,
  type Reply,
  type TokenPublisher,
  type ToolCall,
} from './ai-stream.ts';
import { currentContext, excerpt, FailureType, nonRetryable, startHeartbeats, throwIfCancelled } from './failures.ts';
import type { CredentialStore, NodeCallContext } from './http.ts';
import type { LookupAll } from './ssrf.ts';

export type { Provider, ToolCall, TokenPublisher };

export interface ChatDeps {
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

/** A function the model may call: its name, what it does and a JSON Schema of its arguments. */
export interface ChatTool {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface CompletionInput {
  model: string;
  messages: ChatCompletionMessageParam[];
  temperature?: number;
  maxTokens?: number;
  /** Sent as a strict json_schema response format (the caller validates the reply). */
  jsonSchema?: Record<string, unknown>;
  tools?: ChatTool[];
  call: NodeCallContext;
  /** The graph's per-run limits and what the run has spent (absent in activities scheduled before it existed). */
  spend?: RunSpend;
  publish: TokenPublisher;
}

export interface Completion {
  text: string;
  /** Function calls the model made (empty when it answered in text). */
  toolCalls: ToolCall[];
  model: string;
  usage: AiUsage;
  costUsd: number;
  /** False when the model has no entry in the price table (costUsd is then 0). */
  priced: boolean;
  /** Why the model stopped: "stop", "length" (hit maxTokens: the text is cut off), "tool_calls" … */
  finishReason?: string;
  /** The max_tokens sent, and what was asked for: less was sent when the spend limits left less room. */
  maxTokens: number;
  wantedTokens: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10 * 60 * 1000;
const NO_RUN_SPEND: RunSpend = { spent: { aiTokens: 0, costUsd: 0 } };

export function createChatCompletions(deps: ChatDeps) {
  const providers = createProviders(deps);
  const prices = deps.prices ?? PRICES;
  const limits = deps.limits ?? {};
  const maxOutputTokens = limits.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
  const maxOutputBytes = limits.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const ledger = deps.spend ?? runOnlyLedger();
  const spend = createSpendGuard({ ledger, logger: deps.logger, prices });

  /** The provider of a call, once it is known that it may be used: a key where one is needed, an allowed model. */
  async function prepare(input: { model: string; credentialId?: string; call: NodeCallContext }): Promise<Provider> {
    const provider = await providers.resolveProvider(input.credentialId, input.call);
    if (!provider.apiKey && /(^|\.)openai\.com$/i.test(hostOf(provider.baseUrl))) {
      throw nonRetryable(
        FailureType.AiConfigurationError,
        'no API key for the AI provider: set OPENAI_API_KEY, or give the node an openai credential',
      );
    }
    await requireModelAllowed(input.model, provider, input.call, limits, ledger);
    return provider;
  }

  function publisher(call: NodeCallContext, step?: number): TokenPublisher {
    return createTokenPublisher({ redis: deps.redis, logger: deps.logger, flushMs: deps.tokenFlushMs, flushBytes: deps.tokenFlushBytes }, call, step);
  }

  /** One completion on a prepared provider: reserve, ask (streamed or not), settle, and what came back. */
  async function complete(provider: Provider, input: CompletionInput): Promise<Completion> {
    const { call, model } = input;
    const context = currentContext();
    const cancel = context?.cancellationSignal;
    throwIfCancelled(cancel);
    const secrets = provider.apiKey ? [provider.apiKey] : [];

    const params: ChatCompletionCreateParamsNonStreaming = { model, messages: input.messages };
    if (input.temperature !== undefined) params.temperature = input.temperature;
    if (input.jsonSchema) {
      params.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: input.jsonSchema, strict: true } };
    }
    const tools: ChatCompletionFunctionTool[] = (input.tools ?? []).map((tool) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: tool.parameters },
    }));
    // An empty list is left out: some servers refuse `tools: []`.
    if (tools.length > 0) params.tools = tools;

    // Reserve the most the call may use; with little room left, its reply is cut to what fits.
    const wanted = Math.min(input.maxTokens ?? maxOutputTokens, maxOutputTokens);
    const promptTokens = estimatePromptTokens(input.messages, input.jsonSchema, tools);
    const reservation = await spend.reserve({ call, model, promptTokens, maxOutputTokens: wanted, run: input.spend ?? NO_RUN_SPEND });
    const outputTokens = reservation.outputTokens;
    if (usesMaxCompletionTokens(model)) params.max_completion_tokens = outputTokens;
    else params.max_tokens = outputTokens;

    const budget = context?.info.startToCloseTimeoutMs || Infinity;
    const timeoutMs = Math.min(deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, budget);
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = cancel ? AbortSignal.any([cancel, deadline]) : deadline;
    const client = providers.clientFor(provider);
    const stopHeartbeats = startHeartbeats(context);

    const reply: Reply = { text: '', refusal: '', model, bytes: 0 };
    try {
      if (deps.stream ?? true) {
        const stream = await client.chat.completions.create(
          { ...params, stream: true, stream_options: { include_usage: true } },
          { signal, timeout: timeoutMs },
        );
        await readStream(stream, reply, { maxBytes: maxOutputBytes, publish: input.publish, onChunk: () => context?.heartbeat() });
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
        for (const toolCall of choice?.message?.tool_calls ?? []) {
          if (toolCall.type !== 'function') continue;
          appendToolCall(reply, { id: toolCall.id, name: toolCall.function.name, arguments: toolCall.function.arguments }, maxOutputBytes);
        }
      }
    } catch (error) {
      throw providerFailure(error, { model, provider, secrets, cancel, deadline, timeoutMs });
    } finally {
      stopHeartbeats();
      // Recorded right away, also for a failed call that the provider had begun to answer.
      const used = usedBy(reply, promptTokens, prices);
      await spend.settle(reservation, used, call);
      deps.metrics?.aiUsed({ ...used, teamId: call.teamId });
    }

    const { text, refusal, finishReason } = reply;
    const toolCalls = toolCallsOf(reply);
    if (refusal && !text && toolCalls.length === 0) {
      throw nonRetryable(FailureType.AiRequestRejected, `the model refused to answer: ${excerpt(refusal, 300)}`);
    }
    let usage = reply.usage;
    if (!usage) {
      deps.logger.debug({ runId: call.runId, nodeId: call.nodeId, iteration: call.iteration, model }, 'the AI provider reported no token usage');
      usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
    }
    const cost = costOf(reply.model, usage, prices);
    const out: Completion = { text, toolCalls, model: reply.model, usage, costUsd: cost.costUsd, priced: cost.priced, maxTokens: outputTokens, wantedTokens: wanted };
    if (finishReason) out.finishReason = finishReason;
    return out;
  }

  return { prepare, publisher, complete, prices };
}

export type ChatCompletions = ReturnType<typeof createChatCompletions>;
