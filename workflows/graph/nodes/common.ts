import { z } from 'zod';
import { DURATION } from './types.ts';

export const Duration = z.string().regex(DURATION, 'must be a duration like "500ms", "30s", "5m", "2h" or "1d"');
export type Duration = z.infer<typeof Duration>;

export { durationMs, MAX_DURATION_MS, MAX_RETRY_INTERVAL_MS } from '../durations.ts';

export const RetryPolicy = z.object({
  maxAttempts: z.number().int().min(1).max(100).default(3),
  initialInterval: Duration.default('1s'),
  backoffCoefficient: z.number().min(1).max(10).default(2),
});
export type RetryPolicy = z.infer<typeof RetryPolicy>;

export const OnError = z.enum(['fail', 'continue', 'route']);
export type OnError = z.infer<typeof OnError>;
