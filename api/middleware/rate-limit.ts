// Rate limits on /api (docs/decisions/011-rate-limits.md):
// - auth endpoints but password sign-in: per client network (registration, reset and verification
//   mail, OAuth); password sign-in has its own limits on failures, per account and per network
//   (core/auth/login-throttle.ts), so one guesser does not lock out everyone behind the same NAT;
// - with credentials: per user session or API key; without (password sign-in included): per network;
// - team routes: per team by plan (applied by requireTeamRole, which knows the team).
// A client's network is its IPv4 address or its IPv6 /64 (core/limits/network.ts).
// Every limited response carries RateLimit-Limit/-Remaining/-Reset of the tightest bucket it hit;
// a refusal is 429 with Retry-After.
import type { RequestHandler, Response } from 'express';
import type { IdentityConfig } from '../../core/identity.ts';
import { TooManyRequestsError } from '../../core/errors.ts';
import type { Decision, RateLimiter, RateRule } from '../../core/limits/limiter.ts';
import { networkOf } from '../../core/limits/network.ts';

const SHOWN = Symbol('trellis.rateLimit');
type WithShown = Response & { [SHOWN]?: Decision };

/** Records a decision on the response; the headers show the tightest bucket; refusals throw 429. */
export function applyDecision(res: Response, decision: Decision, code: string, detail: string): void {
  const shown = (res as WithShown)[SHOWN];
  if (!shown || !decision.allowed || decision.remaining < shown.remaining || (decision.remaining === shown.remaining && decision.limit < shown.limit)) {
    (res as WithShown)[SHOWN] = decision;
    res.set({
      'RateLimit-Limit': String(decision.limit),
      'RateLimit-Remaining': String(decision.remaining),
      'RateLimit-Reset': String(decision.resetSeconds),
    });
  }
  if (!decision.allowed) throw new TooManyRequestsError(code, detail, decision.retryAfterSeconds);
}

export function isAuthEndpoint(path: string): boolean {
  return path.startsWith('/api/v1/auth/');
}

const PASSWORD_LOGIN = '/api/v1/auth/login';

/** One user session's or API key's bucket (`principalKey`), also used by routes outside /api that authenticate themselves (POST /mcp). */
export function principalRule(settings: IdentityConfig['rateLimit']): RateRule {
  return { name: 'principal', limit: settings.principalPerMinute, windowSeconds: 60 };
}

/** Requests without credentials, per client network. */
export function anonymousRule(settings: IdentityConfig['rateLimit']): RateRule {
  return { name: 'ip', limit: settings.anonymousPerMinute, windowSeconds: 60 };
}

export function rateLimit(deps: { limiter: RateLimiter; config: Pick<IdentityConfig, 'rateLimit'> }): RequestHandler {
  const settings = deps.config.rateLimit;
  const authIp: RateRule = { name: 'auth-ip', limit: settings.authPerIp, windowSeconds: settings.authWindowSeconds };
  const principal = principalRule(settings);
  const anonymous = anonymousRule(settings);

  return async (req, res, next) => {
    if (!settings.enabled || !req.path.startsWith('/api/')) {
      next();
      return;
    }
    const ip = networkOf(req.ip);
    const checks: [Promise<Decision>, string, string][] = [];
    const authBucket = isAuthEndpoint(req.path) && req.path !== PASSWORD_LOGIN;
    if (authBucket) {
      checks.push([deps.limiter.consume(authIp, ip), 'rate_limited_ip', 'Too many sign-in requests from your network; wait a little']);
    }
    if (req.auth) {
      const id = req.auth.kind === 'user' ? `user:${req.auth.user.id}` : `key:${req.auth.key.id}`;
      checks.push([deps.limiter.consume(principal, id), 'rate_limited', 'Too many requests with these credentials; slow down']);
    } else if (!authBucket) {
      checks.push([deps.limiter.consume(anonymous, ip), 'rate_limited_ip', 'Too many requests from your network; slow down']);
    }
    const decisions = await Promise.all(checks.map(([decision]) => decision));
    decisions.forEach((decision, i) => applyDecision(res, decision, checks[i]![1], checks[i]![2]));
    next();
  };
}
