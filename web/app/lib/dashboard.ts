// Pure logic behind the dashboard and the lists: paging through API lists up to a cap, the days of
// a period, use of plan limits, and number formatting (the counting itself is done by the api in
// SQL: GET …/stats, …/failures). No I/O here (API calls are passed in), so it runs in tests and in
// the browser alike.
// Days and periods are UTC, like the API's usage periods (calendar months in UTC).

import type { RunStatus as AnyRunStatus } from '../../../contract/run-status.ts';

/** The statuses a chart shows (all but queued, from the contract's one list), in the order it stacks them (bottom first). */
export const RUN_STATUSES = ['succeeded', 'failed', 'timed_out', 'cancelled', 'waiting', 'running'] as const satisfies readonly AnyRunStatus[];
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Human names for statuses ("timed_out" → "timed out"). */
export function statusLabel(status: string): string {
  return status.replaceAll('_', ' ');
}

export interface ListPage<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Collected<T> {
  items: T[];
  /** True when the cap cut the list short: more matching items exist than were read. */
  capped: boolean;
}

/**
 * Reads a newest-first list page by page until the end, the cap, or (with `until`) the first item
 * that is too old — lists are ordered, so nothing after it can match.
 */
export async function collectPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<ListPage<T>>,
  options: { cap: number; until?: (item: T) => boolean },
): Promise<Collected<T>> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await fetchPage(cursor);
    for (const item of page.items) {
      if (options.until?.(item)) return { items, capped: false };
      if (items.length === options.cap) return { items, capped: true };
      items.push(item);
    }
    if (!page.nextCursor) return { items, capped: false };
    // A full list ending exactly at the cap: one more page tells whether anything was left out.
    cursor = page.nextCursor;
  }
}

/** `YYYY-MM-DD` (UTC) of an ISO time. */
export function dayOf(iso: string): string {
  return new Date(iso).toISOString().slice(0, 10);
}

/** Every UTC day from `start` up to and including `last` (both ISO times), oldest first. */
export function daysBetween(start: string, last: string): string[] {
  const days: string[] = [];
  const end = Date.parse(`${dayOf(last)}T00:00:00Z`);
  for (let at = Date.parse(`${dayOf(start)}T00:00:00Z`); at <= end; at += 86_400_000) {
    days.push(new Date(at).toISOString().slice(0, 10));
  }
  return days;
}

/** The days of a usage period that have begun by `now` (the chart does not show the future). */
export function periodDaysSoFar(period: { start: string; end: string }, now: Date): string[] {
  const lastMoment = Math.min(now.getTime(), Date.parse(period.end) - 1);
  if (lastMoment < Date.parse(period.start)) return [];
  return daysBetween(period.start, new Date(lastMoment).toISOString());
}

/** One day of the runs-per-day chart: runs per status (as GET …/stats counts them) and the total. */
export type DayBucket = { day: string; total: number } & Record<RunStatus, number>;

export interface LimitUse {
  used: number;
  /** null: the plan has no limit. */
  limit: number | null;
  /** Percent of the limit used, rounded (may exceed 100); null when unlimited. */
  percent: number | null;
  /** Width of a usage bar in percent, 0…100. */
  barPercent: number;
  level: 'ok' | 'warning' | 'full';
}

/** How much of a plan limit is used; "warning" from 80 %, "full" at or over the limit. */
export function limitUse(used: number, limit: number | null): LimitUse {
  if (limit === null) return { used, limit, percent: null, barPercent: 0, level: 'ok' };
  const ratio = limit <= 0 ? (used > 0 ? Infinity : 1) : used / limit;
  const percent = Number.isFinite(ratio) ? Math.round(ratio * 100) : 100;
  const level = ratio >= 1 ? 'full' : ratio >= 0.8 ? 'warning' : 'ok';
  return { used, limit, percent, barPercent: Math.min(100, Math.max(0, ratio * 100)), level };
}

// A fixed locale: server and browser must print the same digits (hydration), whatever their own.
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatNumber(value: number): string {
  return integer.format(value);
}

/** A ratio 0…1 as a percentage with at most one decimal ("87.5%", "100%"); "—" for null. */
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  const percent = Math.round(ratio * 1000) / 10;
  return `${Number.isInteger(percent) ? percent.toFixed(0) : percent.toFixed(1)}%`;
}

/**
 * US dollars: cents normally ("$1,234.50"), but small AI costs keep four decimals so they do not
 * all read "$0.00", and anything below that reads "< $0.0001".
 */
export function formatCost(usd: number): string {
  if (!Number.isFinite(usd) || usd === 0) return '$0.00';
  const sign = usd < 0 ? '-' : '';
  const amount = Math.abs(usd);
  if (amount < 0.0001) return `${sign}< $0.0001`;
  if (amount < 0.01) return `${sign}$${amount.toFixed(4)}`;
  return `${sign}$${amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** `run_1a2b3c4d…` → `run_1a2b3c4d`: enough to tell runs apart in a list. */
export function shortRunId(runId: string): string {
  return runId.length > 12 ? runId.slice(0, 12) : runId;
}

/** Milliseconds a run took, or null while it has not ended. */
export function runDurationMs(run: { startedAt: string; endedAt: string | null }): number | null {
  if (!run.endedAt) return null;
  return Math.max(0, Date.parse(run.endedAt) - Date.parse(run.startedAt));
}

/** The name of a copy, kept within the API's 200-character limit for names. */
export function copyName(name: string, maxLength = 200): string {
  const suffix = ' (copy)';
  return `${name.slice(0, maxLength - suffix.length).trimEnd()}${suffix}`;
}

/** `?a=1&b=2` from the values that are set (empty strings and undefined are left out). */
export function queryString(values: Record<string, string | number | null | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}
