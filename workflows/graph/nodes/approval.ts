import { z } from 'zod';
import { Duration } from './common.ts';
import type { NodeTypeDefinition } from './types.ts';

/** One field of the form a person fills in when deciding. */
export const FormField = z.object({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/),
  label: z.string().max(200).optional(),
  type: z.enum(['string', 'number', 'boolean']),
  required: z.boolean().default(false),
});
export type FormField = z.infer<typeof FormField>;

export const ApprovalConfig = z.object({
  message: z.string().min(1).describe('What the approver is asked; may hold "{{ }}" templates'),
  form: z
    .array(FormField)
    .max(50)
    .superRefine((fields, ctx) => {
      const seen = new Set<string>();
      fields.forEach((f, i) => {
        if (seen.has(f.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate form field "${f.name}"` });
        seen.add(f.name);
      });
    })
    .default([]),
  timeout: Duration.optional().describe('After this, the "timed_out" port is taken'),
});
export type ApprovalConfig = z.infer<typeof ApprovalConfig>;

export const approval = {
  type: 'approval',
  label: 'Approval',
  description: 'Waits for a person to approve or reject (with the form filled in). Output: { decision, comment, data, actor, decidedAt }.',
  config: ApprovalConfig,
  outputs: ['approved', 'rejected', 'timed_out'],
  expressionFields: [],
  templateFields: ['message'],
} as const satisfies NodeTypeDefinition<typeof ApprovalConfig>;
