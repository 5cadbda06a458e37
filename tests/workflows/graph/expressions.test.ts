import { evaluate, ExpressionError, renderTemplate, type ExpressionContext } from '../../../workflows/graph/expressions.ts';

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
