import { z } from 'zod';
import type { NodeTypeDefinition } from './types.ts';

export const TransformConfig = z.object({
  expression: z.string().min(1).describe('A JSONata expression over input, steps, item and run'),
});
export type TransformConfig = z.infer<typeof TransformConfig>;

export const transform = {
  type: 'transform',
  label: 'Transform',
  description: 'Computes a value with a JSONata expression, e.g. `input.items[price > 10].name`.',
  config: TransformConfig,
  outputs: ['out'],
  expressionFields: ['expression'],
  templateFields: [],
} as const satisfies NodeTypeDefinition<typeof TransformConfig>;
