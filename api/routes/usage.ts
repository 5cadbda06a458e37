// /api/v1/teams/{teamId}/usage: this month's counters and the plan's limits.
import { Router } from 'express';
import type { Identity } from '../../core/identity.ts';
import type { AuthMiddleware } from '../middleware/authenticate.ts';

export function usageRoutes(identity: Identity, guards: AuthMiddleware): Router {
  const router = Router();
  router.get('/api/v1/teams/:teamId/usage', guards.requireTeamRole('usage:read'), async (req, res) => {
    res.json(await identity.usage.report(req.params.teamId as string));
  });
  return router;
}
