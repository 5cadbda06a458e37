// /api/v1/admin: the instance admin's routes (docs/decisions/035-instance-admin.md), guarded by
// requireInstanceAdmin: 401 without credentials, 403 `instance_admin_required` for API keys and
// for people who are not instance admins.
import type { RequestHandler, Router } from 'express';
import { AdminTeamsQuery, ChangePlanRequest, type InstanceAdmins } from '../../core/admin/service.ts';
import { ForbiddenError, UnauthorizedError } from '../../core/errors.ts';
import { parseBody, parseQuery } from '../middleware/validate.ts';
import { apiRouter } from './router.ts';

/** A signed-in person who is an instance admin; API keys never are (they act inside one team). */
export function requireInstanceAdmin(admins: InstanceAdmins): RequestHandler {
  return async (req, _res, next) => {
    const auth = req.auth;
    if (!auth) throw new UnauthorizedError();
    if (auth.kind !== 'user' || !(await admins.isAdmin(auth.user))) {
      throw new ForbiddenError('instance_admin_required', 'Only an instance admin can do this');
    }
    next();
  };
}

export function adminRoutes(admins: InstanceAdmins): Router {
  const router = apiRouter();
  router.use('/api/v1/admin', requireInstanceAdmin(admins));

  router.get('/api/v1/admin/teams', async (req, res) => {
    res.json(await admins.listTeams(parseQuery(AdminTeamsQuery, req.query)));
  });

  router.patch('/api/v1/admin/teams/:teamId', async (req, res) => {
    const body = parseBody(ChangePlanRequest, req.body);
    const auth = req.auth as Extract<typeof req.auth, { kind: 'user' }>; // requireInstanceAdmin ran first
    res.json(await admins.changePlan(req.params.teamId as string, body.plan, { userId: auth.user.id, email: auth.user.email }));
  });

  return router;
}
