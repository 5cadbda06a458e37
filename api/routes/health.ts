import { Router } from 'express';
import { checkReadiness, type ReadinessDeps } from '../../core/health/readiness.ts';
import type { Registry } from 'prom-client';

export function healthRoutes(deps: ReadinessDeps & { metrics: Registry }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const readiness = await checkReadiness(deps);
    res.status(readiness.status === 'ok' ? 200 : 503).json(readiness);
  });
  router.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.contentType).send(await deps.metrics.metrics());
  });
  return router;
}
