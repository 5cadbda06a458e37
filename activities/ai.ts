// The ai node's activity: one chat completion (./ai-chat.ts: provider, allowed model, spend,
// streaming, usage and cost, shared with the agent node) plus what only this node does: it
// validates structured output against the node's JSON Schema and optionally answers from a Redis
// cache (./ai-cache.ts). Redis is an accelerator here: when it is down, tokens are not published
// and the cache is skipped, and the call still succeeds.
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { AiConfig } from '../workflows/graph/nodes/ai.ts';
import { createChatCompletions, type ChatCompletions, type ChatDeps } from './ai-chat.ts';
import { cacheKeyOf, createRedisHelpers, type CachedAnswer } from './ai-cache.ts';
import { costOf } from './ai-prices.ts';
import type { RunSpend } from './ai-spend.ts';
import type { AiUsage } from './ai-stream.ts';
import { currentContext, excerpt, FailureType, nonRetryable, throwIfCancelled } from './failures.ts';
import type { NodeCallContext } from './http.ts';
import { compileJsonSchema, formatProblems, validateJsonSchema } from '../core/json-schema.ts';
import { runChannel } from '../workflows/events.ts';

export { CACHE_HITS_KEY, CACHE_MISSES_KEY, CACHE_PREFIX, DEFAULT_CACHE_TTL_SECONDS } from './ai-cache.ts';
export type { TokenEvent, AiUsage } from './ai-stream.ts';
export type { AiLimits, RunSpend } from './ai-spend.ts';
// Tokens go to the run's live channel, beside the node events of workflows/events.ts.
export { runChannel };

export interface AiDeps extends ChatDeps {
  /** Cache entry lifetime; default 24 h. */
  cacheTtlSeconds?: number;
  /** How long a Redis command may take before it is given up (cache, counters); default 1000 ms. */
  redisTimeoutMs?: number;
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

/** `chat`: the completions shared with the agent activities (one client cache per worker); its own when absent. */
export function createAiActivities(deps: AiDeps, chat: ChatCompletions = createChatCompletions(deps)) {
  const redisHelpers = createRedisHelpers(deps);

  async function aiChat(input: AiChatInput): Promise<AiChatOutput> {
    const { config, call } = input;
    throwIfCancelled(currentContext()?.cancellationSignal);
    const startedAt = performance.now();
    const log = { runId: call.runId, nodeId: call.nodeId, iteration: call.iteration, model: config.model };

    const provider = await chat.prepare({ model: config.model, credentialId: config.credentialId, call });
    const messages: ChatCompletionMessageParam[] = [];
    if (config.system) messages.push({ role: 'system', content: config.system });
    messages.push({ role: 'user', content: config.prompt });
    // A schema outside the bounded subset (a graph saved before the check) fails before any spend.
    if (config.jsonSchema) compileJsonSchema(config.jsonSchema);
    const publish = chat.publisher(call);

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
        priced: costOf(answer.model, { promptTokens: 0, completionTokens: 0 }, chat.prices).priced,
        cached: true,
      };
      if (answer.json !== undefined) output.json = answer.json;
      if (answer.finishReason) output.finishReason = answer.finishReason;
      return output;
    }

    const reply = await chat.complete(provider, { model: config.model, messages, temperature, maxTokens, jsonSchema, call, spend: input.spend, publish });
    const { text, model, usage, finishReason } = reply;

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

    const output: AiChatOutput = { text, model, usage, costUsd: reply.costUsd, priced: reply.priced, cached: false };
    if (json !== undefined) output.json = json;
    if (finishReason) output.finishReason = finishReason;

    // A reply cut short by the spend limits is not what the same request gets next time: not cached.
    if (cacheKey && reply.maxTokens >= reply.wantedTokens) {
      const entry: CachedAnswer = { text, model, finishReason };
      if (json !== undefined) entry.json = json;
      await redisHelpers.store(cacheKey, call, entry);
    }
    deps.logger.debug(
      { ...log, model, usage, costUsd: reply.costUsd, cached: false, maxTokens: reply.maxTokens, ms: Math.round(performance.now() - startedAt) },
      'ai completion',
    );
    return output;
  }

  return { aiChat };
}

export type AiActivities = ReturnType<typeof createAiActivities>;
