// Compute-only nodes evaluate their expressions inside the workflow when they only call linear
// built-ins (docs/decisions/030-inline-compute.md): no local activity, no trip to the pool.
// Hostile expressions still go to the pool and fail naming their limit; an allowed one that
// would take too much work inside the workflow goes to the pool too and gets the pool's answer.
import { join } from 'node:path';
import jsonata from 'jsonata';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { createOrm, migrate, type Orm } from '../../core/db/orm.ts';
import { startRun } from '../../core/runs/start-run.ts';
import { createTemporalClient } from '../../core/temporal.ts';
import {
  evaluate, ExpressionLimitError, INLINE_COMPUTE_LIMITS, isBoundedExpression, isInlineExpression, isInlineValue, type ExpressionContext,
} from '../../workflows/graph/expressions.ts';
import { sizeUnits } from '../../workflows/graph/inline-budget.ts';
import { Graph } from '../../workflows/graph/schema.ts';
import { INLINE_COMPUTE_PATCH } from '../../workflows/interpreter/node-runtime.ts';
import { getRunState } from '../../workflows/messages.ts';
import type { RunGraphResult } from '../../workflows/run-graph.ts';
import { tempDir, testEnv } from '../support/env.ts';
import { startTestWorker } from '../support/worker.ts';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const context = (input: unknown): ExpressionContext => ({ input, steps: {}, run: { id: 'run_1', startedAt: '2026-01-01T00:00:00.000Z' } });
const order = { id: 'order-1', items: [{ price: 5, name: 'pen' }, { price: 7.5, name: 'ink' }], note: '  Hi  ' };
// Large enough that reading all of it once per item is far over the budget; small for the pool.
const big = { id: 'big', note: ' big ', items: Array.from({ length: 3_000 }, (_, i) => ({ price: i, name: `item ${i}` })) };

describe('which expressions run inline', () => {
  it.each([
    '{"id": input.id, "total": $sum(input.items.price)}',
    '$count(input.items) > 1 and $exists(input.id)',
    '$uppercase($trim(input.note)) & "-" & $string($max(input.items.price))',
    'input.items ~> $count',
    '$join(input.items.name, ", ")',
    '$merge([{"a": 1}, {"b": $lookup(input, "id")}])',
    'input.missing ?? $average(input.items.price)',
    '$$.input.id',
  ])('%s', (expression) => {
    expect(isInlineExpression(expression)).toBe(true);
  });

  it.each([
    '$count([1..100].[1..10000000])', // range
    '$length($pad("", 200000000))', // builds a string from a number
    '$contains(input.s, /^(a+)+$/)', // regular expression
    '$map(input.items, function($i) { $i.price })', // lambda, higher-order
    '$sort(input.items.price)', // not linear
    '$distinct(input.items)', // quadratic in JSONata
    '($x := input; $x)', // binding
    '$eval("1 + 1")',
    '$now()', // the clock
    '$random()',
    'input.items.price ~> $sort',
    'input.items#$i.($i)', // a variable other than $ and $$
    '**.price', // descendants
    'input.items.%.id', // parent
  ])('not %s', (expression) => {
    expect(isInlineExpression(expression)).toBe(false);
  });

  it('checks every template of a value', () => {
    expect(isInlineValue('template', { a: 'Total {{ $sum(input.items.price) }}', b: ['{{ input.id }}'] })).toBe(true);
    expect(isInlineValue('template', { a: 'Total {{ $sum(input.items.price) }}', b: ['{{ $sort(input.items) }}'] })).toBe(false);
  });

  it('keeps the bounded rule of ADR 016 as it was (runs in flight replay with it)', () => {
    expect(isBoundedExpression('$sum(input.items.price)')).toBe(false);
    expect(isBoundedExpression('input.items[price > 2].name')).toBe(true);
  });
});

describe('the work budget of an inline evaluation', () => {
  it('gives the same answers as an evaluation without it', async () => {
    for (const expression of ['{"id": input.id, "total": $sum(input.items.price)}', '$uppercase($trim(input.note))', '$string(input.items[0])', '$sum(input.items.price)']) {
      for (const input of [order, big]) {
        expect(await evaluate(expression, context(input), INLINE_COMPUTE_LIMITS)).toEqual(await evaluate(expression, context(input), {}));
      }
    }
  });

  it.each([
    'input.items.$string($$.input)', // the whole input stringified once per item
    'input.items[$$.input.items = $$.input.items].price', // a deep comparison of everything per item
    'input.items.$count($$.input.items)',
    'input.items.{"all": $$.input.items}.$string(all)',
  ])('stops %s before it does quadratic work', async (expression) => {
    expect(isInlineExpression(expression)).toBe(true);
    const error = await evaluate(expression, context(big), INLINE_COMPUTE_LIMITS).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ExpressionLimitError);
    expect((error as ExpressionLimitError).limit).toBe('steps');
    // …while the same expression over a small input is cheap and evaluates.
    expect(await evaluate(expression, context(order), INLINE_COMPUTE_LIMITS)).toBeDefined();
  });

  it('measures sizes without walking past the budget', () => {
    expect(sizeUnits({ a: [1, 2, 3], b: 'x'.repeat(640) }, 1_000)).toBe(1 + 2 + 1 + 3 + 3 + 1 + 10);
    expect(sizeUnits(big, 100)).toBeGreaterThan(100);
    expect(sizeUnits(big, 100)).toBeLessThan(3_200);
  });
});

describe('plain paths (read without JSONata)', () => {
  const ctx: ExpressionContext = {
    input: { id: 'order-1', n: 0, flag: false, nested: { deep: { text: 'x' } }, list: [1, 2], nothing: null },
    steps: { shape: { output: { id: 'o', total: 13.5 }, status: 'succeeded' } },
    run: { id: 'run_1', startedAt: '2026-01-01T00:00:00.000Z' },
  };
  const viaJsonata = async (expression: string) => jsonata(expression).evaluate(ctx) as Promise<unknown>;

  it.each(['steps.shape.output', 'steps.shape.output.total', 'input.id', 'input.n', 'input.flag', 'input.nested.deep', 'input.nested.deep.text', 'input', 'run.id', 'input.list', 'input.nothing'])(
    '%s gives JSONata\'s answer',
    async (expression) => {
      expect(await evaluate(expression, ctx, INLINE_COMPUTE_LIMITS)).toEqual(await viaJsonata(expression));
    },
  );

  it('fails a missing path as JSONata does', async () => {
    await expect(evaluate('input.missing', ctx, INLINE_COMPUTE_LIMITS)).rejects.toThrow('the path does not exist');
    await expect(evaluate('item.x', ctx, INLINE_COMPUTE_LIMITS)).rejects.toThrow('the path does not exist');
  });

  it('applies the size caps and the work budget', async () => {
    const long: ExpressionContext = { ...ctx, input: { text: 'x'.repeat(1_000_001) } };
    await expect(evaluate('input.text', long, INLINE_COMPUTE_LIMITS)).rejects.toThrow('expression_limit (string_length)');
    const wide: ExpressionContext = { ...ctx, input: { wide: Object.fromEntries(Array.from({ length: 300_000 }, (_, i) => [`k${i}`, i])) } };
    await expect(evaluate('input.wide', wide, INLINE_COMPUTE_LIMITS)).rejects.toThrow('expression_limit (steps)');
    // JSONata itself gives the same outcomes (a path it must evaluate: the block around it).
    await expect(evaluate('(input.text)', long, INLINE_COMPUTE_LIMITS)).rejects.toThrow('expression_limit (string_length)');
    await expect(evaluate('(input.wide)', wide, INLINE_COMPUTE_LIMITS)).rejects.toThrow('expression_limit (steps)');
  });

  it("matches the values JSONata's exit hook sees, which the plain path charges in the same order", async () => {
    const compiled = jsonata('steps.shape.output');
    const seen: unknown[] = [];
    compiled.assign(Symbol.for('jsonata.__evaluate_exit') as unknown as string, (_e: unknown, _i: unknown, _env: unknown, result: unknown) => void seen.push(result));
    await compiled.evaluate(ctx);
    const shape = ctx.steps.shape as { output: unknown };
    expect(seen).toHaveLength(4);
    expect(seen[0]).toBe(ctx.steps);
    expect(seen[1]).toBe(shape);
    expect(seen[2]).toBe(shape.output);
    expect(Array.isArray(seen[3]) && (seen[3] as unknown[]).length === 1 && (seen[3] as unknown[])[0] === shape.output).toBe(true);
    expect((seen[3] as { sequence?: boolean }).sequence).toBe(true);
  });
});

describe('compute-only nodes in a run', () => {
  let orm: Orm;
  let client: Client;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;

  beforeAll(async () => {
    orm = await createOrm(`sqlite:${join(tempDir('db'), 'app.sqlite')}`);
    await migrate(orm);
    client = await createTemporalClient({ address: testEnv.temporalAddress, namespace: 'default' });
    worker = await startTestWorker({ address: testEnv.temporalAddress, orm });
  });

  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
    await orm?.close();
  });

  async function run(graph: unknown, input: unknown): Promise<{ handle: WorkflowHandle; events: HistoryEvent[]; result?: RunGraphResult; error?: unknown }> {
    const { runId } = await startRun(
      client,
      { taskQueue: worker.taskQueue, blobThresholdBytes: 65_536, maxConcurrency: 10 },
      { graph: Graph.parse(graph), version: 1, input, teamId: 'team_1', workflowId: 'wf_1', trigger: 'api' },
    );
    const handle = client.workflow.getHandle(runId);
    const outcome = await handle.result().then((result: RunGraphResult) => ({ result }), (error: unknown) => ({ error }));
    return { handle, events: (await handle.fetchHistory()).events ?? [], ...outcome };
  }

  const markerText = (e: HistoryEvent) =>
    Object.values(e.markerRecordedEventAttributes?.details ?? {})
      .flatMap((p) => p.payloads ?? [])
      .map((p) => Buffer.from(p.data ?? []).toString())
      .join(' ');
  /** Trips to the expression pool: local activity markers of evaluateIsolated. */
  const poolTrips = (events: HistoryEvent[]) =>
    events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity' && markerText(e).includes('"activity_type":"evaluateIsolated"')).length;
  const patchMarked = (events: HistoryEvent[]) =>
    events.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch' && markerText(e).includes(INLINE_COMPUTE_PATCH));

  const sumGraph = (expression: string) => ({
    nodes: [
      { id: 'total', type: 'transform', config: { expression } },
      { id: 'big', type: 'condition', config: { expression: '$count(input.items) > 1' } },
      { id: 'kind', type: 'switch', config: { cases: [{ port: 'pricey', expression: '$max(input.items.price) > 100000' }] } },
      { id: 'both', type: 'merge', config: { mode: 'all' } },
      { id: 'out', type: 'output', config: { value: '{{ steps.total.output }}' } },
    ],
    edges: [
      { from: 'total', to: 'big' }, { from: 'big', port: 'true', to: 'both' }, { from: 'total', to: 'kind' },
      { from: 'kind', port: 'default', to: 'both' }, { from: 'both', to: 'out' },
    ],
  });

  it('runs transform, condition, switch, merge and output without a local activity', async () => {
    const { events, result, handle } = await run(sumGraph('{"id": input.id, "total": $sum(input.items.price)}'), order);
    expect(result).toMatchObject({ status: 'succeeded', output: { id: 'order-1', total: 12.5 } });
    expect(poolTrips(events)).toBe(0);
    expect(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'evaluateIsolated')).toEqual([]);
    expect(patchMarked(events)).toBe(true);
    const state = await handle.query(getRunState);
    expect(state.nodes.big?.output).toBe(true);
    expect(state.nodes.kind?.output).toBe('default');
  });

  it('sends a hostile expression to the pool, where it fails naming its limit', async () => {
    const { events, error, handle } = await run(sumGraph('$count([1..100].[1..10000000])'), order);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(poolTrips(events)).toBeGreaterThanOrEqual(1);
    const state = await handle.query(getRunState);
    expect(state.nodes.total?.error).toMatchObject({ type: 'expression_limit', kind: 'user' });
    expect(state.nodes.total?.error?.message).toContain('expression_limit (sequence_length)');
  });

  it('sends an allowed expression that would work too hard inline to the pool, which answers it', async () => {
    const expression = 'input.items[$$.input.items = $$.input.items].price ~> $count';
    const { events, result } = await run(sumGraph(expression), big);
    expect(result).toMatchObject({ status: 'succeeded', output: big.items.length });
    expect(poolTrips(events)).toBe(1); // the transform; the other nodes stay inline
  });
});
