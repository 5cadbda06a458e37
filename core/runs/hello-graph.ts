// The built-in graph of the foundation slice: proves api → Temporal → worker → db end to end.
import { Graph } from '../../workflows/graph/schema.ts';

export const HELLO_GRAPH: Graph = Graph.parse({
  nodes: [
    { id: 'greet', type: 'transform', config: { expression: '"Hello, " & input.name & "!"' } },
    { id: 'done', type: 'output', config: { value: { greeting: '{{ steps.greet.output }}', run: '{{ run.id }}' } } },
  ],
  edges: [{ from: 'greet', to: 'done' }],
});
