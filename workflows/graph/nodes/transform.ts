import { defineNode, type ConfigOf } from './types.ts';

export const transform = defineNode({
  type: 'transform',
  label: 'Transform',
  description: 'Computes a value with a JSONata expression, e.g. `input.items[price > 10].name`.',
  kind: 'compute',
  config: (z) =>
    z.object({
      expression: z.string().min(1).describe('A JSONata expression over input, steps, item and run'),
    }),
  outputs: ['out'],
  defaults: { expression: 'input' },
  expressionFields: ['expression'],
  templateFields: [],
});
export type TransformConfig = ConfigOf<typeof transform>;
