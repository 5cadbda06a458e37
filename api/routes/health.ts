import type { Request } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { type Router } from 'express';
import { apiRouter } from './router.ts';
import { checkReadiness, type ReadinessDeps } from '../../core/health/readiness.ts';
import { ForbiddenError } from '../../core/errors.ts';
import type { Registry } from 'prom-client';

/** 127.0.0.0/8, ::1 and IPv4-mapped loopback. req.ip believes X-Forwarded-For only from TRUST_PROXY's proxies. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Operators' view: a caller on loopback (the machine itself, a sidecar), or one presenting
 * METRICS_TOKEN as a bearer token (a Prometheus elsewhere in the cluster).
 */
function isOperator(req: Request, token: string | undefined): boolean {
  if (isLoopback(req.ip)) return true;
  const header = req.get('authorization') ?? '';
  return token !== undefined && header.startsWith('Bearer ') && sameSecret(header.slice(7), token);
}

export function healthRoutes(deps: ReadinessDeps & { metrics: Registry; metricsToken: string | undefined }): Router {
  const router = apiRouter();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    const readiness = await checkReadiness(deps);
    // Dependency errors name hosts and ports: only operators see them; everyone sees the statuses.
    if (!isOperator(req, deps.metricsToken)) {
      for (const check of Object.values(readiness.checks)) delete check.error;
    }
    res.status(readiness.status === 'ok' ? 200 : 503).json(readiness);
  });
  router.get('/metrics', async (req, res) => {
    if (!isOperator(req, deps.metricsToken)) {
      throw new ForbiddenError('metrics_forbidden', 'Metrics are served to loopback, or with the METRICS_TOKEN as a bearer token');
    }
    res.type(deps.metrics.contentType).send(await deps.metrics.metrics());
  });
  return router;
}
