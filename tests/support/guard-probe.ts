// Stand-in routes guarded exactly as the workflow and run routes are (requireTeamRole with the
// scoped actions of core/permissions.ts), on the real identity middleware and error handler, for
// tests of roles and API-key scopes that need an action an API key can be allowed.
import express from 'express';
import type { Config } from '../../core/config.ts';
import type { Orm } from '../../core/db/orm.ts';
import { createIdentity } from '../../core/identity.ts';
import { createLogger } from '../../core/log.ts';
import type { Redis } from '../../core/redis/client.ts';
import { createAuthMiddleware } from '../../api/middleware/authenticate.ts';
import { csrf } from '../../api/middleware/csrf.ts';
import { errorHandler, notFound } from '../../api/middleware/errors.ts';
import { rateLimit } from '../../api/middleware/rate-limit.ts';
import { requestLog } from '../../api/middleware/request-log.ts';

export function guardProbe(deps: { config: Config; orm: Orm; redis: Redis }): express.Express {
  const logger = createLogger({ level: 'silent', service: 'probe' });
  const identity = createIdentity({ ...deps, logger });
  const guards = createAuthMiddleware(identity);
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use(requestLog(logger), express.json());
  app.use(guards.authenticate, rateLimit({ limiter: identity.limiter, config: deps.config }), csrf({ allowedOrigins: deps.config.auth.allowedOrigins }));
  const answer: express.RequestHandler = (req, res) => {
    res.status(req.method === 'POST' ? 201 : 200).json({ teamId: req.team?.id, role: req.team?.role });
  };
  app.get('/api/v1/teams/:teamId/workflows', guards.requireTeamRole('workflows:read'), answer);
  app.post('/api/v1/teams/:teamId/workflows', guards.requireTeamRole('workflows:write'), answer);
  app.get('/api/v1/teams/:teamId/runs', guards.requireTeamRole('runs:read'), answer);
  app.post('/api/v1/teams/:teamId/workflows/:workflowId/runs', guards.requireTeamRole('runs:write'), answer);
  app.post('/api/v1/teams/:teamId/runs/:runId/approvals/:nodeId', guards.requireTeamRole('runs:approve'), answer);
  app.use(notFound, errorHandler);
  return app;
}
