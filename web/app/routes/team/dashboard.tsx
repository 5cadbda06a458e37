// /t/:teamId: how the team's workflows are doing this month — runs, success rate, AI use and cost,
// the plan's limits, runs per day, and the latest failures.
import { Link } from 'react-router';
import { RunsPerDayChart } from '../../components/charts.tsx';
import { Alert, Badge, buttonClass, Card, cx, EmptyState, formatTime, PageHeader } from '../../components/ui.tsx';
import { api } from '../../lib/api.server.ts';
import {
  bucketRunsByDay,
  collectPages,
  countRunsOn,
  dayOf,
  formatCost,
  formatNumber,
  formatPercent,
  limitUse,
  periodDaysSoFar,
  queryString,
  shortRunId,
  successRate,
  type UsageReport,
} from '../../lib/dashboard.ts';
import { requireTeam } from '../../lib/session.server.ts';
import { canEdit, teamPath, type Page, type RunSummary, type WorkflowSummary } from '../../lib/types.ts';
import type { Route } from './+types/dashboard.ts';

/** The most runs read for the chart and the success rate (ten pages of the API's maximum). */
const RUN_CAP = 1_000;
const WORKFLOW_CAP = 500;

export const meta: Route.MetaFunction = () => [{ title: 'Dashboard · Trellis' }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const { team } = await requireTeam(request, params.teamId);
  const base = `/api/v1/teams/${encodeURIComponent(team.id)}`;
  const now = new Date();
  const usage = await api<UsageReport>(request, `${base}/usage`);
  const periodStart = Date.parse(usage.period.start);
  const [periodRuns, failures, workflows] = await Promise.all([
    // Newest first: reading stops at the first run from before the period.
    collectPages((cursor) => api<Page<RunSummary>>(request, `${base}/runs${queryString({ limit: 100, cursor })}`), {
      cap: RUN_CAP,
      until: (run) => Date.parse(run.startedAt) < periodStart,
    }),
    api<Page<RunSummary>>(request, `${base}/runs${queryString({ status: 'failed', limit: 5 })}`),
    collectPages((cursor) => api<Page<WorkflowSummary>>(request, `${base}/workflows${queryString({ limit: 100, cursor })}`), { cap: WORKFLOW_CAP }),
  ]);

  const runs = periodRuns.items;
  const today = dayOf(now.toISOString());
  const names = Object.fromEntries(workflows.items.map((workflow) => [workflow.id, workflow.name]));
  const finished = runs.filter((run) => run.status === 'succeeded' || run.status === 'failed' || run.status === 'timed_out').length;
  return {
    team: { id: team.id, role: team.role },
    usage,
    workflowCount: usage.usage.workflows ?? workflows.items.length,
    empty: workflows.items.length === 0 && runs.length === 0 && usage.usage.runs === 0,
    runsRead: runs.length,
    capped: periodRuns.capped,
    runsToday: countRunsOn(runs, today),
    // Capped with only today's runs read: today had at least that many.
    runsTodayIsMinimum: periodRuns.capped && runs.length > 0 && dayOf(runs[runs.length - 1]!.startedAt) === today,
    successRate: successRate(runs),
    finished,
    perDay: bucketRunsByDay(runs, periodDaysSoFar(usage.period, now)),
    failures: failures.items.map((run) => ({ ...run, workflowName: names[run.workflowId] ?? null })),
  };
}

export default function Dashboard({ loaderData }: Route.ComponentProps) {
  const { team, usage, empty } = loaderData;
  const periodLabel = `${usage.period.start.slice(0, 10)} to ${dayOf(new Date(Date.parse(usage.period.end) - 1).toISOString())} (UTC)`;

  if (empty) {
    return (
      <>
        <PageHeader title="Dashboard" />
        <EmptyState title="No workflows yet">
          {canEdit(team.role) ? (
            <>
              <p>Create a workflow to see its runs, success rate and AI usage here.</p>
              <Link to={`${teamPath(team.id, '/workflows')}?new=1`} className={buttonClass('primary', 'md', 'mt-4')}>
                Create a workflow
              </Link>
            </>
          ) : (
            <p>Nothing has run in this team yet. An editor or admin can create the first workflow.</p>
          )}
        </EmptyState>
      </>
    );
  }

  const cache = usage.aiCache;
  return (
    <>
      <PageHeader title="Dashboard" description={`This month: ${periodLabel}`} />

      <dl className="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-3">
        <Stat label="Runs today" value={`${formatNumber(loaderData.runsToday)}${loaderData.runsTodayIsMinimum ? '+' : ''}`} hint="Since midnight UTC" />
        <Stat label="Runs this month" value={formatNumber(usage.usage.runs)} hint={`${formatNumber(usage.usage.nodeExecutions)} node executions`} />
        <Stat
          label="Success rate"
          value={formatPercent(loaderData.successRate)}
          hint={
            loaderData.finished === 0
              ? 'No finished runs this month'
              : `Of ${formatNumber(loaderData.finished)} finished runs${loaderData.capped ? ` among the newest ${formatNumber(loaderData.runsRead)}` : ''} (cancelled ones not counted)`
          }
        />
        <Stat label="AI tokens" value={formatNumber(usage.usage.aiTokens)} hint="Prompt and completion, this month" />
        <Stat label="AI cost" value={formatCost(usage.usage.costUsd)} hint="Estimated, this month" />
        <Stat
          label="AI cache hit ratio"
          value={formatPercent(cache?.hitRatio)}
          hint={cache === null ? 'Cache statistics are unavailable right now' : cache.hitRatio === null ? 'No AI calls looked up in the cache yet' : `${formatNumber(cache.hits)} hits of ${formatNumber(cache.hits + cache.misses)} lookups`}
        />
      </dl>

      <div className="mt-6 grid grid-cols-1 gap-6 xl:grid-cols-3">
        <Card className="xl:col-span-2" title="Runs per day">
          {loaderData.capped && (
            <div className="mb-3">
              <Alert tone="info">
                Showing the newest {formatNumber(loaderData.runsRead)} runs of this month only; earlier days are incomplete. The runs list has them all.
              </Alert>
            </div>
          )}
          <RunsPerDayChart data={loaderData.perDay} />
        </Card>

        <Card title="Plan usage" actions={<Badge>{usage.plan} plan</Badge>}>
          <div className="space-y-4">
            <UsageBar label="Runs this month" used={usage.usage.runs} limit={usage.limits.runsPerMonth} />
            <UsageBar label="AI tokens this month" used={usage.usage.aiTokens} limit={usage.limits.aiTokensPerMonth} />
            <UsageBar label="Workflows" used={loaderData.workflowCount} limit={usage.limits.workflows} />
            <UsageBar label="Concurrent runs" used={usage.usage.concurrentRuns} limit={usage.limits.concurrentRuns} />
          </div>
          <p className="mt-4 text-xs text-slate-500 dark:text-slate-400">
            Also: {usage.limits.nodesPerGraph === null ? 'any number of' : `up to ${formatNumber(usage.limits.nodesPerGraph)}`} nodes per graph,{' '}
            {usage.limits.requestsPerMinute === null ? 'no limit on' : `${formatNumber(usage.limits.requestsPerMinute)}`} API requests per minute.
          </p>
        </Card>
      </div>

      <Card
        className="mt-6"
        title="Recent failures"
        actions={
          <Link to={`${teamPath(team.id, '/runs')}?status=failed`} className="text-sm">
            All failed runs
          </Link>
        }
      >
        {loaderData.failures.length === 0 ? (
          <p className="text-sm text-slate-600 dark:text-slate-400">No failed runs.</p>
        ) : (
          <ul className="divide-y divide-slate-200 dark:divide-slate-800">
            {loaderData.failures.map((run) => (
              <li key={run.runId} className="py-3 first:pt-0 last:pb-0">
                <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
                  <p className="text-sm">
                    <span className="font-medium">{run.workflowName ?? 'Deleted workflow'}</span>{' '}
                    <Link to={teamPath(team.id, `/runs/${encodeURIComponent(run.runId)}`)} className="font-mono text-xs">
                      {shortRunId(run.runId)}
                    </Link>
                  </p>
                  <time dateTime={run.startedAt} className="text-xs text-slate-500 dark:text-slate-400">
                    {formatTime(run.startedAt)}
                  </time>
                </div>
                <p className="mt-1 line-clamp-2 text-sm break-words text-red-700 dark:text-red-300" title={run.error ?? undefined}>
                  {run.error ?? 'No error message'}
                </p>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}

function Stat({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
      <dt className="text-sm text-slate-600 dark:text-slate-400">{label}</dt>
      <dd className="mt-1 text-2xl font-semibold tabular-nums">{value}</dd>
      {hint && <dd className="mt-1 text-xs text-slate-500 dark:text-slate-400">{hint}</dd>}
    </div>
  );
}

const barColors = { ok: 'bg-brand-600', warning: 'bg-amber-500', full: 'bg-red-600' } as const;

function UsageBar({ label, used, limit }: { label: string; used: number; limit: number | null }) {
  const use = limitUse(used, limit);
  const text = limit === null ? `${formatNumber(used)} (unlimited)` : `${formatNumber(used)} of ${formatNumber(limit)} (${use.percent}%)`;
  return (
    <div>
      <div className="mb-1 flex justify-between gap-2 text-sm">
        <span>{label}</span>
        <span className={cx('tabular-nums', use.level === 'full' ? 'font-medium text-red-700 dark:text-red-300' : 'text-slate-600 dark:text-slate-400')}>{text}</span>
      </div>
      {limit !== null && (
        <div role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={limit} aria-valuenow={Math.min(used, limit)} aria-valuetext={text} className="h-2 overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800">
          <div className={cx('h-full rounded-full', barColors[use.level])} style={{ width: `${use.barPercent}%` }} />
        </div>
      )}
    </div>
  );
}
