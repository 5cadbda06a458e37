// /api/v1/teams/{teamId}/api-keys: create (the key is shown once), list (no secrets), revoke;
// /api/v1/api-key: the key a request authenticates with, and its team.
import { type Router } from 'express';
import { apiRouter } from './router.ts';
import type { Identity } from '../../core/identity.ts';
import { CreateApiKeyRequest, PageQuery } from '../../contract/index.ts';
import { requireApiKey, type AuthContext, type AuthMiddleware } from '../middleware/authenticate.ts';
import { parseBody, parseQuery } from '../middleware/validate.ts';

export function keyRoutes(identity: Identity, guards: AuthMiddleware): Router {
  const router = apiRouter();
  const { requireTeamRole } = guards;

  router.get('/api/v1/api-key', requireApiKey, async (req, res) => {
    const auth = req.auth as Extract<AuthContext, { kind: 'key' }>; // requireApiKey ran first
    res.set('Cache-Control', 'no-store').json(await identity.keys.current(auth.key));
  });

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
