// /api/v1/me: the signed-in user, their teams, profile, password, sessions and login history.
import { type Router } from 'express';
import { apiRouter } from './router.ts';
import { z } from 'zod';
import { listLogins } from '../../core/auth/login-events.ts';
import { PASSWORD_MAX_LENGTH } from '../../core/auth/passwords.ts';
import { userView } from '../../core/auth/service.ts';
import type { Orm } from '../../core/db/orm.ts';
import { NotFoundError } from '../../core/errors.ts';
import type { Identity } from '../../core/identity.ts';
import { PageQuery } from '../../core/pagination.ts';
import { requireUser, setSessionCookie, type AuthContext } from '../middleware/authenticate.ts';
import { parseBody, parseQuery } from '../middleware/validate.ts';
import { requestMeta } from './auth.ts';

export const UpdateProfileRequest = z
  .object({
    name: z.string().trim().min(1).max(100),
    avatarUrl: z.url({ protocol: /^https?$/ }).max(2048).nullable(),
    timezone: z.string().min(1).max(64).refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as Europe/Paris').nullable(),
    locale: z.string().regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, 'must be a BCP 47 language tag such as en-GB').max(35).nullable(),
  })
  .partial()
  .strict();

export const ChangePasswordRequest = z.object({
  currentPassword: z.string().max(PASSWORD_MAX_LENGTH).optional(),
  newPassword: z.string().min(1).max(PASSWORD_MAX_LENGTH),
});

/** One of the user's active sessions, as GET /api/v1/me/sessions lists it. */
export interface SessionView {
  id: string;
  method: string;
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
  expiresAt: string;
  current: boolean;
}

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
