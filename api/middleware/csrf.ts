// CSRF protection for cookie-authenticated writes: a state-changing request that a browser sent
// (it carries Origin, or at least Referer) must come from the web app's origin, an allowed one, or
// the API's own. Bearer-authenticated requests are exempt (a browser never adds that header by
// itself); requests with neither header are not from a browser page. SameSite=Lax on the session
// cookie is the first line; this is the second. See docs/decisions/010-sessions.md. Which origins
// are first party is decided in origin.ts, as for authentication and CORS.
import type { RequestHandler } from 'express';
import { ForbiddenError } from '../../core/errors.ts';
import { isFirstParty, originOf } from './origin.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export function csrf(deps: { allowedOrigins: string[] }): RequestHandler {
  const allowed = new Set(deps.allowedOrigins);
  return (req, _res, next) => {
    if (SAFE.has(req.method) || req.auth?.via === 'bearer' || !req.path.startsWith('/api/')) {
      next();
      return;
    }
    const origin = originOf(req.get('origin')) ?? originOf(req.get('referer'));
    if (origin === undefined) {
      next();
      return;
    }
    if (!isFirstParty(req, origin, allowed)) {
      throw new ForbiddenError('csrf_origin_mismatch', `Requests from ${origin} may not use this session; use the Trellis web app or an Authorization header`);
    }
    next();
  };
}
