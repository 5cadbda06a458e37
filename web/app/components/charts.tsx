// Charts (recharts). Recharts measures its container, which the server cannot: the server and the
// first client render draw a placeholder of the same size, and the chart replaces it once hydrated.
// Every chart keeps its numbers as a table too, for screen readers and pages without JavaScript.
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis, type TooltipContentProps } from 'recharts';
import { formatNumber, RUN_STATUSES, statusLabel, type DayBucket, type RunStatus } from '../lib/dashboard.ts';
import { useHydrated } from '../lib/use-hydrated.ts';

/** Bar colours per status, matching the Badge colours of ui.tsx. */
export const STATUS_COLORS: Record<RunStatus, string> = {
  succeeded: '#16a34a',
  failed: '#dc2626',
  timed_out: '#ea580c',
  cancelled: '#94a3b8',
  waiting: '#f59e0b',
  running: '#3b82f6',
};

function RunsTooltip({ active, payload, label }: TooltipContentProps) {
  if (!active || !payload?.length) return null;
  const bucket = payload[0]?.payload as DayBucket | undefined;
  if (!bucket) return null;
  return (
    <div className="rounded-md border border-slate-200 bg-white px-3 py-2 text-xs shadow-md dark:border-slate-700 dark:bg-slate-900">
      <p className="mb-1 font-medium">
        {String(label)}: {formatNumber(bucket.total)} run{bucket.total === 1 ? '' : 's'}
      </p>
      <ul>
        {RUN_STATUSES.filter((status) => bucket[status] > 0).map((status) => (
          <li key={status} className="flex items-center gap-2">
            <span className="inline-block size-2 rounded-sm" style={{ background: STATUS_COLORS[status] }} aria-hidden="true" />
            {statusLabel(status)}: {formatNumber(bucket[status])}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Runs per day, stacked by status, with the same numbers in a table under "Show as table". */
export function RunsPerDayChart({ data, height = 260 }: { data: DayBucket[]; height?: number }) {
  const hydrated = useHydrated();
  // Only statuses that occur get a bar and a legend entry.
  const shown = RUN_STATUSES.filter((status) => data.some((bucket) => bucket[status] > 0));
  return (
    <figure>
      {hydrated ? (
        <div aria-hidden="true" className="text-slate-500 dark:text-slate-400" style={{ height }}>
          <BarChart responsive data={data} style={{ width: '100%', height }} margin={{ top: 8, right: 8, bottom: 0, left: -16 }} accessibilityLayer={false}>
            <CartesianGrid vertical={false} stroke="currentColor" strokeOpacity={0.2} />
            <XAxis dataKey="day" tickFormatter={(day: string) => String(Number(day.slice(8, 10)))} tick={{ fill: 'currentColor', fontSize: 12 }} stroke="currentColor" strokeOpacity={0.4} minTickGap={8} />
            <YAxis allowDecimals={false} tick={{ fill: 'currentColor', fontSize: 12 }} stroke="currentColor" strokeOpacity={0.4} />
            <Tooltip content={RunsTooltip} cursor={{ fill: 'currentColor', fillOpacity: 0.08 }} />
            <Legend formatter={(value: string) => statusLabel(value)} wrapperStyle={{ fontSize: 12 }} />
            {shown.map((status) => (
              <Bar key={status} dataKey={status} name={status} stackId="runs" fill={STATUS_COLORS[status]} isAnimationActive={false} />
            ))}
          </BarChart>
        </div>
      ) : (
        <div aria-hidden="true" className="animate-pulse rounded-md bg-slate-100 dark:bg-slate-800/60" style={{ height }} />
      )}
      <details className="mt-3 text-sm">
        <summary className="cursor-pointer text-slate-600 dark:text-slate-400">Show as table</summary>
        <div className="mt-2 max-h-72 overflow-auto">
          <table className="w-full text-left text-xs [&_td]:px-2 [&_td]:py-1 [&_th]:px-2 [&_th]:py-1 [&_th]:font-medium">
            <caption className="sr-only">Runs per day and status</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                {RUN_STATUSES.map((status) => (
                  <th key={status} scope="col" className="text-right">
                    {statusLabel(status)}
                  </th>
                ))}
                <th scope="col" className="text-right">
                  Total
                </th>
              </tr>
            </thead>
            <tbody>
              {data.map((bucket) => (
                <tr key={bucket.day} className="border-t border-slate-200 dark:border-slate-800">
                  <th scope="row" className="font-mono font-normal">
                    {bucket.day}
                  </th>
                  {RUN_STATUSES.map((status) => (
                    <td key={status} className="text-right tabular-nums">
                      {formatNumber(bucket[status])}
                    </td>
                  ))}
                  <td className="text-right font-medium tabular-nums">{formatNumber(bucket.total)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

export interface FailureDay {
  day: string;
  failures: number;
}

/** The error trend: failed and timed-out runs per day, with the numbers in a table too. */
export function FailuresPerDayChart({ data, height = 120 }: { data: FailureDay[]; height?: number }) {
  const hydrated = useHydrated();
  return (
    <figure>
      {hydrated ? (
        <div aria-hidden="true" className="text-slate-500 dark:text-slate-400" style={{ height }}>
          <BarChart responsive data={data} style={{ width: '100%', height }} margin={{ top: 8, right: 8, bottom: 0, left: -16 }} accessibilityLayer={false}>
            <CartesianGrid vertical={false} stroke="currentColor" strokeOpacity={0.2} />
            <XAxis dataKey="day" tickFormatter={(day: string) => String(Number(day.slice(8, 10)))} tick={{ fill: 'currentColor', fontSize: 12 }} stroke="currentColor" strokeOpacity={0.4} minTickGap={8} />
            <YAxis allowDecimals={false} tick={{ fill: 'currentColor', fontSize: 12 }} stroke="currentColor" strokeOpacity={0.4} />
            <Tooltip formatter={(value) => [formatNumber(Number(value)), 'failures']} cursor={{ fill: 'currentColor', fillOpacity: 0.08 }} />
            <Bar dataKey="failures" name="failures" fill={STATUS_COLORS.failed} isAnimationActive={false} />
          </BarChart>
        </div>
      ) : (
        <div aria-hidden="true" className="animate-pulse rounded-md bg-slate-100 dark:bg-slate-800/60" style={{ height }} />
      )}
      <details className="mt-3 text-sm">
        <summary className="cursor-pointer text-slate-600 dark:text-slate-400">Show as table</summary>
        <div className="mt-2 max-h-72 overflow-auto">
          <table className="w-full text-left text-xs [&_td]:px-2 [&_td]:py-1 [&_th]:px-2 [&_th]:py-1 [&_th]:font-medium">
            <caption className="sr-only">Failed and timed-out runs per day</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col" className="text-right">
                  Failures
                </th>
              </tr>
            </thead>
            <tbody>
              {data.map((bucket) => (
                <tr key={bucket.day} className="border-t border-slate-200 dark:border-slate-800">
                  <th scope="row" className="font-mono font-normal">
                    {bucket.day}
                  </th>
                  <td className="text-right tabular-nums">{formatNumber(bucket.failures)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
