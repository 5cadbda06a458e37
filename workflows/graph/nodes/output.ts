import { z } from 'zod';
import type { NodeTypeDefinition } from './types.ts';

export const OutputConfig = z.object({
  value: z.unknown().describe('The run\'s result; strings may hold "{{ }}" templates'),
});
export type OutputConfig = z.infer<typeof OutputConfig>;

export const output = {
  type: 'output',
  label: 'Output',
  description: 'Sets the result of the run (and answers a webhook called with ?wait=true).',
  config: OutputConfig,
  outputs: [],
  expressionFields: [],
  templateFields: ['value'],
} as const satisfies NodeTypeDefinition<typeof OutputConfig>;
