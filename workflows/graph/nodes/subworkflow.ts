import { defineNode, type ConfigOf } from './types.ts';

export const subworkflow = defineNode({
  type: 'subworkflow',
  label: 'Sub-workflow',
  description: 'Runs another saved workflow as a child run and waits for its output.',
  kind: 'child',
  config: (z) =>
    z.object({
      workflowId: z.string().min(1).describe('A saved workflow of the same team'),
      version: z.number().int().min(1).optional().describe('Pinned version; the latest at the time the node runs otherwise'),
      input: z.unknown().optional().describe('Input of the child run; strings may hold "{{ }}" templates'),
    }),
  outputs: ['out'],
  // A placeholder that validates; the person picks the workflow.
  defaults: { workflowId: 'workflow-id' },
  expressionFields: [],
  templateFields: ['input'],
  parsesGraphs: true,
});
export type SubworkflowConfig = ConfigOf<typeof subworkflow>;
