import { defineNode, type ConfigOf } from './types.ts';

export const map = defineNode({
  type: 'map',
  label: 'Map',
  description: 'Runs a sub-graph or a saved workflow for each item of an array, a few at a time. Output: the array of results, in item order.',
  kind: 'child',
  config: (z) =>
    z
      .object({
        items: z.string().min(1).describe('JSONata expression giving the array to map over'),
        /** An inline sub-graph run once per item, with `item` in its expression context. */
        graph: z.unknown().optional().describe('Inline sub-graph { nodes, edges } run once per item; its expressions also see `item`'),
        /** Or a saved workflow run once per item (as a child workflow), receiving the item as input. */
        workflowId: z.string().optional().describe('Or a saved workflow run once per item, with the item as its input'),
        version: z.number().int().min(1).optional(),
        concurrency: z.number().int().min(1).max(50).default(4),
      })
      .refine((c) => (c.graph === undefined) !== (c.workflowId === undefined), {
        message: 'set either graph (inline sub-graph) or workflowId (saved workflow), not both',
        path: ['graph'],
      }),
  outputs: ['out'],
  defaults: { items: 'input.items', graph: { nodes: [{ id: 'each', type: 'transform', config: { expression: 'item' } }], edges: [] } },
  expressionFields: ['items'],
  templateFields: [],
  subgraphField: 'graph',
  parsesGraphs: true,
});
export type MapConfig = ConfigOf<typeof map>;
