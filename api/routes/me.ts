// /api/v1/me: the signed-in user, their teams, profile, password, sessions and login history.
import { type Router } from 'express';
import { apiRouter } from './router.ts';
import { ChangePasswordRequest, PageQuery, UpdateProfileRequest, type Session } from '../../contract/index.ts';
import { listLogins } from '../../core/auth/login-events.ts';
import { userView } from '../../core/auth/service.ts';
import type { Orm } from '../../core/db/orm.ts';
import { NotFoundError } from '../../core/errors.ts';
import type { Identity } from '../../core/identity.ts';
import { requireUser, setSessionCookie, type AuthContext } from '../middleware/authenticate.ts';
import { parseBody, parseQuery } from '../middleware/validate.ts';
import { requestMeta } from './auth.ts';

/** One of the user's active sessions, as GET /api/v1/me/sessions lists it. */
export type SessionView = Session;

type UserAuth = Extract<AuthContext, { kind: 'user' }>;
const userAuth = (auth: AuthContext | undefined): UserAuth => auth as UserAuth; // requireUser ran first

export function meRoutes(identity: Identity, deps: { orm: Orm }): Router {
  const router = apiRouter();
  router.use('/api/v1/me', requireUser);

  router.get('/api/v1/me', async (req, res) => {
    const { user } = userAuth(req.auth);
    res.json({ user: userView(user), teams: await identity.teams.listForUser(user.id), instanceAdmin: await identity.admins.isAdmin(user) });
  });

  router.patch('/api/v1/me', async (req, res) => {
    const body = parseBody(UpdateProfileRequest, req.body);
    res.json({ user: await identity.auth.updateProfile(userAuth(req.auth).user.id, body) });
  });

  router.post('/api/v1/me/password', async (req, res) => {
    const body = parseBody(ChangePasswordRequest, req.body);
    const auth = userAuth(req.auth);
    const signedIn = await identity.auth.changePassword(auth.user.id, body, requestMeta(req));
    if (auth.via === 'cookie') setSessionCookie(res, identity.config, signedIn.token, signedIn.expiresAt);
    res.json({ token: signedIn.token, expiresAt: signedIn.expiresAt.toISOString(), user: signedIn.user });
  });

  router.get('/api/v1/me/logins', async (req, res) => {
    const query = parseQuery(PageQuery, req.query);
    res.json(await listLogins(deps.orm, userAuth(req.auth).user.id, query));
  });

  router.get('/api/v1/me/sessions', async (req, res) => {
    const auth = userAuth(req.auth);
    const sessions = await identity.sessions.list(auth.user.id);
    res.json({
      items: sessions.map((s): SessionView => ({
        id: s.id,
        method: s.method,
        ip: s.ip ?? null,
        userAgent: s.userAgent ?? null,
        createdAt: s.createdAt.toISOString(),
        expiresAt: s.expiresAt.toISOString(),
        current: s.id === auth.session.id,
      })),
      nextCursor: null,
    });
  });

  router.delete('/api/v1/me/sessions/:sessionId', async (req, res) => {
    const auth = userAuth(req.auth);
    const sessions = await identity.sessions.list(auth.user.id);
    if (!sessions.some((s) => s.id === req.params.sessionId)) throw new NotFoundError('Session');
    await identity.sessions.revoke(req.params.sessionId);
    res.status(204).end();
  });

  return router;
}
