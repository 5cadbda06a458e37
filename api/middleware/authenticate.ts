// Who is calling: a user session (cookie `trellis_session` or `Authorization: Bearer <token>`) or
// an API key (`Authorization: Bearer trk_…`). And the guards every route uses:
//   requireAuth       any credentials (401 otherwise)
//   requireUser       a user session; API keys get 403
//   requireApiKey     an API key; sessions get 403
//   requireScope(s)   API keys must carry scope s; sessions pass
//   apiKeyOf(req)     the request's API key (`Bearer trk_…`) or 401, for endpoints outside /api (POST /mcp)
//   requireTeamRole(action)  THE team guard: the `:teamId` of the path must be the caller's team
//                     (404 otherwise, never revealing that it exists), and the permission table
//                     (core/permissions.ts) must allow `action` for the caller's role or key scopes
//                     (403 otherwise). It also applies the team's per-plan request rate.
import type { CookieOptions, Request, RequestHandler, Response } from 'express';
import type { User, Session } from '../../core/auth/entities.ts';
import { SESSION_COOKIE } from '../../core/auth/sessions.ts';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../../core/errors.ts';
import type { Identity } from '../../core/identity.ts';
import type { AuthenticatedKey } from '../../core/keys/service.ts';
import { isApiKey } from '../../core/keys/service.ts';
import { can, PERMISSIONS, type Action, type Role, type Scope, type TeamPrincipal } from '../../core/permissions.ts';
import { planLimits } from '../../core/plans.ts';
import { crossOrigin } from './origin.ts';
import { applyDecision } from './rate-limit.ts';

export type AuthContext =
  | { kind: 'user'; user: User; session: Session; via: 'cookie' | 'bearer' }
  | { kind: 'key'; key: AuthenticatedKey; via: 'bearer' };

export interface TeamContext {
  id: string;
  name: string;
  plan: string;
  principal: TeamPrincipal;
  /** The caller's role; null for an API key. */
  role: Role | null;
}

declare module 'express-serve-static-core' {
  interface Request {
    auth?: AuthContext;
    team?: TeamContext;
  }
}

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function cookieOptions(config: Identity['config'], maxAgeMs?: number): CookieOptions {
  return {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.env === 'production' || config.web.publicUrl.startsWith('https:'),
    path: '/',
    ...(maxAgeMs === undefined ? {} : { maxAge: maxAgeMs }),
  };
}

export function setSessionCookie(res: Response, config: Identity['config'], token: string, expiresAt: Date): void {
  res.cookie(SESSION_COOKIE, token, cookieOptions(config, Math.max(0, expiresAt.getTime() - Date.now())));
}

export function clearSessionCookie(res: Response, config: Identity['config']): void {
  res.clearCookie(SESSION_COOKIE, cookieOptions(config));
}

/** The credentials of a request, without checking them; `cookie: false` leaves the session cookie unread. */
function credentials(req: Request, { cookie: readSessionCookie = true } = {}): { token: string; via: 'cookie' | 'bearer' } | undefined {
  const header = req.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new UnauthorizedError('The Authorization header must be "Bearer <token>"', 'invalid_authorization');
    return { token: match[1]!, via: 'bearer' };
  }
  if (!readSessionCookie) return undefined;
  const cookie = readCookie(req, SESSION_COOKIE);
  return cookie ? { token: cookie, via: 'cookie' } : undefined;
}

export const requireAuth: RequestHandler = (req, _res, next) => {
  if (!req.auth) throw new UnauthorizedError();
  next();
};

export const requireUser: RequestHandler = (req, _res, next) => {
  if (!req.auth) throw new UnauthorizedError();
  if (req.auth.kind !== 'user') throw new ForbiddenError('user_session_required', 'This endpoint is for people signed in, not for API keys');
  next();
};

export const requireApiKey: RequestHandler = (req, _res, next) => {
  if (!req.auth) throw new UnauthorizedError();
  if (req.auth.kind !== 'key') throw new ForbiddenError('api_key_required', 'This endpoint is for API keys; a signed-in person has GET /api/v1/me');
  next();
};

export function requireScope(scope: Scope): RequestHandler {
  return (req, _res, next) => {
    if (!req.auth) throw new UnauthorizedError();
    if (req.auth.kind === 'key' && !req.auth.key.scopes.includes(scope)) {
      throw new ForbiddenError('insufficient_scope', `This API key lacks the ${scope} scope`);
    }
    next();
  };
}

export type AuthMiddleware = ReturnType<typeof createAuthMiddleware>;

export function createAuthMiddleware(identity: Identity) {
  const { config } = identity;
  const firstParty = new Set(config.auth.allowedOrigins);

  /**
   * Sets req.auth from the session cookie or Authorization header. Never requires credentials.
   * A cross-origin request (api/middleware/origin.ts) authenticates with an API key only: its
   * cookie is not read, a session token is refused.
   */
  const authenticate: RequestHandler = async (req, res, next) => {
    const cross = req.path.startsWith('/api/') ? crossOrigin(req, firstParty) : undefined;
    const given = req.path.startsWith('/api/') ? credentials(req, { cookie: cross === undefined }) : undefined;
    if (!given) {
      next();
      return;
    }
    if (given.via === 'bearer' && isApiKey(given.token)) {
      const key = await identity.keys.authenticate(given.token);
      if (!key) throw new UnauthorizedError('This API key is unknown or was revoked', 'invalid_api_key');
      req.auth = { kind: 'key', key, via: 'bearer' };
      next();
      return;
    }
    if (cross !== undefined) {
      throw new ForbiddenError('cross_origin_session', `Requests from ${cross} authenticate with an API key (Authorization: Bearer trk_…); a session works only from the Trellis web app`);
    }
    const valid = await identity.sessions.validate(given.token);
    if (!valid) {
      if (given.via === 'bearer') throw new UnauthorizedError('This session token is unknown, expired or was revoked', 'invalid_session');
      clearSessionCookie(res, config); // a stale cookie: carry on signed out
      next();
      return;
    }
    req.auth = { kind: 'user', user: valid.user, session: valid.session, via: given.via };
    if (valid.refreshed && given.via === 'cookie') setSessionCookie(res, config, given.token, valid.session.expiresAt);
    next();
  };

  /** The request's API key; 401 for anything else (a session, a cookie, no credentials). */
  async function apiKeyOf(req: Request): Promise<AuthenticatedKey> {
    const given = credentials(req);
    if (!given || given.via !== 'bearer' || !isApiKey(given.token)) throw new UnauthorizedError('Send an API key of your team as Authorization: Bearer trk_…', 'api_key_required');
    const key = await identity.keys.authenticate(given.token);
    if (!key) throw new UnauthorizedError('This API key is unknown or was revoked', 'invalid_api_key');
    return key;
  }

  /** `teamOf`: where the team comes from; the path's `:teamId` unless said otherwise (POST /mcp: the key's team). */
  function requireTeamRole(action: Action, teamOf: (req: Request) => unknown = (req) => req.params.teamId): RequestHandler {
    return async (req, res, next) => {
      const auth = req.auth;
      if (!auth) throw new UnauthorizedError();
      const teamId = teamOf(req);
      if (typeof teamId !== 'string') throw new Error(`requireTeamRole(${action}) on a route without :teamId`);
      let team: TeamContext;
      if (auth.kind === 'key') {
        if (auth.key.teamId !== teamId) throw new NotFoundError('Team');
        const row = await identity.teams.get(teamId);
        if (!row) throw new NotFoundError('Team');
        team = { id: row.id, name: row.name, plan: row.plan, principal: { kind: 'key', scopes: auth.key.scopes }, role: null };
      } else {
        const access = await identity.teams.access(teamId, auth.user.id);
        if (!access) throw new NotFoundError('Team');
        team = { id: teamId, name: access.team.name, plan: access.team.plan, principal: { kind: 'member', role: access.role }, role: access.role };
      }
      req.team = team;
      const perMinute = planLimits(team.plan).requestsPerMinute;
      if (config.rateLimit.enabled && perMinute !== null) {
        const decision = await identity.limiter.consume({ name: 'team', limit: perMinute, windowSeconds: 60 }, team.id);
        applyDecision(res, decision, 'rate_limited_team', `The team's plan allows ${perMinute} requests per minute`);
      }
      if (!can(team.principal, action)) {
        const rule = PERMISSIONS[action];
        if (team.principal.kind === 'key') {
          throw new ForbiddenError('insufficient_scope', rule.scope ? `This API key lacks the ${rule.scope} scope` : 'API keys cannot do this; sign in');
        }
        throw new ForbiddenError('forbidden', `A ${team.role} of this team cannot do this (needs ${rule.role} or above)`);
      }
      next();
    };
  }

  return { authenticate, requireAuth, requireUser, requireScope, apiKeyOf, requireTeamRole };
}
