// Usage counters per team and calendar month (UTC), and the plan quota checks built on them.
// Activities call `record` when runs start and nodes finish; routes call the `check*` functions
// before doing what a quota limits (starting a run passes ./admission.ts). Over a quota:
// QuotaExceededError, whose status and code come from core/plans.ts (403 or 429, `quota_…`).
import { raw, type EntityManager } from '@mikro-orm/core';
import { RunRecord } from '../runs/entities.ts';
import { WorkflowDefinition } from '../workflows/entities.ts';
import type { Orm } from '../db/orm.ts';
import { UserError } from '../errors.ts';
import { planLimits, QUOTA_RESPONSES, type PlanName, type Quota } from '../plans.ts';
import { newId } from '../auth/random.ts';
import { Team } from '../teams/entities.ts';
import { UsageCounter } from './entities.ts';
import { ACTIVE_RUN_STATUSES } from '../../contract/run-status.ts';
import type { Usage as WireUsage } from '../../contract/index.ts';

/** Run statuses that hold a concurrency slot. */
export { ACTIVE_RUN_STATUSES };
/** Runs started by runs: they count against the monthly quota but take no concurrency slot (ADR 020). */
export const CHILD_RUN_TRIGGERS = ['map', 'subworkflow'];

/** Runs holding one of the team's concurrency slots: root runs running or waiting. */
export function countActiveRootRuns(em: EntityManager, teamId: string): Promise<number> {
  return em.count(RunRecord, { teamId, status: { $in: ACTIVE_RUN_STATUSES }, trigger: { $nin: CHILD_RUN_TRIGGERS } });
}

export interface UsageDelta {
  runs?: number;
  nodeExecutions?: number;
  aiTokens?: number;
  costUsd?: number;
}

/** The wire shape (contract/): what the api answers with. */
export type UsageReport = Omit<WireUsage, 'aiCache'>;

export class QuotaExceededError extends UserError {
  readonly quota: Quota;
  readonly limit: number;
  /** `reason` says what was refused, before the limit (e.g. "a map of 150 items would start 150 child runs"). */
  constructor(quota: Quota, limit: number, retryAfterSeconds?: number, reason?: string) {
    const { status, code, label } = QUOTA_RESPONSES[quota];
    const plan = `The team's plan allows ${limit} ${label}; upgrade the plan${status === 429 ? ' or wait' : ''} to do more`;
    super(code, reason ? `${reason}: ${plan.charAt(0).toLowerCase()}${plan.slice(1)}` : plan, {
      status,
      headers: status === 429 && retryAfterSeconds ? { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) } : undefined,
    });
    this.name = 'QuotaExceededError';
    this.quota = quota;
    this.limit = limit;
  }
}

/** `YYYY-MM` of a moment, in UTC. */
export function periodOf(at: Date): string {
  return at.toISOString().slice(0, 7);
}

export function periodBounds(at: Date): { start: Date; end: Date } {
  const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  const end = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
  return { start, end };
}

/** Throws when `current + adding` would exceed the plan's limit for `quota` (null = unlimited). */
export function assertWithinQuota(plan: string, quota: Quota, current: number, adding = 1, now = new Date()): void {
  const limit = planLimits(plan)[quota];
  if (limit === null || current + adding <= limit) return;
  const monthly = quota === 'runsPerMonth' || quota === 'aiTokensPerMonth';
  const retryAfter = monthly ? (periodBounds(now).end.getTime() - now.getTime()) / 1000 : quota === 'concurrentRuns' ? 30 : undefined;
  throw new QuotaExceededError(quota, limit, retryAfter);
}

const COLUMNS = { runs: 'runs', nodeExecutions: 'node_executions', aiTokens: 'ai_tokens', costMicroUsd: 'cost_micro_usd' } as const;

export type UsageService = ReturnType<typeof createUsageService>;

export function createUsageService(deps: { orm: Orm; countWorkflows?: (em: EntityManager, teamId: string) => Promise<number> }) {
  const { orm } = deps;

  async function counter(em: EntityManager, teamId: string, period: string): Promise<UsageCounter | null> {
    return em.findOne(UsageCounter, { team: teamId, period });
  }

  async function teamPlan(em: EntityManager, teamId: string): Promise<string> {
    return (await em.findOneOrFail(Team, { id: teamId })).plan;
  }

  return {
    /** Adds to this month's counters, atomically (one UPDATE with increments). */
    async record(teamId: string, delta: UsageDelta, at = new Date()): Promise<void> {
      const em = orm.em.fork();
      const period = periodOf(at);
      const increments = {
        runs: delta.runs ?? 0,
        nodeExecutions: delta.nodeExecutions ?? 0,
        aiTokens: delta.aiTokens ?? 0,
        costMicroUsd: Math.round((delta.costUsd ?? 0) * 1_000_000),
      };
      await em.upsert(
        UsageCounter,
        { id: newId('use'), team: teamId, period, runs: 0, nodeExecutions: 0, aiTokens: 0, costMicroUsd: 0 },
        { onConflictFields: ['team', 'period'], onConflictAction: 'ignore' },
      );
      const changes = Object.fromEntries(
        Object.entries(increments)
          .filter(([, value]) => value !== 0)
          .map(([key, value]) => [key, raw(`${COLUMNS[key as keyof typeof COLUMNS]} + ?`, [value])]),
      );
      if (Object.keys(changes).length) await em.nativeUpdate(UsageCounter, { team: teamId, period }, changes);
    },

    async report(teamId: string, at = new Date()): Promise<UsageReport> {
      const em = orm.em.fork();
      const plan = await teamPlan(em, teamId);
      const row = await counter(em, teamId, periodOf(at));
      const { start, end } = periodBounds(at);
      const concurrentRuns = await countActiveRootRuns(em, teamId);
      const workflows = deps.countWorkflows ? await deps.countWorkflows(em, teamId) : await em.count(WorkflowDefinition, { teamId, deletedAt: null });
      return {
        teamId,
        plan: plan as PlanName, // the team row holds only plan names
        period: { start: start.toISOString(), end: end.toISOString() },
        usage: {
          runs: row?.runs ?? 0,
          nodeExecutions: Number(row?.nodeExecutions ?? 0),
          aiTokens: Number(row?.aiTokens ?? 0),
          costUsd: Number(row?.costMicroUsd ?? 0) / 1_000_000,
          concurrentRuns,
          ...(workflows === undefined ? {} : { workflows }),
        },
        limits: planLimits(plan),
      };
    },

    /** Before an AI call: tokens used this month against the plan. */
    async checkAiTokens(teamId: string, at = new Date()): Promise<void> {
      const em = orm.em.fork();
      const plan = await teamPlan(em, teamId);
      const row = await counter(em, teamId, periodOf(at));
      assertWithinQuota(plan, 'aiTokensPerMonth', Number(row?.aiTokens ?? 0), 1, at);
    },

    /** Before creating a workflow (`existing` saved ones) or saving a graph of `nodes` nodes. */
    async checkWorkflowCount(teamId: string, existing: number): Promise<void> {
      assertWithinQuota(await teamPlan(orm.em.fork(), teamId), 'workflows', existing);
    },
    async checkGraphSize(teamId: string, nodes: number): Promise<void> {
      assertWithinQuota(await teamPlan(orm.em.fork(), teamId), 'nodesPerGraph', nodes, 0);
    },
    /** `count` schedules including the one being created (its row reserves the place). */
    async checkScheduleCount(teamId: string, count: number): Promise<void> {
      assertWithinQuota(await teamPlan(orm.em.fork(), teamId), 'schedules', count, 0);
    },
  };
}
