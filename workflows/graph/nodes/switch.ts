import { defineNode, type ConfigOf } from './types.ts';

export const switchNode = defineNode({
  type: 'switch',
  label: 'Switch',
  description: 'Takes the port of the first case whose expression is truthy, or "default".',
  kind: 'compute',
  config: (z) =>
    z.object({
      cases: z
        .array(
          z.object({
            port: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'must be lowercase letters, digits and _ (max 32)'),
            expression: z.string().min(1),
          }),
        )
        .min(1)
        .max(32)
        .superRefine((cases, ctx) => {
          // Each case is a port: names must be distinct and not the ports every switch has.
          const seen = new Set<string>();
          cases.forEach((c, i) => {
            if (c.port === 'default' || c.port === 'error') {
              const meaning = c.port === 'default' ? 'the port taken when no case matches' : 'the port of routed errors';
              ctx.addIssue({ code: 'custom', path: [i, 'port'], message: `"${c.port}" is reserved for ${meaning}` });
            } else if (seen.has(c.port)) {
              ctx.addIssue({ code: 'custom', path: [i, 'port'], message: `duplicate case port "${c.port}"` });
            }
            seen.add(c.port);
          });
        }),
    }),
  outputs: (config) => [...config.cases.map((c) => c.port), 'default'],
  defaults: { cases: [{ port: 'a', expression: 'true' }] },
  expressionFields: ['cases.*.expression'],
  templateFields: [],
});
export type SwitchConfig = ConfigOf<typeof switchNode>;
