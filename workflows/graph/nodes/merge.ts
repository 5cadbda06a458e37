import { z } from 'zod';
import type { NodeTypeDefinition } from './types.ts';

export const MergeConfig = z.object({
  mode: z.enum(['all', 'any']).default('all').describe('all: wait for every branch not skipped; any: go on with the first'),
});
export type MergeConfig = z.infer<typeof MergeConfig>;

export const merge = {
  type: 'merge',
  label: 'Merge',
  description: 'Joins branches. Output: { <upstream id>: output } of the branches that ran.',
  config: MergeConfig,
  outputs: ['out'],
  expressionFields: [],
  templateFields: [],
} as const satisfies NodeTypeDefinition<typeof MergeConfig>;
