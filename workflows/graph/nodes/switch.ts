import { z } from 'zod';
import type { NodeTypeDefinition } from './types.ts';

export const SwitchConfig = z.object({
  cases: z
    .array(
      z.object({
        port: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'must be lowercase letters, digits and _ (max 32)'),
        expression: z.string().min(1),
      }),
    )
    .min(1)
    .max(32),
});
export type SwitchConfig = z.infer<typeof SwitchConfig>;

export const switchNode = {
  type: 'switch',
  label: 'Switch',
  description: 'Takes the port of the first case whose expression is truthy, or "default".',
  config: SwitchConfig,
  outputs: (config: SwitchConfig) => [...config.cases.map((c) => c.port), 'default'],
  expressionFields: [],
  templateFields: [],
} as const satisfies NodeTypeDefinition<typeof SwitchConfig>;
