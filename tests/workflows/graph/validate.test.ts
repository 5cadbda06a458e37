import { readFileSync } from 'node:fs';
import { topologicalOrder, validate } from '../../../workflows/graph/validate.ts';
import { Graph } from '../../../workflows/graph/schema.ts';

const hello = JSON.parse(readFileSync(new URL('../../fixtures/hello-graph.json', import.meta.url), 'utf8')) as unknown;

describe('validate', () => {
  it('accepts a valid graph', () => {
    expect(validate(hello)).toEqual([]);
  });

  it('reports schema problems with their paths', () => {
    const problems = validate({ nodes: [{ id: '1bad', type: 'nope', config: {} }] });
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.some((p) => p.path.startsWith('nodes.0'))).toBe(true);
  });

  it('reports duplicate ids, unknown edge ends, bad ports, bad expressions and cycles together', () => {
    const problems = validate({
      nodes: [
        { id: 'a', type: 'transform', config: { expression: 'input.x' } },
        { id: 'a', type: 'transform', config: { expression: 'input.(' } },
        { id: 'b', type: 'output', config: { value: 'x {{ steps.( }}' } },
      ],
      edges: [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'a' },
        { from: 'a', to: 'ghost' },
        { from: 'a', port: 'nope', to: 'b' },
      ],
    });
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p.message]));
    expect(byPath['nodes.1.id']).toBe('duplicate node id "a"');
    expect(byPath['nodes.1.config.expression']).toMatch(/^invalid expression/);
    expect(byPath['nodes.2.config.value']).toMatch(/^invalid expression \{\{ steps\.\( \}\}/);
    expect(byPath['edges.2.to']).toBe('unknown node "ghost"');
    expect(byPath['edges.3.port']).toBe('node "a" has no output port "nope"');
    expect(byPath.edges).toMatch(/^cycle: (a → b → a|b → a → b)$/);
  });

  it('orders nodes topologically', () => {
    const graph = Graph.parse({
      nodes: [
        { id: 'c', type: 'output', config: { value: 1 } },
        { id: 'a', type: 'transform', config: { expression: '1' } },
        { id: 'b', type: 'transform', config: { expression: '2' } },
      ],
      edges: [{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }],
    });
    expect(topologicalOrder(graph)).toEqual(['a', 'b', 'c']);
  });
});
