// @lane unit
import {
  evaluate, EVALUATION_LIMITS, ExpressionError, isBoundedExpression, isBoundedValue, renderTemplate, stepReferences, type ExpressionContext,
} from '../../../workflows/graph/expressions.ts';

const context: ExpressionContext = {
  input: { name: 'Ada', count: 3, items: [{ price: 5 }, { price: 20 }] },
  steps: { fetch: { output: { status: 200 }, status: 'succeeded' } },
  run: { id: 'run_1', startedAt: '2026-11-25T00:00:00.000Z' },
};

describe('expressions', () => {
  it('evaluates JSONata over input, steps and run', async () => {
    expect(await evaluate('input.count * 2', context)).toBe(6);
    expect(await evaluate('steps.fetch.output.status = 200', context)).toBe(true);
    expect(await evaluate('$sum(input.items.price)', context)).toBe(25);
    expect(await evaluate('run.id', context)).toBe('run_1');
  });

  it('names the expression when a path does not exist', async () => {
    await expect(evaluate('input.missing.deep', context)).rejects.toThrow(ExpressionError);
    await expect(evaluate('input.missing.deep', context)).rejects.toThrow('the path does not exist (in expression `input.missing.deep`)');
  });

  it('reports syntax errors', async () => {
    await expect(evaluate('input.(', context)).rejects.toThrow(/in expression `input\.\(`/);
  });

  it('renders templates, keeping the type of a lone template', async () => {
    expect(await renderTemplate('Hello {{ input.name }}, you have {{ input.count }}', context)).toBe('Hello Ada, you have 3');
    expect(await renderTemplate('{{ input.count }}', context)).toBe(3);
    expect(await renderTemplate('{{ input.items[0] }}', context)).toEqual({ price: 5 });
    expect(await renderTemplate('items: {{ input.items.price }}', context)).toBe('items: [5,20]');
    expect(await renderTemplate('no templates', context)).toBe('no templates');
  });

  it('fails a template whose path is missing instead of rendering an empty string', async () => {
    await expect(renderTemplate('Hi {{ input.nope }}', context)).rejects.toThrow('input.nope');
  });
});

describe('runaway expressions', () => {
  it('stops a non-terminating recursion after a fixed number of steps (deterministic)', async () => {
    // A tail call: JSONata runs it as a loop, so only the step budget can stop it.
    // A generous wall clock, so only the step budget can stop it even on a loaded machine.
    await expect(evaluate('($f := function($n) { $f($n + 1) }; $f(0))', context, { timeoutMs: 120_000 })).rejects.toThrow(
      `the expression ran for more than ${EVALUATION_LIMITS.steps} evaluation steps`,
    );
    await expect(evaluate('($f := function($n) { $f($n + 1) }; $f(0))', context, { steps: 1_000 })).rejects.toThrow(
      'the expression ran for more than 1000 evaluation steps; check for a non-terminating recursion or an oversized computation (in expression',
    );
  });

  it('stops a deep recursion', async () => {
    await expect(evaluate('($f := function($n) { 1 + $f($n + 1) }; $f(0))', context, { depth: 500 })).rejects.toThrow(
      /^expression_limit \(depth\): the evaluation nested deeper than 500 levels/,
    );
  });

  it('stops a long computation on the wall clock outside workflows', async () => {
    await expect(evaluate('$sum($map([1..1000000], function($x) { $x * 2 }))', context, { steps: Infinity, timeoutMs: 50 })).rejects.toThrow(
      /^expression_limit \(cpu_time\): the evaluation ran for more than 50 ms/,
    );
  });

  it('caps every value an expression step produces, before a built-in can allocate it', async () => {
    await expect(evaluate('$count([1..10].[1..100])', context, { sequenceLength: 50 })).rejects.toMatchObject({
      name: 'ExpressionLimitError',
      limit: 'sequence_length',
    });
    await expect(evaluate('$pad("", 200000000)', context)).rejects.toThrow(/^expression_limit \(string_length\): \$pad to 200000000 characters/);
    await expect(evaluate('$reduce([1..30], function($a, $b) { $a & $a }, "x")', context, { stringLength: 1_000 })).rejects.toMatchObject({ limit: 'string_length' });
    // $pad keeps JSONata's meaning: positive widths pad on the right, negative on the left.
    expect(await evaluate('$pad("ab", 5, "#")', context)).toBe('ab###');
    expect(await evaluate('$pad("ab", -5, "xy")', context)).toBe('xyxab');
    expect(await evaluate('$pad("abc", 2)', context)).toBe('abc');
  });

  it('still evaluates ordinary work over thousands of items', async () => {
    const big = { ...context, input: { items: Array.from({ length: 5_000 }, (_, i) => ({ price: i })) } };
    expect(await evaluate('$count(input.items[price >= 2500])', big)).toBe(2_500);
    expect(await evaluate('($f := function($n) { $n <= 1 ? 1 : $n * $f($n - 1) }; $f(10))', context)).toBe(3_628_800);
  });

  it('applies the limits to templates', async () => {
    await expect(renderTemplate('n = {{ $sum([1..10]) }}', context, { steps: 3 })).rejects.toThrow('more than 3 evaluation steps');
  });
});

describe('stepReferences', () => {
  const ids = (expression: string) => stepReferences(expression).map((r) => `${r.form}:${r.id}`);

  it('finds steps read with a dot, $$, backticks and $lookup', () => {
    expect(ids('steps.fetch.output.status = 200 and steps.fetch.status = "succeeded"')).toEqual(['dot:fetch']);
    expect(ids('$$.steps.a.output + $.steps.b.output + steps.`c`.output + steps . d')).toEqual(['dot:a', 'dot:b', 'dot:c', 'dot:d']);
    expect(ids('$lookup(steps, "e").output & $lookup( $$.steps , \'f\' )')).toEqual(['lookup:e', 'lookup:f']);
    expect(stepReferences('$$.steps.a.output')[0]?.text).toBe('$$.steps.a');
  });

  it('flags the bracket form, which JSONata reads as a filter', () => {
    expect(stepReferences('steps["fetch"].output')).toEqual([{ id: 'fetch', text: 'steps["fetch"]', form: 'bracket' }]);
  });

  it('ignores string literals, comments, nested fields and other roots', () => {
    expect(ids('"steps.a" & \'steps.b\' & "say \\"steps.c\\""')).toEqual([]);
    expect(ids('/* steps.a */ input.steps.b & item.steps.c & $steps.d & mysteps.e & steps')).toEqual([]);
  });
});

describe('bounded expressions (evaluated inside the workflow)', () => {
  it.each([
    'steps.fetch.output.status = 200',
    'input.items[price > 2].name',
    '{"id": input.id, "first": input.items[0], "n": -input.n}',
    'input.a & " " & input.b',
    'input.flag ? "yes" : "no"',
    'input.items.(price * 2)',
    'input.x in ["a", "b"]',
    '*.name',
  ])('%s is bounded', (expression) => {
    expect(isBoundedExpression(expression)).toBe(true);
  });

  it.each([
    '$sum(input.items.price)',
    '[1..10]',
    '$$.input',
    '($x := 1; $x)',
    'function($n) { $n }',
    'input.items^(price)',
    '**.price',
    '$contains(input.s, /a+/)',
  ])('%s is not', (expression) => {
    expect(isBoundedExpression(expression)).toBe(false);
  });

  it('checks every template of a value, and refuses long expressions', () => {
    expect(isBoundedValue('template', { a: 'Hi {{ input.name }}', b: ['{{ steps.x.output }}', 3] })).toBe(true);
    expect(isBoundedValue('template', { a: 'Hi {{ input.name }}', b: ['{{ $uppercase(input.name) }}'] })).toBe(false);
    expect(isBoundedExpression(`input.a${' & input.a'.repeat(100)}`)).toBe(false);
  });
});

