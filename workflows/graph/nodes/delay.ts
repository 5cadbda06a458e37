import { duration } from './common.ts';
import { defineNode, type ConfigOf } from './types.ts';

export const delay = defineNode({
  type: 'delay',
  label: 'Delay',
  description: 'Waits durably (a Temporal timer): restarts and deploys do not reset it.',
  kind: 'wait',
  config: (z) =>
    z.object({
      duration: duration(z).describe('How long to wait, e.g. "30s", "2h", "1d"'),
    }),
  outputs: ['out'],
  defaults: { duration: '1m' },
  expressionFields: [],
  templateFields: [],
  durationFields: [{ field: 'duration', what: 'a delay' }],
});
export type DelayConfig = ConfigOf<typeof delay>;
