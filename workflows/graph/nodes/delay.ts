import { z } from 'zod';
import { Duration } from './common.ts';
import type { NodeTypeDefinition } from './types.ts';

export const DelayConfig = z.object({
  duration: Duration.describe('How long to wait, e.g. "30s", "2h", "1d"'),
});
export type DelayConfig = z.infer<typeof DelayConfig>;

export const delay = {
  type: 'delay',
  label: 'Delay',
  description: 'Waits durably (a Temporal timer): restarts and deploys do not reset it.',
  config: DelayConfig,
  outputs: ['out'],
  expressionFields: [],
  templateFields: [],
} as const satisfies NodeTypeDefinition<typeof DelayConfig>;
