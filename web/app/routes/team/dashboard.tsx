// /t/:teamId: how the team's workflows are doing this month — runs, success rate, AI use and cost,
// the plan's limits, runs per day, the error trend and the most recent failures. Every number is
// an aggregate the api computes in SQL (GET …/usage, …/stats, …/failures): true for any number of runs.
import { Link } from 'react-router';
import { FailuresPerDayChart, RunsPerDayChart } from '../../components/charts.tsx';
import { Badge, buttonClass, Card, cx, EmptyState, formatTime, PageHeader } from '../../components/ui.tsx';
import { clientFor } from '../../lib/api.server.ts';
import { dayOf, formatCost, formatNumber, formatPercent, limitUse, periodDaysSoFar } from '../../lib/dashboard.ts';
import { requireTeam } from '../../lib/session.server.ts';
import { canEdit, teamPath } from '../../lib/types.ts';
import type { Route } from './+types/dashboard.ts';

/** Failure groups shown on the dashboard; the Failures page has them all. */
const TOP_FAILURES = 5;

export const meta: Route.MetaFunction = () => [{ title: 'Dashboard · Trellis' }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const { team } = await requireTeam(request, params.teamId);
  const api = clientFor(request).team(team.id);
  const now = new Date();
  const usage = await api.call('getUsage');
  // The month so far, in whole UTC days: the stats window ends today.
  const days = Math.max(1, periodDaysSoFar(usage.period, now).length);
  const [stats, failures] = await Promise.all([
    api.call('getRunStats', { query: { days } }),
    api.call('listFailures', { query: { since: usage.period.start, limit: TOP_FAILURES } }),
  ]);
  const today = stats.perDay.at(-1);
  return {
    team: { id: team.id, role: team.role },
    usage,
    workflowCount: usage.usage.workflows ?? 0,
    empty: !usage.usage.workflows && stats.totals.runs === 0 && usage.usage.runs === 0,
    runsToday: today && today.day === dayOf(now.toISOString()) ? today.total : 0,
    successRate: stats.totals.successRate,
    finished: stats.totals.finished,
    failuresThisMonth: stats.totals.failed + stats.totals.timed_out,
    perDay: stats.perDay,
    failuresPerDay: stats.perDay.map((day) => ({ day: day.day, failures: day.failed + day.timed_out })),
    failures: failures.items,
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
        <Stat label="Runs today" value={formatNumber(loaderData.runsToday)} hint="Since midnight UTC" />
        <Stat label="Runs this month" value={formatNumber(usage.usage.runs)} hint={`${formatNumber(usage.usage.nodeExecutions)} node executions`} />
        <Stat
          label="Success rate"
          value={formatPercent(loaderData.successRate)}
          hint={
            loaderData.finished === 0
              ? 'No finished runs this month'
              : `Of ${formatNumber(loaderData.finished)} finished runs (cancelled ones not counted)`
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

      <div className="mt-6 grid grid-cols-1 gap-6 xl:grid-cols-3">
        <Card title="Error trend">
          <p className="mb-2 text-sm text-slate-600 dark:text-slate-400">
            {formatNumber(loaderData.failuresThisMonth)} failed or timed-out run{loaderData.failuresThisMonth === 1 ? '' : 's'} this month
          </p>
          <FailuresPerDayChart data={loaderData.failuresPerDay} />
        </Card>

        <Card
          className="xl:col-span-2"
          title="Top failures this month"
          actions={
            <Link to={teamPath(team.id, '/failures')} className="text-sm">
              All failures
            </Link>
          }
        >
          {loaderData.failures.length === 0 ? (
            <p className="text-sm text-slate-600 dark:text-slate-400">No failed runs this month.</p>
          ) : (
            <ul className="divide-y divide-slate-200 dark:divide-slate-800">
              {loaderData.failures.map((group) => (
                <li key={`${group.workflowId} ${group.nodeId ?? ''} ${group.code ?? ''}`} className="py-3 first:pt-0 last:pb-0">
                  <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
                    <p className="text-sm">
                      <span className="font-medium">{group.workflowName ?? 'Deleted workflow'}</span>
                      {group.nodeId && <span className="font-mono text-xs"> · {group.nodeId}</span>}
                      {group.code && <Badge className="ml-2">{group.code}</Badge>}
                    </p>
                    <p className="text-xs text-slate-500 dark:text-slate-400">
                      {formatNumber(group.count)}× · last <time dateTime={group.lastSeen}>{formatTime(group.lastSeen)}</time>
                      {group.sampleRunIds[0] && (
                        <>
                          {' · '}
                          <Link to={teamPath(team.id, `/runs/${encodeURIComponent(group.sampleRunIds[0])}`)}>latest run</Link>
                        </>
                      )}
                    </p>
                  </div>
                  <p className="mt-1 line-clamp-2 text-sm break-words text-red-700 dark:text-red-300" title={group.message ?? undefined}>
                    {group.message ?? 'No error message'}
                  </p>
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
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
