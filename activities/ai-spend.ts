// What an AI call may spend, decided before the call (docs/decisions/017-ai-spend.md): the models
// a team may use, the output ceiling sent as max_tokens, and a reservation against the team's
// monthly tokens and budget and the run's own limits (core/usage/ai-spend.ts), settled after
// the call with what it used — also when it failed after the provider had started answering.
import { ApplicationFailure } from '@temporalio/common';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { Logger } from '../core/log.ts';
import { planAiModels } from '../core/plans.ts';
import { AiSpendRefused, type AiReservation, type AiSpendLedger, type RunSpend } from '../core/usage/ai-spend.ts';
import { costOf, priceFor, type PriceTable } from './ai-prices.ts';
import type { Provider } from './ai-provider.ts';
import type { Reply } from './ai-stream.ts';
import { FailureType, nonRetryable } from './failures.ts';
import type { NodeCallContext } from './http.ts';

export type { RunSpend };

export const DEFAULT_MAX_OUTPUT_TOKENS = 8_192;
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
/** With room for fewer output tokens than this, a call is refused rather than cut short. */
export const MIN_OUTPUT_TOKENS = 16;

export interface AiLimits {
  /** TRELLIS_AI_MODELS: when non-empty, the models allowed on the operator's provider (replaces the plans' lists). */
  models?: string[];
  /** TRELLIS_AI_MAX_OUTPUT_TOKENS: the most max_tokens any call sends. */
  maxOutputTokens?: number;
  /** TRELLIS_AI_MAX_OUTPUT_BYTES: the most reply text one call may stream. */
  maxOutputBytes?: number;
}

const modelNames = (model: string): string[] => {
  const name = model.trim().toLowerCase();
  const bare = name.replace(/^[\w.-]+\//, '');
  return [name, bare, bare.replace(/-\d{4}-\d{2}-\d{2}$/, ''), bare.replace(/-\d{4}$/, '')];
};

const patternRegex = (pattern: string) =>
  new RegExp(`^${pattern.trim().toLowerCase().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

/** True when a pattern (`*`: any characters) matches the model, its bare name or its snapshot's base. */
export function modelMatches(model: string, patterns: readonly string[]): boolean {
  const names = modelNames(model);
  return patterns.some((pattern) => {
    const regex = patternRegex(pattern);
    return names.some((name) => regex.test(name));
  });
}

/** Fails with model_not_allowed unless the model may be used on this provider by this team. */
export async function requireModelAllowed(model: string, provider: Provider, call: NodeCallContext, limits: AiLimits, ledger: AiSpendLedger): Promise<void> {
  // The team's own key pays for its own calls: the lists guard the operator's key.
  if (provider.ownCredential) return;
  if (limits.models?.length) {
    if (modelMatches(model, limits.models)) return;
    throw nonRetryable(
      FailureType.ModelNotAllowed,
      `model "${model}" is not allowed on this server (TRELLIS_AI_MODELS allows ${limits.models.join(', ')}); use one of those, or an openai credential of the team's own`,
      { model, allowed: limits.models },
    );
  }
  const plan = await ledger.planOf(call.teamId);
  if (plan === undefined) return;
  const allowed = planAiModels(plan);
  if (allowed === null || modelMatches(model, allowed)) return;
  throw nonRetryable(
    FailureType.ModelNotAllowed,
    `model "${model}" is not allowed on the ${plan} plan (allowed: ${allowed.join(', ')}); upgrade the plan, or use an openai credential of the team's own`,
    { model, plan, allowed },
  );
}

/**
 * Prompt tokens, estimated from UTF-8 bytes: about 3 bytes a token (English runs nearer 4, so
 * this leans high), plus a few tokens of framing per message, the tool calls of earlier turns,
 * the JSON Schema if any and the tool definitions offered.
 */
export function estimatePromptTokens(messages: ChatCompletionMessageParam[], jsonSchema?: unknown, tools?: unknown[]): number {
  let bytes = 0;
  for (const message of messages) {
    bytes += Buffer.byteLength(typeof message.content === 'string' ? message.content : JSON.stringify(message.content ?? ''));
    if (message.role === 'assistant' && message.tool_calls) bytes += Buffer.byteLength(JSON.stringify(message.tool_calls));
  }
  if (jsonSchema !== undefined) bytes += Buffer.byteLength(JSON.stringify(jsonSchema));
  if (tools?.length) bytes += Buffer.byteLength(JSON.stringify(tools));
  return Math.ceil(bytes / 3) + 4 * messages.length;
}

/** Tokens and cost a call used: the provider's count, else an estimate from what came back. */
export function usedBy(reply: Reply, promptTokens: number, prices: PriceTable): { tokens: number; costUsd: number; promptTokens: number; completionTokens: number } {
  if (reply.usage) {
    const { promptTokens: prompt, completionTokens } = reply.usage;
    return { tokens: reply.usage.totalTokens, costUsd: costOf(reply.model, reply.usage, prices).costUsd, promptTokens: prompt, completionTokens };
  }
  // Nothing came back: the provider refused or was not reached, and charges nothing.
  if (reply.bytes === 0) return { tokens: 0, costUsd: 0, promptTokens: 0, completionTokens: 0 };
  const completionTokens = Math.ceil(reply.bytes / 3);
  return { tokens: promptTokens + completionTokens, costUsd: costOf(reply.model, { promptTokens, completionTokens }, prices).costUsd, promptTokens, completionTokens };
}

export function createSpendGuard(deps: { ledger: AiSpendLedger; logger: Logger; prices: PriceTable }) {
  return {
    /** Reserves the call's largest spend; throws quota_ai_tokens or budget_exceeded without room. */
    async reserve(input: { call: NodeCallContext; model: string; promptTokens: number; maxOutputTokens: number; run: RunSpend }): Promise<AiReservation> {
      try {
        return await deps.ledger.reserve({
          teamId: input.call.teamId,
          runId: input.call.runId,
          model: input.model,
          promptTokens: input.promptTokens,
          maxOutputTokens: input.maxOutputTokens,
          minOutputTokens: MIN_OUTPUT_TOKENS,
          price: priceFor(input.model, deps.prices),
          run: input.run,
        });
      } catch (error) {
        if (error instanceof AiSpendRefused) {
          throw ApplicationFailure.create({ type: error.code, message: error.message, nonRetryable: true, details: [{ limit: error.code }] });
        }
        throw error;
      }
    },

    /** Never fails the call: a settlement that cannot be written leaves the (larger) reservation counted. */
    async settle(reservation: AiReservation, used: { tokens: number; costUsd: number }, call: NodeCallContext): Promise<void> {
      try {
        await deps.ledger.settle(reservation, used);
      } catch (error) {
        deps.logger.warn({ runId: call.runId, nodeId: call.nodeId, err: (error as Error).message, reservation, used }, 'AI spend not settled; the reservation stays counted');
      }
    },
  };
}

export type SpendGuard = ReturnType<typeof createSpendGuard>;
