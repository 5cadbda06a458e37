// Plans and their limits: THE one place these values live. `null` means unlimited.
// How exceeding each limit answers is decided here too (status and a code naming the quota):
// 403 for limits that waiting does not lift (stored counts, graph size: delete or upgrade),
// 429 with Retry-After for limits that lift with time (monthly quotas, concurrency, request rate).

export const PLAN_NAMES = ['free', 'pro', 'enterprise'] as const;
export type PlanName = (typeof PLAN_NAMES)[number];

export interface PlanLimits {
  /** Saved workflows per team. */
  workflows: number | null;
  /** Runs started per calendar month (UTC). */
  runsPerMonth: number | null;
  /** Runs running or waiting at the same time. */
  concurrentRuns: number | null;
  /** Nodes in one graph. */
  nodesPerGraph: number | null;
  /** AI tokens (prompt + completion) per calendar month (UTC). */
  aiTokensPerMonth: number | null;
  /** API requests per minute on the team's routes, all members and keys together. */
  requestsPerMinute: number | null;
  /** AI spend per calendar month (UTC), in US dollars, priced as the usage page shows it. */
  aiBudgetUsdPerMonth: number | null;
  /** Schedules per team (active or paused). */
  schedules: number | null;
  /** Child runs (map items run as runs, subworkflows) under one root run, all levels together. */
  childRunsPerRun: number | null;
  /** Nesting of runs that start runs: a root run is depth 0, its children 1, … */
  runDepth: number | null;
  /**
   * Days a finished run's record and its stored values (blobs) are kept; the retention schedule
   * (core/retention/) deletes older ones. A retention, not a quota: nothing is ever refused for it.
   */
  retentionDays: number;
}

/** The limits that refuse a request when exceeded. */
export type Quota = Exclude<keyof PlanLimits, 'retentionDays'>;

export const PLANS: Record<PlanName, PlanLimits> = {
  free: {
    workflows: 10, runsPerMonth: 1_000, concurrentRuns: 2, nodesPerGraph: 25, aiTokensPerMonth: 100_000, requestsPerMinute: 300,
    aiBudgetUsdPerMonth: 5, schedules: 5, childRunsPerRun: 100, runDepth: 3, retentionDays: 7,
  },
  pro: {
    workflows: 200, runsPerMonth: 50_000, concurrentRuns: 20, nodesPerGraph: 200, aiTokensPerMonth: 5_000_000, requestsPerMinute: 3_000,
    aiBudgetUsdPerMonth: 500, schedules: 200, childRunsPerRun: 2_000, runDepth: 5, retentionDays: 30,
  },
  enterprise: {
    workflows: null, runsPerMonth: null, concurrentRuns: 200, nodesPerGraph: 1_000, aiTokensPerMonth: null, requestsPerMinute: 30_000,
    // Even the largest plan keeps a ceiling on what one run can fan out to and on nesting.
    aiBudgetUsdPerMonth: null, schedules: 2_000, childRunsPerRun: 20_000, runDepth: 8, retentionDays: 90,
  },
};

export const DEFAULT_PLAN: PlanName = 'free';

/**
 * Chat models each plan may use on the operator's AI provider: name patterns (`*` matches any
 * characters; a date snapshot or a provider prefix of a listed name matches too); null: any model.
 * Kept apart from PlanLimits so the limits stay numeric. TRELLIS_AI_MODELS, when set, replaces
 * these lists; a team's own openai credential is limited by neither (docs/decisions/017-ai-spend.md).
 */
export const PLAN_AI_MODELS: Record<PlanName, readonly string[] | null> = {
  free: ['gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-5-mini', 'gpt-5-nano', 'gpt-3.5-turbo'],
  pro: null,
  enterprise: null,
};

/** The model allow-list of a plan (null: any); an unknown plan name falls back to free. */
export function planAiModels(name: string): readonly string[] | null {
  return PLAN_AI_MODELS[isPlanName(name) ? name : DEFAULT_PLAN];
}

/** How a request over each limit is answered. */
export const QUOTA_RESPONSES: Record<Quota, { status: 403 | 429; code: string; label: string }> = {
  workflows: { status: 403, code: 'quota_workflows', label: 'workflows per team' },
  runsPerMonth: { status: 429, code: 'quota_runs_per_month', label: 'runs per month' },
  concurrentRuns: { status: 429, code: 'quota_concurrent_runs', label: 'concurrent runs' },
  nodesPerGraph: { status: 403, code: 'quota_nodes_per_graph', label: 'nodes per graph' },
  aiTokensPerMonth: { status: 429, code: 'quota_ai_tokens_per_month', label: 'AI tokens per month' },
  requestsPerMinute: { status: 429, code: 'rate_limited_team', label: 'requests per minute' },
  aiBudgetUsdPerMonth: { status: 429, code: 'budget_exceeded', label: 'US dollars of AI spend per month' },
  schedules: { status: 403, code: 'quota_schedules', label: 'schedules per team' },
  childRunsPerRun: { status: 403, code: 'quota_child_runs', label: 'child runs under one run' },
  runDepth: { status: 403, code: 'run_depth_exceeded', label: 'levels of runs started by runs' },
};

export function isPlanName(name: string): name is PlanName {
  return (PLAN_NAMES as readonly string[]).includes(name);
}

/** The limits of a plan; an unknown name (a plan removed from this file) falls back to free. */
export function planLimits(name: string): PlanLimits {
  return PLANS[isPlanName(name) ? name : DEFAULT_PLAN];
}
