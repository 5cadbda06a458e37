import { duration } from './common.ts';
import { defineNode, type ConfigOf, type Zod } from './types.ts';

/** One field of the form a person fills in when deciding. */
export const formField = (z: Zod) =>
  z.object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/),
    label: z.string().max(200).optional(),
    type: z.enum(['string', 'number', 'boolean']),
    required: z.boolean().default(false),
  });

export const approval = defineNode({
  type: 'approval',
  label: 'Approval',
  description: 'Waits for a person to approve or reject (with the form filled in). Output: { decision, comment, data, actor, decidedAt }.',
  kind: 'wait',
  asksDecisions: true,
  config: (z) =>
    z.object({
      message: z.string().min(1).describe('What the approver is asked; may hold "{{ }}" templates'),
      form: z
        .array(formField(z))
        .max(50)
        .superRefine((fields, ctx) => {
          const seen = new Set<string>();
          fields.forEach((f, i) => {
            if (seen.has(f.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate form field "${f.name}"` });
            seen.add(f.name);
          });
        })
        .default([]),
      timeout: duration(z).optional().describe('After this, the "timed_out" port is taken'),
    }),
  outputs: ['approved', 'rejected', 'timed_out'],
  defaults: { message: 'Approve?' },
  expressionFields: [],
  templateFields: ['message'],
  durationFields: [{ field: 'timeout', what: 'an approval timeout' }],
});
export type ApprovalConfig = ConfigOf<typeof approval>;
export type FormField = ApprovalConfig['form'][number];
