import { defineNode, type ConfigOf } from './types.ts';

export const output = defineNode({
  type: 'output',
  label: 'Output',
  description: 'Sets the result of the run (and answers a webhook called with ?wait=true).',
  kind: 'output',
  config: (z) =>
    z.object({
      value: z.unknown().describe('The run\'s result; strings may hold "{{ }}" templates'),
    }),
  outputs: [],
  defaults: { value: '{{ input }}' },
  expressionFields: [],
  templateFields: ['value'],
});
export type OutputConfig = ConfigOf<typeof output>;
