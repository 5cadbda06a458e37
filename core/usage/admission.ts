// Admission: the one gate every run start passes, whatever started it — the API, a rerun, a
// webhook delivery or a schedule firing (core/runs/intake.ts) and child runs of map and
// subworkflow nodes (activities/child-runs.ts). It checks the team's plan: runs this month, and
// for child runs their nesting depth and how many runs one root run's tree started.
// Root runs are no longer refused for concurrency: they queue (core/runs/dispatcher.ts, ADR 028).
import type { Orm } from '../db/orm.ts';
import { DEFAULT_PLAN, planLimits } from '../plans.ts';
import type { Redis } from '../redis/client.ts';
import { Team } from '../teams/entities.ts';
import type { TriggerType } from '../../workflows/inputs.ts';
import { UsageCounter } from './entities.ts';
import { assertWithinQuota, periodOf, QuotaExceededError } from './service.ts';

export interface ChildPlacement {
  /** The run at the top of the tree: its children, grandchildren … share one budget. */
  rootRunId: string;
  /** Depth of the runs being admitted (a root run is 0, its children 1). */
  depth: number;
  /** Names this admission so that a retried activity is not counted twice (the child's run id, or a map node's path). */
  key: string;
}

export interface AdmissionRequest {
  trigger: TriggerType;
  /** Runs admitted at once: a map admits all its child runs before starting the first. Default 1. */
  runs?: number;
  /** The run's row is already written (kept for callers of the earlier reserve-then-admit path). */
  reserved?: boolean;
  /** Set for child runs. */
  child?: ChildPlacement;
}

// KEYS[1]: the root run's hash. ARGV: admission key, runs, limit (-1: none), ttl seconds.
// Returns {1, total} admitted, {0, total before} refused, {2, total} admitted earlier (a retry).
const CHILD_RUNS_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  return {2, tonumber(redis.call('HGET', KEYS[1], '#total') or '0')}
end
local runs = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local total = redis.call('HINCRBY', KEYS[1], '#total', runs)
if limit >= 0 and total > limit then
  redis.call('HINCRBY', KEYS[1], '#total', -runs)
  return {0, total - runs}
end
redis.call('HSET', KEYS[1], ARGV[1], runs)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return {1, total}
`;

/** How long a root run's child counter lives after its last admission (runs may wait weeks on approvals). */
const CHILD_COUNTER_TTL_SECONDS = 90 * 24 * 3600;

type RedisWithChildRuns = Redis & { trellisChildRuns(key: string, admission: string, runs: number, limit: number, ttl: number): Promise<[number, number]> };

export type Admission = ReturnType<typeof createAdmission>;

export function createAdmission(deps: { orm: Orm; redis: Redis }) {
  const redis = deps.redis as RedisWithChildRuns;
  if (typeof redis.trellisChildRuns !== 'function') redis.defineCommand('trellisChildRuns', { numberOfKeys: 1, lua: CHILD_RUNS_SCRIPT });
  const counterKey = (rootRunId: string) => `trellis:child-runs:${rootRunId}`;

  return {
    /** Throws QuotaExceededError (its code names the limit) when the team's plan does not admit the run(s). */
    async admitRun(teamId: string, request: AdmissionRequest, at = new Date()): Promise<void> {
      const runs = request.runs ?? 1;
      const { child } = request;
      if (runs <= 0) return;
      // A retried activity: admitted (and counted) the first time already.
      if (child && (await redis.hexists(counterKey(child.rootRunId), child.key)) === 1) return;
      const em = deps.orm.em.fork();
      // A run of no stored team (the diagnostics graph, engine tests) gets the default plan's limits.
      const plan = (await em.findOne(Team, { id: teamId }))?.plan ?? DEFAULT_PLAN;
      const limits = planLimits(plan);
      if (child && limits.runDepth !== null && child.depth > limits.runDepth) {
        throw new QuotaExceededError('runDepth', limits.runDepth, undefined, `A child run at depth ${child.depth} (under run ${child.rootRunId}) would nest too deep`);
      }
      const counter = await em.findOne(UsageCounter, { team: teamId, period: periodOf(at) });
      assertWithinQuota(plan, 'runsPerMonth', counter?.runs ?? 0, runs, at);
      // A root run is never refused for concurrency: it queues until a slot is free (the
      // dispatcher, core/runs/dispatcher.ts; ADR 028).
      if (!child) return;
      const limit = limits.childRunsPerRun ?? -1;
      const [outcome, total] = await redis.trellisChildRuns(counterKey(child.rootRunId), child.key, runs, limit, CHILD_COUNTER_TTL_SECONDS);
      if (outcome === 0) {
        const what = runs === 1 ? 'one more child run' : `${runs} more child runs`;
        throw new QuotaExceededError('childRunsPerRun', limit, undefined, `Run ${child.rootRunId} has started ${total} child runs; ${what} would exceed the limit`);
      }
    },
  };
}
