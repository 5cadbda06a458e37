// Health, readiness and the diagnostics routes on the wire.
import { z } from 'zod';
import { answer } from './common.ts';

export const Alive = answer('Alive', z.object({ status: z.literal('ok') }));
const Check = z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() });
export const Readiness = answer('Readiness', z.object({ status: z.enum(['ok', 'unavailable']), checks: z.object({ database: Check, redis: Check, temporal: Check }) }));
export type Readiness = z.infer<typeof Readiness>;

export const HelloRunRequest = z.object({ name: z.string().min(1).max(100).default('world') });
export type HelloRunRequest = z.infer<typeof HelloRunRequest>;
export const HelloRunStarted = answer('HelloRunStarted', z.object({ runId: z.string(), status: z.literal('running') }));
export const HelloRunState = answer('HelloRunState', z.looseObject({ runId: z.string(), temporalStatus: z.string() }));
