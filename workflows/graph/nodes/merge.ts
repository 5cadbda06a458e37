import { defineNode, type ConfigOf } from './types.ts';

export const merge = defineNode({
  type: 'merge',
  label: 'Merge',
  description: 'Joins branches. Output: { <upstream id>: output } of the branches that ran.',
  kind: 'compute',
  config: (z) =>
    z.object({
      mode: z.enum(['all', 'any']).default('all').describe('all: wait for every branch not skipped; any: go on with the first'),
    }),
  outputs: ['out'],
  defaults: { mode: 'all' },
  expressionFields: [],
  templateFields: [],
});
export type MergeConfig = ConfigOf<typeof merge>;
