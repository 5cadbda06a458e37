import { defineNode, type ConfigOf } from './types.ts';

export const condition = defineNode({
  type: 'condition',
  label: 'Condition',
  description: 'Branches on an expression: the "true" or the "false" port; the other branch is skipped.',
  kind: 'compute',
  config: (z) =>
    z.object({
      expression: z.string().min(1).describe('JSONata; a truthy result takes the "true" port'),
    }),
  outputs: ['true', 'false'],
  defaults: { expression: 'true' },
  expressionFields: ['expression'],
  templateFields: [],
});
export type ConditionConfig = ConfigOf<typeof condition>;
