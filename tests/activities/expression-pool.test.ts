// @lane unit
// The expression pool: every runaway expression fails with the limit it went over, the pool
// keeps serving (a killed runner is replaced), the worker process is untouched, and teams take
// turns so one team's slow evaluations do not hold up another's.
import { createExpressionPool, type ExpressionPool } from '../../activities/expressions/pool.ts';
import { ExpressionLimitError, type ExpressionContext } from '../../workflows/graph/expressions.ts';

const context: ExpressionContext = { input: { name: 'Ada', items: [{ price: 2 }, { price: 3 }] }, steps: {}, run: { id: 'run_1', startedAt: '2026-11-29T00:00:00Z' } };
const expression = (teamId: string, value: string) => ({ teamId, mode: 'expression' as const, value, context });

async function limitOf(pool: ExpressionPool, value: string): Promise<string> {
  const error = await pool.evaluate(expression('team_a', value)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExpressionLimitError);
  expect((error as Error).message).toMatch(/^expression_limit \(/);
  return (error as ExpressionLimitError).limit;
}

/** Runners start in the background: waits for a state, never for a time. */
async function readyRunners(pool: ExpressionPool, count: number): Promise<number[]> {
  while (pool.pids().length < count) await new Promise((r) => setTimeout(r, 20));
  return pool.pids();
}

describe('expression pool', () => {
  let pool: ExpressionPool;
  beforeAll(async () => {
    pool = createExpressionPool({ processes: 2, cpuMs: 500, memoryMb: 192, steps: 50_000 });
    await readyRunners(pool, 2);
  });
  afterAll(() => pool.close());

  it('evaluates expressions and renders templates', async () => {
    await expect(pool.evaluate(expression('team_a', '$sum(input.items.price)'))).resolves.toBe(5);
    await expect(pool.evaluate({ teamId: 'team_a', mode: 'template', value: { greeting: 'Hello {{ input.name }}', n: ['{{ $count(input.items) }}'] }, context })).resolves.toEqual({
      greeting: 'Hello Ada',
      n: [2],
    });
  });

  it.each([
    ['a range of ten million items', '$count([1..100].[1..10000000])', 'sequence_length'],
    ['a padding of 200 million characters', '$length($pad("", 200000000))', 'string_length'],
    ['a doubling concatenation', '$reduce([1..40], function($a, $b){ $a & $a }, "xxxxxxxxxx")', 'string_length'],
    ['a backtracking regular expression', `$contains("${'a'.repeat(34)}!", /^(a+)+$/)`, 'cpu_time'],
    ['a deep recursion', '( $f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000) )', 'depth'],
    ['an endless tail recursion', '( $f := function($n){ $f($n + 1) }; $f(0) )', 'steps'],
  ])('stops %s with the limit it went over', async (_name, value, limit) => {
    expect(await limitOf(pool, value)).toBe(limit);
    // …and keeps serving afterwards.
    await expect(pool.evaluate(expression('team_a', '1 + 1'))).resolves.toBe(2);
  });

  it('kills a runner over its memory ceiling and replaces it; the worker process is untouched', async () => {
    const before = await readyRunners(pool, 2);
    // Fifty strings each under the string cap: no size cap trips, the memory does.
    expect(await limitOf(pool, '$count([1..50].$pad("", 15000000, "x"))')).toBe('memory');
    await expect(pool.evaluate(expression('team_a', '"still " & "here"'))).resolves.toBe('still here');
    // A replacement starts in the background: two ready runners again, one of them new.
    expect((await readyRunners(pool, 2)).filter((pid) => !before.includes(pid))).toHaveLength(1);
    expect(pool.pids()).not.toContain(process.pid);
    expect(pool.stats().killed.memory).toBeGreaterThanOrEqual(1);
  });

  it('caps the size of a result', async () => {
    const small = createExpressionPool({ processes: 1, cpuMs: 500, memoryMb: 192, outputBytes: 1_000 });
    try {
      const error = await small.evaluate(expression('team_a', '$pad("", 2000, "x")')).catch((e: unknown) => e);
      expect(error).toMatchObject({ limit: 'output_bytes' });
    } finally {
      await small.close();
    }
  });

  it('serves teams in turn: one team queueing slow evaluations does not hold up another', async () => {
    const single = createExpressionPool({ processes: 1, cpuMs: 300, memoryMb: 192 });
    try {
      const finished: string[] = [];
      const bomb = `$contains("${'a'.repeat(34)}!", /^(a+)+$/)`;
      const hostile = Array.from({ length: 5 }, (_, i) =>
        single.evaluate(expression('hostile', bomb)).catch(() => finished.push(`hostile-${i}`)),
      );
      // Queued after all five: it still runs right after the first one, not after the fifth.
      const ordinary = single.evaluate(expression('ordinary', '"ok"')).then((value) => finished.push(`ordinary:${String(value)}`));
      await Promise.all([...hostile, ordinary]);
      expect(finished.indexOf('ordinary:ok')).toBeLessThanOrEqual(1);
      expect(finished).toHaveLength(6);
    } finally {
      await single.close();
    }
  });

  it('drops a queued evaluation whose activity was cancelled', async () => {
    const single = createExpressionPool({ processes: 1, cpuMs: 300, memoryMb: 192 });
    try {
      const busy = single.evaluate(expression('a', `$contains("${'a'.repeat(34)}!", /^(a+)+$/)`)).catch((e: unknown) => e);
      const controller = new AbortController();
      const queued = single.evaluate({ ...expression('b', '1'), signal: controller.signal }).catch((e: unknown) => e);
      controller.abort();
      expect(await queued).toMatchObject({ name: 'RunnerFailure' });
      expect(await busy).toMatchObject({ limit: 'cpu_time' });
      expect(single.stats().evaluations).toBe(0);
    } finally {
      await single.close();
    }
  });
});
