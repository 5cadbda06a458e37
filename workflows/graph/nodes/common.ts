// Sub-schemas several node types share, as builders taking the injected zod (types.ts).
import type { Zod } from './types.ts';
import { DURATION } from './types.ts';

export { durationMs, MAX_DURATION_MS, MAX_RETRY_INTERVAL_MS } from '../durations.ts';

export const duration = (z: Zod) => z.string().regex(DURATION, 'must be a duration like "500ms", "30s", "5m", "2h" or "1d"');
export type Duration = string;

export const retryPolicy = (z: Zod) =>
  z.object({
    maxAttempts: z.number().int().min(1).max(100).default(3),
    initialInterval: duration(z).default('1s'),
    backoffCoefficient: z.number().min(1).max(10).default(2),
  });
export interface RetryPolicy {
  maxAttempts: number;
  initialInterval: string;
  backoffCoefficient: number;
}

export const ON_ERROR = ['fail', 'continue', 'route'] as const;
export const onError = (z: Zod) => z.enum(ON_ERROR);
export type OnError = (typeof ON_ERROR)[number];
