// The Express application, built from injected dependencies (no globals), so tests can build
// one against their own services.
import express from 'express';
import type { Client } from '@temporalio/client';
import type { Config } from '../core/config.ts';
import type { Orm } from '../core/db/orm.ts';
import type { Logger } from '../core/log.ts';
import type { Redis } from '../core/redis/client.ts';
import { engineSettings } from '../core/runs/start-run.ts';
import { createIdentity } from '../core/identity.ts';
import { createMetrics } from './metrics.ts';
import { createPlatform } from '../core/platform.ts';
import { createRunEventHub } from './events.ts';
import { hookRoutes } from './routes/hooks.ts';
import { runRoutes } from './routes/runs.ts';
import { queueRoutes } from './routes/queue.ts';
import { insightRoutes } from './routes/insights.ts';
import { createRunEventStreams } from './routes/run-events.ts';
import { createStreamSlots } from '../core/limits/streams.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { createNotificationChannels } from '../core/notifications/channels.ts';
import { createNotifier } from '../core/notifications/notifier.ts';
import { workflowRoutes } from './routes/workflows.ts';
import { mcpRoutes } from './routes/mcp.ts';
import { createAuthMiddleware } from './middleware/authenticate.ts';
import { csrf } from './middleware/csrf.ts';
import { cors } from './middleware/origin.ts';
import { rateLimit } from './middleware/rate-limit.ts';
import { errorHandler, notFound } from './middleware/errors.ts';
import { checkJsonBody, refuseNulInUrl } from './middleware/validate.ts';
import { requestLog } from './middleware/request-log.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import { docsRoutes } from './docs.ts';
import { diagnosticsRoutes } from './routes/diagnostics.ts';
import { healthRoutes } from './routes/health.ts';
import { authRoutes } from './routes/auth.ts';
import { keyRoutes } from './routes/keys.ts';
import { meRoutes } from './routes/me.ts';
import { teamRoutes } from './routes/teams.ts';
import { usageRoutes } from './routes/usage.ts';
import { adminRoutes } from './routes/admin.ts';

export interface AppDeps {
  config: Pick<Config, 'env' | 'temporal' | 'engine' | 'dataDir' | 'web' | 'smtp' | 'mail' | 'auth' | 'rateLimit' | 'secretKey' | 'previousSecretKeys' | 'redis' | 'trustProxy' | 'sse' | 'diagnostics' | 'metrics' | 'dispatch' | 'admin' | 'mcp' | 'http'>;
  logger: Logger;
  orm: Orm;
  redis: Redis;
  temporal: Client;
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.trustProxy);
  // Paths match only as written: the checks below compare req.path with lower-case prefixes, so an
  // odd-case path must never reach a handler (routers: api/routes/router.ts).
  app.set('case sensitive routing', true);
  const metrics = createMetrics({ orm: deps.orm, logger: deps.logger, teamLabel: deps.config.metrics.teamLabel });
  app.use(securityHeaders);
  app.use(requestLog(deps.logger));
  app.use(metrics.measure);
  // CORS_ORIGINS' pages may call the API (API keys only; ADR 039); preflights end here.
  app.use(cors({ origins: deps.config.auth.corsOrigins }));
  // Accounts and tenancy (core/identity.ts); workflows, runs and triggers (core/platform.ts).
  const identity = createIdentity({ config: deps.config, orm: deps.orm, redis: deps.redis, logger: deps.logger, temporal: deps.temporal });
  const platform = createPlatform({ config: deps.config, orm: deps.orm, redis: deps.redis, temporal: deps.temporal, logger: deps.logger, usage: identity.usage });
  // Live run events come from Redis pub/sub.
  const hub = createRunEventHub(deps.config.redis.url, deps.logger);
  // Queued runs leave for Temporal through this process's dispatcher too (core/runs/dispatcher.ts).
  const stopDispatcher = platform.dispatcher.start();
  // Schedules made before they queued runs (their action copies a graph) are upgraded once.
  void platform.schedules.upgradeAll().then(
    (upgraded) => upgraded > 0 && deps.logger.info({ upgraded }, 'schedules upgraded to queue their runs'),
    (error: unknown) => deps.logger.warn({ err: (error as Error).message }, 'upgrading schedules failed'),
  );
  app.locals.close = () => {
    stopDispatcher();
    hub.close();
  };
  app.use(refuseNulInUrl);
  // Signed webhooks need the raw body: mounted before the JSON parser.
  app.use(hookRoutes(platform, hub, deps.config.rateLimit.enabled ? identity.limiter : undefined, deps.config.rateLimit.webhookPerMinute, deps.config.web.publicUrl));
  app.use(express.json({ limit: '1mb', verify: checkJsonBody }));

  app.use(healthRoutes({ ...deps, namespace: deps.config.temporal.namespace, metrics: metrics.registry, metricsToken: deps.config.metrics.token }));
  // Off unless TRELLIS_DIAGNOSTICS asks for them; core/config.ts refuses them in production.
  const diagnostics = deps.config.diagnostics && deps.config.env !== 'production';
  // The OpenAPI document generated from the contract, and the interactive reference (api/docs.ts).
  app.use(docsRoutes({ diagnostics }));
  // Identity: who is calling (session or API key), rate limits, CSRF; then the account and team
  // routes. Team routes of other areas guard themselves with guards.requireTeamRole(action).
  const guards = createAuthMiddleware(identity);
  app.use(guards.authenticate, rateLimit({ limiter: identity.limiter, config: deps.config }), csrf({ allowedOrigins: deps.config.auth.allowedOrigins }));
  app.use(authRoutes(identity), meRoutes(identity, deps), teamRoutes(identity, guards), keyRoutes(identity, guards), usageRoutes(identity, guards, deps.redis), adminRoutes(identity.admins));
  const events = createRunEventStreams({ runs: platform.runs, hub, slots: createStreamSlots({ redis: deps.redis, logger: deps.logger }), limits: deps.config.sse, logger: deps.logger });
  app.use(workflowRoutes(platform, guards), runRoutes(platform, guards, events), queueRoutes(platform, guards));
  app.use(insightRoutes(platform, guards));
  // Trellis as an MCP server for API keys (POST /mcp): the team's tool workflows.
  app.use(mcpRoutes({ platform, hub, identity, guards, config: deps.config, logger: deps.logger, redis: deps.redis }));

  // Notification channels; deliveries run on the outgoing-messages queue (worker/mail.ts).
  const notifier = createNotifier({ orm: deps.orm, temporal: deps.temporal, taskQueue: deps.config.mail.taskQueue, publicUrl: deps.config.web.publicUrl, logger: deps.logger });
  app.use(notificationRoutes(createNotificationChannels({ orm: deps.orm, vault: platform.vault, notifier }), guards));

  if (diagnostics) app.use(diagnosticsRoutes({ temporal: deps.temporal, engine: engineSettings(deps.config) }));

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
