// The Express application, built from injected dependencies (no globals), so tests can build
// one against their own services.
import express from 'express';
import type { Client } from '@temporalio/client';
import type { Config } from '../core/config.ts';
import type { Orm } from '../core/db/orm.ts';
import type { Logger } from '../core/log.ts';
import type { Redis } from '../core/redis/client.ts';
import { engineSettings } from '../core/runs/start-run.ts';
import { createMetrics } from './metrics.ts';
import { errorHandler, notFound } from './middleware/errors.ts';
import { requestLog } from './middleware/request-log.ts';
import { docsPage, openApiDocument } from './openapi.ts';
import { diagnosticsRoutes } from './routes/diagnostics.ts';
import { healthRoutes } from './routes/health.ts';

export interface AppDeps {
  config: Pick<Config, 'env' | 'temporal' | 'engine'>;
  logger: Logger;
  orm: Orm;
  redis: Redis;
  temporal: Client;
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  const metrics = createMetrics();
  app.use(requestLog(deps.logger));
  app.use(metrics.measure);
  app.use(express.json({ limit: '1mb' }));

  app.use(healthRoutes({ ...deps, namespace: deps.config.temporal.namespace, metrics: metrics.registry }));
  const diagnostics = deps.config.env !== 'production';
  const document = openApiDocument({ diagnostics });
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.get('/api/docs', (_req, res) => {
    res.type('html').send(docsPage(document));
  });
  if (diagnostics) app.use(diagnosticsRoutes({ temporal: deps.temporal, engine: engineSettings(deps.config) }));

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
