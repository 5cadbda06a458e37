// Where a browser request comes from, decided here for CSRF, authentication and CORS alike
// (docs/decisions/039-opaque-tokens-and-cors.md).
//   first party  no Origin (scripts, the web server's own calls), the API's own origin, PUBLIC_URL's
//                or one in TRELLIS_ALLOWED_ORIGINS: the only requests a session works on.
//   cross origin any other Origin: API keys only. The session cookie is not read and a session
//                token is refused, so a page elsewhere can never act with a user's session.
// Origins in CORS_ORIGINS are cross origin too; they also get CORS headers, so their pages can read
// the answers. Access-Control-Allow-Credentials is never sent: browsers keep cookies out of them.
import type { Request, RequestHandler } from 'express';
import { ForbiddenError } from '../../core/errors.ts';

/** The origin of an Origin or Referer header value; 'null' (opaque) and 'invalid' are kept as such. */
export function originOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (value === 'null') return 'null';
  try {
    return new URL(value).origin;
  } catch {
    return 'invalid';
  }
}

/** True for the API's own origin and the configured first-party ones (PUBLIC_URL's, TRELLIS_ALLOWED_ORIGINS). */
export function isFirstParty(req: Request, origin: string, firstParty: ReadonlySet<string>): boolean {
  return origin === `${req.protocol}://${req.host}` || firstParty.has(origin);
}

/** The Origin of a cross-origin request; undefined when it is first party (or has no Origin). */
export function crossOrigin(req: Request, firstParty: ReadonlySet<string>): string | undefined {
  const origin = originOf(req.get('origin'));
  return origin === undefined || isFirstParty(req, origin, firstParty) ? undefined : origin;
}

const ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
const ALLOW_HEADERS = 'Authorization, Content-Type, Idempotency-Key, X-Trellis-Priority, X-Request-Id, Last-Event-ID';
const EXPOSE_HEADERS = 'Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Request-Id';
// Long enough to spare most preflights, short enough that a removed origin stops working soon.
const MAX_AGE_SECONDS = 600;

/**
 * CORS for the API (/api/…, /mcp) and origins in CORS_ORIGINS: preflights answered, actual answers
 * readable. None configured (the default): no CORS header at all. A preflight from any other origin
 * is 403 `cors_origin_not_allowed`.
 */
export function cors(deps: { origins: readonly string[] }): RequestHandler {
  const allowed = new Set(deps.origins);
  return (req, res, next) => {
    if (allowed.size === 0 || !(req.path.startsWith('/api/') || req.path === '/mcp')) {
      next();
      return;
    }
    // The answer depends on Origin from here on: caches must keep them apart.
    res.vary('Origin');
    const origin = req.get('origin');
    const permitted = origin !== undefined && allowed.has(origin);
    if (req.method === 'OPTIONS' && req.get('access-control-request-method') !== undefined) {
      if (!permitted) {
        throw new ForbiddenError('cors_origin_not_allowed', origin ? `${origin} is not in this instance's CORS_ORIGINS` : 'A CORS preflight needs an Origin header');
      }
      res.set({
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Methods': ALLOW_METHODS,
        'Access-Control-Allow-Headers': ALLOW_HEADERS,
        'Access-Control-Max-Age': String(MAX_AGE_SECONDS),
      });
      res.status(204).end();
      return;
    }
    if (permitted) res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': EXPOSE_HEADERS });
    next();
  };
}
