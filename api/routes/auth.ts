// /api/v1/auth: registration, email verification, login/logout, password reset, OAuth sign-in.
import { type Router, type Request } from 'express';
import { apiRouter } from './router.ts';
import { isOAuthProvider, type OAuthProvider } from '../../core/auth/oauth.ts';
import type { RequestMeta } from '../../core/auth/service.ts';
import { NotFoundError, UserError } from '../../core/errors.ts';
import type { Identity } from '../../core/identity.ts';
import { clearSessionCookie, cookieOptions, readCookie, requireUser, setSessionCookie } from '../middleware/authenticate.ts';
import { parseBody } from '../middleware/validate.ts';
import { safeNext } from '../../contract/safe-next.ts';

import { EmailOnlyRequest, LoginRequest, PasswordResetConfirmRequest, RegisterRequest, VerifyEmailRequest } from '../../contract/identity.ts';

const OAUTH_STATE_COOKIE = 'trellis_oauth_state';
const OAUTH_VERIFIER_COOKIE = 'trellis_oauth_verifier';
/** Where the web app wanted the person to land after signing in (an invitation, a run view). */
const OAUTH_NEXT_COOKIE = 'trellis_oauth_next';

const OAUTH_COOKIE_PATH = '/api/v1/auth/oauth';

export function requestMeta(req: Request): RequestMeta {
  return { ip: req.ip, userAgent: req.get('user-agent') };
}

export function authRoutes(identity: Identity): Router {
  const router = apiRouter();
  const { auth, config } = identity;
  const publicUrl = config.web.publicUrl.replace(/\/+$/, '');

  router.post('/api/v1/auth/register', async (req, res) => {
    const body = parseBody(RegisterRequest, req.body);
    // The same answer whether or not the address already has an account (L1): its owner is mailed.
    await auth.register(body);
    res.status(202).json({ status: 'accepted' });
  });

  router.post('/api/v1/auth/verify-email', async (req, res) => {
    const body = parseBody(VerifyEmailRequest, req.body);
    res.json({ user: await auth.verifyEmail(body.token) });
  });

  router.post('/api/v1/auth/verify-email/resend', (req, res) => {
    const body = parseBody(EmailOnlyRequest, req.body);
    auth.resendVerification(body.email);
    res.status(202).json({ status: 'accepted' });
  });

  router.post('/api/v1/auth/login', async (req, res) => {
    const body = parseBody(LoginRequest, req.body);
    // Failed sign-ins are throttled per account and per network (core/auth/login-throttle.ts).
    const signedIn = await identity.loginThrottle.guard(body.email, req.ip, () => auth.login(body, requestMeta(req)));
    setSessionCookie(res, config, signedIn.token, signedIn.expiresAt);
    res.json({ token: signedIn.token, expiresAt: signedIn.expiresAt.toISOString(), user: signedIn.user });
  });

  router.post('/api/v1/auth/logout', requireUser, async (req, res) => {
    if (req.auth?.kind === 'user') await auth.logout(req.auth.session.id);
    clearSessionCookie(res, config);
    res.status(204).end();
  });

  router.post('/api/v1/auth/password-reset', async (req, res) => {
    const body = parseBody(EmailOnlyRequest, req.body);
    await auth.requestPasswordReset(body.email);
    res.status(202).json({ status: 'accepted' });
  });

  router.post('/api/v1/auth/password-reset/confirm', async (req, res) => {
    const body = parseBody(PasswordResetConfirmRequest, req.body);
    await auth.confirmPasswordReset(body.token, body.password);
    clearSessionCookie(res, config);
    res.json({ status: 'password_changed' });
  });

  const provider = (req: Request): OAuthProvider => {
    const name = String(req.params.provider);
    if (!isOAuthProvider(name)) throw new NotFoundError(`Sign-in provider ${name}`);
    return name;
  };
  const wantsJson = (req: Request) => req.accepts(['html', 'json']) === 'json';
  const oauthCookie = () => ({ ...cookieOptions(config, 10 * 60 * 1000), path: OAUTH_COOKIE_PATH });

  // Which sign-in methods this server offers, so the web app shows only buttons that work.
  router.get('/api/v1/auth/providers', (_req, res) => {
    res.json({ password: true, google: identity.oauth.enabled('google'), github: identity.oauth.enabled('github') });
  });

  router.get('/api/v1/auth/oauth/:provider', (req, res) => {
    const name = provider(req);
    const { url, state, codeVerifier } = identity.oauth.start(name);
    res.cookie(OAUTH_STATE_COOKIE, state, oauthCookie());
    res.cookie(OAUTH_VERIFIER_COOKIE, codeVerifier, oauthCookie());
    res.cookie(OAUTH_NEXT_COOKIE, safeNext(req.query.next), oauthCookie());
    res.redirect(302, url.toString());
  });

  router.get('/api/v1/auth/oauth/:provider/callback', async (req, res) => {
    const name = provider(req);
    const meta = requestMeta(req);
    // The state and verifier are single-use whatever happens next.
    const expectedState = readCookie(req, OAUTH_STATE_COOKIE);
    const codeVerifier = readCookie(req, OAUTH_VERIFIER_COOKIE);
    const next = safeNext(readCookie(req, OAUTH_NEXT_COOKIE));
    res.clearCookie(OAUTH_STATE_COOKIE, { ...oauthCookie(), maxAge: undefined });
    res.clearCookie(OAUTH_VERIFIER_COOKIE, { ...oauthCookie(), maxAge: undefined });
    res.clearCookie(OAUTH_NEXT_COOKIE, { ...oauthCookie(), maxAge: undefined });
    try {
      if (!identity.oauth.enabled(name)) {
        throw new UserError('oauth_provider_not_configured', `Sign-in with ${name} is not configured on this server`, { status: 404 });
      }
      const { state, code, error } = req.query;
      if (typeof error === 'string') {
        await auth.recordOAuthFailure(name, `provider_error:${error.slice(0, 40)}`, meta);
        throw new UserError('oauth_denied', `${name} did not authorize the sign-in (${error})`, { status: 401 });
      }
      if (typeof state !== 'string' || !expectedState || state !== expectedState || !codeVerifier) {
        await auth.recordOAuthFailure(name, 'state_mismatch', meta);
        throw new UserError('oauth_state_mismatch', 'The sign-in request does not match this browser (state mismatch or expired); start again', { status: 400 });
      }
      if (typeof code !== 'string' || !code) throw new UserError('invalid_request', 'The callback has no authorization code');
      const profile = await identity.oauth.profile(name, code, codeVerifier);
      const signedIn = await auth.loginWithOAuth(profile, meta);
      setSessionCookie(res, config, signedIn.token, signedIn.expiresAt);
      if (wantsJson(req)) {
        res.json({ token: signedIn.token, expiresAt: signedIn.expiresAt.toISOString(), user: signedIn.user, created: signedIn.created, linked: signedIn.linked });
      } else {
        res.redirect(302, `${publicUrl}${next}`);
      }
    } catch (error) {
      if (wantsJson(req) || !(error instanceof UserError)) throw error;
      // A browser in the middle of a redirect dance: send it to the sign-in page with the reason.
      res.redirect(302, `${publicUrl}/login?error=${encodeURIComponent(error.code)}`);
    }
  });

  return router;
}
