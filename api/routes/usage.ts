// /api/v1/teams/{teamId}/usage: this month's counters, the plan's limits, and how often the AI
// response cache answered for the team (counted in Redis by the ai activity).
import { type Router } from 'express';
import { apiRouter } from './router.ts';
import type { Identity } from '../../core/identity.ts';
import type { Redis } from '../../core/redis/client.ts';
import { AI_CACHE_HITS_KEY, AI_CACHE_MISSES_KEY } from '../../core/redis/keys.ts';
import type { AuthMiddleware } from '../middleware/authenticate.ts';

async function aiCacheStats(redis: Redis, teamId: string) {
  try {
    const [hits, misses] = (await redis.mget(`${AI_CACHE_HITS_KEY}:${teamId}`, `${AI_CACHE_MISSES_KEY}:${teamId}`)).map((v) => Number(v ?? 0));
    const lookups = (hits ?? 0) + (misses ?? 0);
    return { hits: hits ?? 0, misses: misses ?? 0, hitRatio: lookups === 0 ? null : (hits ?? 0) / lookups };
  } catch {
    return null; // Redis unavailable: the rest of the report still answers
  }
}

export function usageRoutes(identity: Identity, guards: AuthMiddleware, redis: Redis): Router {
  const router = apiRouter();
  router.get('/api/v1/teams/:teamId/usage', guards.requireTeamRole('usage:read'), async (req, res) => {
    const teamId = req.params.teamId as string;
    res.json({ ...(await identity.usage.report(teamId)), aiCache: await aiCacheStats(redis, teamId) });
  });
  return router;
}
