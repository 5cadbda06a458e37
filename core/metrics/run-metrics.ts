// Run, node, AI and notification metrics, kept by the worker that executes the runs
// (docs/decisions/031-metrics-and-alerts.md). Every label value comes from a fixed list, anything
// else counts as "other", so no input can grow the number of series; team ids are a label only
// when TRELLIS_METRICS_TEAM_LABEL asks for them (one series per team: fine for tens of teams).
import { Counter, Histogram, type Registry } from 'prom-client';
import { NODE_TYPES } from '../../workflows/graph/registry.ts';
import { FINAL_RUN_STATUSES } from '../../contract/run-status.ts';

export const RUN_TRIGGERS = ['api', 'webhook', 'schedule', 'manual', 'system', 'map', 'subworkflow', 'rerun', 'mcp'] as const;
export const RUN_END_STATUSES = FINAL_RUN_STATUSES;
export const NODE_END_STATUSES = ['succeeded', 'failed', 'cancelled'] as const;
export const NOTIFICATION_CHANNEL_TYPES = ['email', 'slack', 'webhook'] as const;
/** An attempt sent; failed for now and retried later; failed for good. */
export const NOTIFICATION_OUTCOMES = ['sent', 'retry', 'failed'] as const;

/** Run durations: sub-second compute graphs up to day-long approvals. */
const RUN_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14_400, 86_400];
const NODE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600];

/** The value when it is in the list, else "other". */
export function bounded(value: string | undefined, allowed: readonly string[]): string {
  return value !== undefined && allowed.includes(value) ? value : 'other';
}

export interface RunMetricsOptions {
  registry: Registry;
  /** Adds a `team` label to the run and AI series (TRELLIS_METRICS_TEAM_LABEL). */
  teamLabel?: boolean;
}

export function createRunMetrics(options: RunMetricsOptions) {
  const registers = [options.registry];
  const team = options.teamLabel ? (['team'] as const) : ([] as const);
  const withTeam = (labels: Record<string, string>, teamId: string | undefined) => (options.teamLabel ? { ...labels, team: teamId ?? 'none' } : labels);

  const runsStarted = new Counter({ name: 'trellis_runs_started_total', help: 'Runs whose execution started, by trigger (child runs: map, subworkflow)', labelNames: ['trigger', ...team], registers });
  const runsFinished = new Counter({ name: 'trellis_runs_finished_total', help: 'Runs that ended, by final status', labelNames: ['status', ...team], registers });
  const runDuration = new Histogram({ name: 'trellis_run_duration_seconds', help: 'Run execution time, from the start of its workflow to its end (queue time excluded)', labelNames: ['status'], buckets: RUN_BUCKETS, registers });
  const nodeExecutions = new Counter({ name: 'trellis_node_executions_total', help: 'Node executions that ended, by node type and status', labelNames: ['type', 'status'], registers });
  const nodeDuration = new Histogram({ name: 'trellis_node_duration_seconds', help: 'Node execution time (waits for approvals included), by node type', labelNames: ['type'], buckets: NODE_BUCKETS, registers });
  const aiTokens = new Counter({ name: 'trellis_ai_tokens_total', help: 'AI tokens used, by kind (prompt, completion)', labelNames: ['kind', ...team], registers });
  const aiCost = new Counter({ name: 'trellis_ai_cost_usd_total', help: 'AI spend in US dollars at the price table (unpriced models count 0)', labelNames: [...team], registers });
  const notifications = new Counter({ name: 'trellis_notifications_total', help: 'Notification delivery attempts, by channel type and outcome', labelNames: ['channel_type', 'outcome'], registers });

  if (!options.teamLabel) {
    // Series at zero from the start: rates and ratios over them exist before the first failure.
    for (const status of RUN_END_STATUSES) runsFinished.inc({ status }, 0);
    aiCost.inc({}, 0);
  }

  return {
    runStarted(input: { trigger: string | undefined; teamId?: string }) {
      runsStarted.inc(withTeam({ trigger: bounded(input.trigger, RUN_TRIGGERS) }, input.teamId));
    },
    runFinished(input: { status: string; seconds?: number; teamId?: string }) {
      const status = bounded(input.status, RUN_END_STATUSES);
      runsFinished.inc(withTeam({ status }, input.teamId));
      if (input.seconds !== undefined && Number.isFinite(input.seconds) && input.seconds >= 0) runDuration.observe({ status }, input.seconds);
    },
    nodeFinished(input: { type: string | undefined; status: string; seconds?: number }) {
      const type = bounded(input.type, NODE_TYPES);
      nodeExecutions.inc({ type, status: bounded(input.status, NODE_END_STATUSES) });
      if (input.seconds !== undefined && Number.isFinite(input.seconds) && input.seconds >= 0) nodeDuration.observe({ type }, input.seconds);
    },
    aiUsed(input: { promptTokens: number; completionTokens: number; costUsd: number; teamId?: string }) {
      if (input.promptTokens > 0) aiTokens.inc(withTeam({ kind: 'prompt' }, input.teamId), input.promptTokens);
      if (input.completionTokens > 0) aiTokens.inc(withTeam({ kind: 'completion' }, input.teamId), input.completionTokens);
      if (input.costUsd > 0) aiCost.inc(withTeam({}, input.teamId), input.costUsd);
    },
    /** For notification deliveries (core/notifications): one call per attempt's outcome. */
    notification(input: { channelType: string; outcome: string }) {
      notifications.inc({ channel_type: bounded(input.channelType, NOTIFICATION_CHANNEL_TYPES), outcome: bounded(input.outcome, NOTIFICATION_OUTCOMES) });
    },
  };
}

export type RunMetrics = ReturnType<typeof createRunMetrics>;
