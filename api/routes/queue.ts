// GET /api/v1/teams/{teamId}/queue: the team's queued runs by priority, the oldest one's wait,
// the runs holding a slot against the plan's concurrent runs, and the next runs to leave
// (docs/decisions/028-admission-queue.md).
import { type Router } from 'express';
import { apiRouter } from './router.ts';
import type { Platform } from '../../core/platform.ts';
import type { AuthMiddleware } from '../middleware/authenticate.ts';

export function queueRoutes(platform: Platform, guards: AuthMiddleware): Router {
  const router = apiRouter();
  router.get('/api/v1/teams/:teamId/queue', guards.requireTeamRole('runs:read'), async (req, res) => {
    res.json(await platform.queue.summary(req.params.teamId as string));
  });
  return router;
}
