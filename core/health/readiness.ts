// Readiness: are the database, Redis and Temporal reachable? Each check is bounded by a timeout
// so /readyz answers quickly even when a dependency hangs.
import type { Client } from '@temporalio/client';
import type { Orm } from '../db/orm.ts';
import type { Redis } from '../redis/client.ts';

export interface CheckResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export interface Readiness {
  status: 'ok' | 'unavailable';
  checks: { database: CheckResult; redis: CheckResult; temporal: CheckResult };
}

export interface ReadinessDeps {
  orm: Orm;
  redis: Redis;
  temporal: Client;
  namespace: string;
  timeoutMs?: number;
}

async function timed(probe: () => Promise<unknown>, timeoutMs: number): Promise<CheckResult> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - start) };
  } catch (error) {
    return { ok: false, latencyMs: Math.round(performance.now() - start), error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkReadiness(deps: ReadinessDeps): Promise<Readiness> {
  const timeoutMs = deps.timeoutMs ?? 2_000;
  const [database, redis, temporal] = await Promise.all([
    timed(() => deps.orm.em.getConnection().execute('select 1'), timeoutMs),
    timed(() => deps.redis.ping(), timeoutMs),
    timed(
      () => deps.temporal.workflowService.describeNamespace({ namespace: deps.namespace }),
      timeoutMs,
    ),
  ]);
  const ok = database.ok && redis.ok && temporal.ok;
  return { status: ok ? 'ok' : 'unavailable', checks: { database, redis, temporal } };
}
