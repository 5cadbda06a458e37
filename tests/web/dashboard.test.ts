// @lane unit
// The dashboard's pure logic: paging up to a cap, runs per day and status, success rate, use of
// plan limits, and the formatting of numbers, percentages and costs.
import {
  collectPages,
  copyName,
  daysBetween,
  formatCost,
  formatNumber,
  formatPercent,
  limitUse,
  periodDaysSoFar,
  queryString,
  runDurationMs,
  shortRunId,
  type ListPage,
} from '../../web/app/lib/dashboard.ts';

/** A newest-first list served in pages of `size`, recording which cursors were asked for. */
function pagedList<T>(items: T[], size: number) {
  const asked: (string | undefined)[] = [];
  const fetchPage = (cursor: string | undefined): Promise<ListPage<T>> => {
    asked.push(cursor);
    const from = cursor ? Number(cursor) : 0;
    const next = from + size;
    return Promise.resolve({ items: items.slice(from, next), nextCursor: next < items.length ? String(next) : null });
  };
  return { fetchPage, asked };
}

describe('collectPages', () => {
  it('reads every page when the list is below the cap', async () => {
    const list = pagedList([1, 2, 3, 4, 5], 2);
    const result = await collectPages(list.fetchPage, { cap: 10 });
    expect(result).toEqual({ items: [1, 2, 3, 4, 5], capped: false });
    expect(list.asked).toEqual([undefined, '2', '4']);
  });

  it('stops at the cap and says so', async () => {
    const list = pagedList([1, 2, 3, 4, 5, 6, 7], 3);
    const result = await collectPages(list.fetchPage, { cap: 4 });
    expect(result).toEqual({ items: [1, 2, 3, 4], capped: true });
    expect(list.asked).toEqual([undefined, '3']);
  });

  it('is not capped when the list holds exactly the cap', async () => {
    const list = pagedList([1, 2, 3, 4], 2);
    expect(await collectPages(list.fetchPage, { cap: 4 })).toEqual({ items: [1, 2, 3, 4], capped: false });
  });

  it('stops at the first item that is too old, without reading further pages', async () => {
    const list = pagedList([9, 8, 7, 6, 5, 4, 3], 2);
    const result = await collectPages(list.fetchPage, { cap: 100, until: (n) => n < 7 });
    expect(result).toEqual({ items: [9, 8, 7], capped: false });
    expect(list.asked).toEqual([undefined, '2']);
  });

  it('is not capped when the items past the cap are all too old', async () => {
    const list = pagedList([9, 8, 7, 1], 2);
    expect(await collectPages(list.fetchPage, { cap: 3, until: (n) => n < 5 })).toEqual({ items: [9, 8, 7], capped: false });
  });
});

describe('days', () => {
  it('lists every UTC day between two times, across a month end', () => {
    expect(daysBetween('2025-01-30T23:00:00.000Z', '2025-02-02T01:00:00.000Z')).toEqual(['2025-01-30', '2025-01-31', '2025-02-01', '2025-02-02']);
  });

  it('gives the days of the period up to today, not the future', () => {
    const period = { start: '2025-03-01T00:00:00.000Z', end: '2025-04-01T00:00:00.000Z' };
    const days = periodDaysSoFar(period, new Date('2025-03-05T12:00:00Z'));
    expect(days).toEqual(['2025-03-01', '2025-03-02', '2025-03-03', '2025-03-04', '2025-03-05']);
    // After the period ended: all of it, and not April 1st.
    const all = periodDaysSoFar(period, new Date('2025-04-10T00:00:00Z'));
    expect(all).toHaveLength(31);
    expect(all.at(-1)).toBe('2025-03-31');
    expect(periodDaysSoFar(period, new Date('2025-02-20T00:00:00Z'))).toEqual([]);
  });
});

describe('limitUse', () => {
  it('gives the percent used and a warning level from 80 %', () => {
    expect(limitUse(250, 1000)).toEqual({ used: 250, limit: 1000, percent: 25, barPercent: 25, level: 'ok' });
    expect(limitUse(800, 1000).level).toBe('warning');
    expect(limitUse(799, 1000).level).toBe('ok');
    expect(limitUse(2, 3).percent).toBe(67);
  });

  it('is full at the limit, and the bar never runs past 100 %', () => {
    expect(limitUse(10, 10)).toMatchObject({ percent: 100, barPercent: 100, level: 'full' });
    expect(limitUse(15, 10)).toMatchObject({ percent: 150, barPercent: 100, level: 'full' });
  });

  it('has no percent when unlimited, and copes with a zero limit', () => {
    expect(limitUse(12_345, null)).toEqual({ used: 12_345, limit: null, percent: null, barPercent: 0, level: 'ok' });
    expect(limitUse(0, 0)).toMatchObject({ percent: 100, level: 'full' });
    expect(limitUse(3, 0)).toMatchObject({ percent: 100, barPercent: 100, level: 'full' });
  });
});

describe('formatting', () => {
  it('formats costs in dollars, keeping small AI costs visible', () => {
    expect(formatCost(0)).toBe('$0.00');
    expect(formatCost(1234.5)).toBe('$1,234.50');
    expect(formatCost(0.01)).toBe('$0.01');
    expect(formatCost(0.0042)).toBe('$0.0042');
    expect(formatCost(0.00001)).toBe('< $0.0001');
    expect(formatCost(12.345)).toBe('$12.35');
    expect(formatCost(Number.NaN)).toBe('$0.00');
  });

  it('formats percentages with at most one decimal', () => {
    expect(formatPercent(0.875)).toBe('87.5%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(2 / 3)).toBe('66.7%');
    expect(formatPercent(null)).toBe('—');
    expect(formatPercent(undefined)).toBe('—');
  });

  it('formats numbers with thousands separators', () => {
    expect(formatNumber(1_234_567)).toBe('1,234,567');
    expect(formatNumber(0)).toBe('0');
  });

  it('shortens run ids and measures durations', () => {
    expect(shortRunId('run_0123456789abcdef0123456789abcdef')).toBe('run_01234567');
    expect(shortRunId('run_1')).toBe('run_1');
    expect(runDurationMs({ startedAt: '2025-03-01T00:00:00.000Z', endedAt: '2025-03-01T00:01:02.500Z' })).toBe(62_500);
    expect(runDurationMs({ startedAt: '2025-03-01T00:00:00.000Z', endedAt: null })).toBeNull();
  });

  it('builds query strings from the values that are set', () => {
    expect(queryString({ status: 'failed', workflowId: '', cursor: undefined, limit: 5 })).toBe('?status=failed&limit=5');
    expect(queryString({ q: 'a b&c' })).toBe('?q=a+b%26c');
    expect(queryString({ cursor: null })).toBe('');
  });
});

describe('workflow lists', () => {
  it('names copies within the 200-character limit', () => {
    expect(copyName('Invoice sync')).toBe('Invoice sync (copy)');
    const long = copyName('x'.repeat(200));
    expect(long).toHaveLength(200);
    expect(long.endsWith(' (copy)')).toBe(true);
  });
});
