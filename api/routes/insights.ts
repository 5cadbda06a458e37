// /api/v1/teams/{teamId}/stats and /failures: how a team's runs are doing, aggregated in SQL
// (core/runs/stats.ts, core/failures/service.ts) so the dashboard reads a few numbers instead of
// paging through the run list. Readable by every member (viewers too) and by runs:read API keys.
import { type Router } from 'express';
import { FailuresQuery, StatsQuery } from '../../contract/runs.ts';
import { apiRouter } from './router.ts';
import type { AuthMiddleware } from '../middleware/authenticate.ts';
import { parseQuery } from '../middleware/validate.ts';
import type { RunStatsService } from '../../core/runs/stats.ts';
import type { FailureService } from '../../core/failures/service.ts';

/** Without ?since=: the failures of the last 7 days. */
const DEFAULT_FAILURES_WINDOW_MS = 7 * 86_400_000;

export function insightRoutes(services: { stats: RunStatsService; failures: FailureService }, guards: AuthMiddleware): Router {
  const router = apiRouter();
  const team = (req: { params: Record<string, unknown> }) => req.params.teamId as string;

  router.get('/api/v1/teams/:teamId/stats', guards.requireTeamRole('runs:read'), async (req, res) => {
    const query = parseQuery(StatsQuery, req.query);
    res.json(await services.stats.daily(team(req), query));
  });

  router.get('/api/v1/teams/:teamId/failures', guards.requireTeamRole('runs:read'), async (req, res) => {
    const query = parseQuery(FailuresQuery, req.query);
    // Earlier than 1970 means "everything": clamped, so that no database sees a year it refuses (0000).
    const since = query.since ? new Date(Math.max(0, Date.parse(query.since))) : new Date(Date.now() - DEFAULT_FAILURES_WINDOW_MS);
    const items = await services.failures.list(team(req), { since, workflowId: query.workflowId, limit: query.limit });
    res.json({ since: since.toISOString(), items });
  });

  return router;
}
