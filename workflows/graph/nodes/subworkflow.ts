import { z } from 'zod';
import type { NodeTypeDefinition } from './types.ts';

export const SubworkflowConfig = z.object({
  workflowId: z.string().min(1).describe('A saved workflow of the same team'),
  version: z.number().int().min(1).optional().describe('Pinned version; the latest at the time the node runs otherwise'),
  input: z.unknown().optional().describe('Input of the child run; strings may hold "{{ }}" templates'),
});
export type SubworkflowConfig = z.infer<typeof SubworkflowConfig>;

export const subworkflow = {
  type: 'subworkflow',
  label: 'Sub-workflow',
  description: 'Runs another saved workflow as a child run and waits for its output.',
  config: SubworkflowConfig,
  outputs: ['out'],
  expressionFields: [],
  templateFields: ['input'],
} as const satisfies NodeTypeDefinition<typeof SubworkflowConfig>;
