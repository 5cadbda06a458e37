// The AI spend ledger (docs/decisions/017-ai-spend.md). Before an AI call the worker reserves what
// the call may use at most: its prompt (estimated) plus the output tokens it asks for, against the
// team's monthly AI tokens and USD budget (core/plans.ts) and the run's own limits (the graph's
// `settings`). After the call it settles the reservation to what was really used. Reservations
// live in the usage counters themselves (this month's `usage_counter` row, the run's mirror row),
// added with a conditional UPDATE, so calls in flight at the same time see each other: together
// they cannot pass a limit by more than the error of the prompt estimate. When little is left, the
// call's output is cut to what fits instead of refused; below `minOutputTokens` it is refused.
import { raw } from '@mikro-orm/core';
import { RunRecord } from '../runs/entities.ts';
import type { Orm } from '../db/orm.ts';
import { UserError, OperationalError } from '../errors.ts';
import { DEFAULT_PLAN, planLimits } from '../plans.ts';
import { newId } from '../auth/random.ts';
import { Team } from '../teams/entities.ts';
import { UsageCounter } from './entities.ts';
import { periodOf } from './service.ts';
import { createRunRecords } from '../runs/records.ts';

export type AiSpendCode = 'quota_ai_tokens' | 'budget_exceeded';

/** A call refused because a token limit or a USD budget has no room for it. */
export class AiSpendRefused extends UserError {
  constructor(code: AiSpendCode, detail: string) {
    super(code, detail, { status: 429 });
    this.name = 'AiSpendRefused';
  }
}

/** USD per 1M prompt (input) and completion (output) tokens. */
export interface AiPrice {
  input: number;
  output: number;
}

/** A graph's per-run limits (`settings`), with what the run has spent by the workflow's own count. */
export interface RunSpend {
  maxAiTokens?: number;
  maxCostUsd?: number;
  spent: { aiTokens: number; costUsd: number };
}

export interface AiReserveRequest {
  teamId: string;
  runId: string;
  model: string;
  /** Estimated prompt tokens (messages and schema). */
  promptTokens: number;
  /** The output tokens the call would ask for. */
  maxOutputTokens: number;
  /** With less room than this left for the reply, the call is refused instead of cut short. */
  minOutputTokens: number;
  /** Undefined for a model missing from the price table: USD budgets cannot bound it. */
  price: AiPrice | undefined;
  run: RunSpend;
  at?: Date;
}

export interface AiReservation {
  teamId: string;
  runId: string;
  period: string;
  /** Output tokens the call may ask for (max_tokens), at most the request's. */
  outputTokens: number;
  tokens: number;
  microUsd: number;
  /** Which rows hold the reservation. */
  onTeam: boolean;
  onRun: boolean;
}

export interface AiSpendLedger {
  /** The team's plan name; undefined for a team that is not stored (system runs). */
  planOf(teamId: string): Promise<string | undefined>;
  reserve(request: AiReserveRequest): Promise<AiReservation>;
  /** Replaces the reservation with what the call used (all of it released when nothing was). */
  settle(reservation: AiReservation, used: { tokens: number; costUsd: number }): Promise<void>;
}

interface Limit {
  limit: number;
  used: number;
  describe: (need: string) => string;
}

const usd = (value: number) => `$${value < 0.01 && value > 0 ? value.toFixed(6) : value.toFixed(4).replace(/0{1,2}$/, '')}`;

/**
 * How many output tokens fit under every limit; throws AiSpendRefused naming the first limit with
 * room for fewer than `minOutputTokens`. Token limits in tokens, budgets in micro-dollars.
 */
export function fitOutput(request: AiReserveRequest, tokenLimits: Limit[], microUsdLimits: Limit[]): number {
  const { promptTokens, price } = request;
  let out = request.maxOutputTokens;
  const least = Math.min(request.minOutputTokens, request.maxOutputTokens);
  for (const l of tokenLimits) {
    const room = l.limit - l.used - promptTokens;
    if (room < least) throw new AiSpendRefused('quota_ai_tokens', l.describe(`${promptTokens + least} (a prompt of about ${promptTokens} tokens and ${least} for the reply)`));
    out = Math.min(out, room);
  }
  for (const l of microUsdLimits) {
    const promptMicro = price ? promptTokens * price.input : 0;
    const left = l.limit - l.used - promptMicro;
    const room = !price ? (l.used < l.limit ? Infinity : -1) : price.output > 0 ? Math.floor(left / price.output) : left >= 0 ? Infinity : -1;
    if (room < least) {
      const need = price ? usd((promptMicro + least * price.output) / 1e6) : 'anything';
      throw new AiSpendRefused('budget_exceeded', l.describe(`${need} (model ${request.model}, a prompt of about ${promptTokens} tokens and ${least} for the reply)`));
    }
    out = Math.min(out, room);
  }
  return out;
}

function runLimits(request: AiReserveRequest, usedTokens: number, usedUsd: number): { tokens: Limit[]; microUsd: Limit[] } {
  const { maxAiTokens, maxCostUsd } = request.run;
  return {
    tokens:
      maxAiTokens === undefined
        ? []
        : [{ limit: maxAiTokens, used: usedTokens, describe: (need) => `the run reached its AI token limit: the graph's settings.maxAiTokens is ${maxAiTokens} and the run has used ${usedTokens}; the next call needs at least ${need}` }],
    microUsd:
      maxCostUsd === undefined
        ? []
        : [{ limit: maxCostUsd * 1e6, used: usedUsd * 1e6, describe: (need) => `the run reached its AI budget: the graph's settings.maxCostUsd is ${usd(maxCostUsd)} and the run has spent ${usd(usedUsd)}; the next call costs at least ${need}` }],
  };
}

/** Run limits only, from the workflow's own count: for workers without a database (engine tests). */
export function runOnlyLedger(): AiSpendLedger {
  return {
    async planOf() {
      return undefined;
    },
    async reserve(request) {
      const { tokens, microUsd } = runLimits(request, request.run.spent.aiTokens, request.run.spent.costUsd);
      const out = fitOutput(request, tokens, microUsd);
      return { teamId: request.teamId, runId: request.runId, period: '', outputTokens: out, tokens: 0, microUsd: 0, onTeam: false, onRun: false };
    },
    async settle() {},
  };
}

const RETRIES = 8;

export function createAiSpendLedger(deps: { orm: Orm }): AiSpendLedger {
  const { orm } = deps;
  const records = createRunRecords({ orm });

  async function planOf(teamId: string): Promise<string | undefined> {
    const team = await orm.em.fork().findOne(Team, { id: teamId }, { fields: ['plan'] });
    return team ? team.plan || DEFAULT_PLAN : undefined;
  }

  return {
    planOf,

    async reserve(request) {
      const period = periodOf(request.at ?? new Date());
      const plan = await planOf(request.teamId);
      const limits = planLimits(plan ?? DEFAULT_PLAN);
      // Concurrent reservations race on the conditional UPDATEs; the loser reads again and refits.
      for (let attempt = 0; attempt < RETRIES; attempt++) {
        const em = orm.em.fork();
        if (plan !== undefined) {
          await em.upsert(
            UsageCounter,
            { id: newId('use'), team: request.teamId, period, runs: 0, nodeExecutions: 0, aiTokens: 0, costMicroUsd: 0 },
            { onConflictFields: ['team', 'period'], onConflictAction: 'ignore' },
          );
        }
        const month = plan === undefined ? null : await em.findOne(UsageCounter, { team: request.teamId, period }, { fields: ['aiTokens', 'costMicroUsd'] });
        const run = await em.findOne(RunRecord, { id: request.runId }, { fields: ['aiTokens', 'costUsd'] });
        // The run's row counts calls in flight; the workflow's own sum also covers calls made
        // before spend was recorded per call (runs in flight across the upgrade).
        const rowTokens = run?.aiTokens ?? 0;
        const rowUsd = Number(run?.costUsd ?? 0);
        const extraTokens = Math.max(0, request.run.spent.aiTokens - rowTokens);
        const extraUsd = Math.max(0, request.run.spent.costUsd - rowUsd);
        const perRun = runLimits(request, rowTokens + extraTokens, rowUsd + extraUsd);
        const monthTokens = Number(month?.aiTokens ?? 0);
        const monthMicro = Number(month?.costMicroUsd ?? 0);
        const tokenLimits: Limit[] = [];
        const microLimits: Limit[] = [];
        if (month && limits.aiTokensPerMonth !== null) {
          const limit = limits.aiTokensPerMonth;
          tokenLimits.push({ limit, used: monthTokens, describe: (need) => `the team reached its monthly AI tokens: the ${plan} plan allows ${limit} AI tokens per month and ${monthTokens} are used or reserved by calls in flight; the next call needs at least ${need}` });
        }
        if (month && limits.aiBudgetUsdPerMonth !== null) {
          const limit = limits.aiBudgetUsdPerMonth;
          microLimits.push({ limit: limit * 1e6, used: monthMicro, describe: (need) => `the team reached its monthly AI budget: the ${plan} plan allows ${usd(limit)} of AI spend per month and ${usd(monthMicro / 1e6)} is spent or reserved by calls in flight; the next call costs at least ${need}` });
        }
        const out = fitOutput(request, [...tokenLimits, ...perRun.tokens], [...microLimits, ...perRun.microUsd]);
        const tokens = request.promptTokens + out;
        const microUsd = request.price ? Math.ceil(request.promptTokens * request.price.input + out * request.price.output) : 0;

        if (month) {
          const where: Record<string, unknown> = { team: request.teamId, period };
          if (limits.aiTokensPerMonth !== null) where.aiTokens = { $lte: limits.aiTokensPerMonth - tokens };
          if (limits.aiBudgetUsdPerMonth !== null && microUsd > 0) where.costMicroUsd = { $lte: limits.aiBudgetUsdPerMonth * 1e6 - microUsd };
          const reserved = await em.nativeUpdate(UsageCounter, where, { aiTokens: raw('ai_tokens + ?', [tokens]), costMicroUsd: raw('cost_micro_usd + ?', [microUsd]) });
          if (reserved === 0) continue;
        }
        if (run) {
          const within: Parameters<typeof records.reserveSpend>[1] = {};
          if (request.run.maxAiTokens !== undefined) within.aiTokens = { $lte: request.run.maxAiTokens - extraTokens - tokens };
          if (request.run.maxCostUsd !== undefined && microUsd > 0) within.costUsd = { $lte: request.run.maxCostUsd - extraUsd - microUsd / 1e6 };
          if (!(await records.reserveSpend(request.runId, within, tokens, microUsd / 1e6))) {
            if (month) await em.nativeUpdate(UsageCounter, { team: request.teamId, period }, { aiTokens: raw('ai_tokens - ?', [tokens]), costMicroUsd: raw('cost_micro_usd - ?', [microUsd]) });
            continue;
          }
        }
        return { teamId: request.teamId, runId: request.runId, period, outputTokens: out, tokens, microUsd, onTeam: Boolean(month), onRun: Boolean(run) };
      }
      throw new OperationalError('ai_spend_contention', `could not reserve AI spend after ${RETRIES} attempts (many calls at once); retrying`);
    },

    async settle(reservation, used) {
      const em = orm.em.fork();
      const tokens = used.tokens - reservation.tokens;
      const microUsd = Math.round(used.costUsd * 1e6) - reservation.microUsd;
      if (reservation.onTeam && (tokens !== 0 || microUsd !== 0)) {
        await em.nativeUpdate(
          UsageCounter,
          { team: reservation.teamId, period: reservation.period },
          { aiTokens: raw('ai_tokens + ?', [tokens]), costMicroUsd: raw('cost_micro_usd + ?', [microUsd]) },
        );
      }
      if (reservation.onRun) await records.settleSpend(reservation.runId, tokens, used.costUsd - reservation.microUsd / 1e6);
    },
  };
}
