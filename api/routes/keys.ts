// /api/v1/teams/{teamId}/api-keys: create (the key is shown once), list (no secrets), revoke.
import { type Router } from 'express';
import { apiRouter } from './router.ts';
import { z } from 'zod';
import type { Identity } from '../../core/identity.ts';
import { PageQuery } from '../../core/pagination.ts';
import { SCOPES } from '../../core/permissions.ts';
import type { AuthMiddleware } from '../middleware/authenticate.ts';
import { parseBody, parseQuery } from '../middleware/validate.ts';

export const CreateApiKeyRequest = z.object({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(z.enum(SCOPES)).min(1),
  /** When the key stops working: after now, at most 365 days ahead; 90 days when absent. */
  expiresAt: z.iso.datetime({ offset: true }).transform((value) => new Date(value)).optional(),
});

export function keyRoutes(identity: Identity, guards: AuthMiddleware): Router {
  const router = apiRouter();
  const { requireTeamRole } = guards;

  router.post('/api/v1/teams/:teamId/api-keys', requireTeamRole('api_keys:write'), async (req, res) => {
    const body = parseBody(CreateApiKeyRequest, req.body);
    const createdBy = req.auth?.kind === 'user' ? req.auth.user.id : null;
    const key = await identity.keys.create(req.params.teamId as string, createdBy, body);
    res.status(201).set('Cache-Control', 'no-store').json(key);
  });

  router.get('/api/v1/teams/:teamId/api-keys', requireTeamRole('api_keys:read'), async (req, res) => {
    res.json(await identity.keys.list(req.params.teamId as string, parseQuery(PageQuery, req.query)));
  });

  router.delete('/api/v1/teams/:teamId/api-keys/:keyId', requireTeamRole('api_keys:write'), async (req, res) => {
    await identity.keys.revoke(req.params.teamId as string, req.params.keyId as string);
    res.status(204).end();
  });

  return router;
}
