import { z } from 'zod';
import type { NodeTypeDefinition } from './types.ts';

export const ConditionConfig = z.object({
  expression: z.string().min(1).describe('JSONata; a truthy result takes the "true" port'),
});
export type ConditionConfig = z.infer<typeof ConditionConfig>;

export const condition = {
  type: 'condition',
  label: 'Condition',
  description: 'Branches on an expression: the "true" or the "false" port; the other branch is skipped.',
  config: ConditionConfig,
  outputs: ['true', 'false'],
  expressionFields: ['expression'],
  templateFields: [],
} as const satisfies NodeTypeDefinition<typeof ConditionConfig>;
