// Sign-in with Google and GitHub through arctic: authorization code flow with state and PKCE
// (S256) for both. The callback trades the code for tokens, then reads who the user is: Google's
// ID token (received straight from Google's token endpoint over TLS, so its claims are checked
// but its signature need not be, OIDC Core 3.1.3.7), GitHub's /user and /user/emails.
import { CodeChallengeMethod, decodeIdToken, generateCodeVerifier, generateState, Google, OAuth2Client, OAuth2RequestError } from 'arctic';
import type { Config, OAuthClientConfig } from '../config.ts';
import { OperationalError, UserError } from '../errors.ts';

export const OAUTH_PROVIDERS = ['google', 'github'] as const;
export type OAuthProvider = (typeof OAUTH_PROVIDERS)[number];

export const GITHUB_ENDPOINTS = {
  authorize: 'https://github.com/login/oauth/authorize',
  token: 'https://github.com/login/oauth/access_token',
  user: 'https://api.github.com/user',
  emails: 'https://api.github.com/user/emails',
};
const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];

export interface OAuthProfile {
  provider: OAuthProvider;
  providerUserId: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  avatarUrl: string | null;
}

export interface OAuthStart {
  url: URL;
  state: string;
  codeVerifier: string;
}

export function isOAuthProvider(value: string): value is OAuthProvider {
  return (OAUTH_PROVIDERS as readonly string[]).includes(value);
}

export type OAuthService = ReturnType<typeof createOAuthService>;

export function createOAuthService(config: Pick<Config, 'auth' | 'web'>) {
  const callbackUrl = (provider: OAuthProvider) => `${config.web.publicUrl.replace(/\/+$/, '')}/api/v1/auth/oauth/${provider}/callback`;
  const settings = (provider: OAuthProvider): OAuthClientConfig => {
    const client = config.auth.oauth[provider];
    if (!client) throw new UserError('oauth_provider_not_configured', `Sign-in with ${provider} is not configured on this server`, { status: 404 });
    return client;
  };
  const google = () => {
    const { clientId, clientSecret } = settings('google');
    return new Google(clientId, clientSecret, callbackUrl('google'));
  };
  const github = () => {
    const { clientId, clientSecret } = settings('github');
    // arctic's GitHub class has no PKCE; its generic client does, against GitHub's endpoints.
    return new OAuth2Client(clientId, clientSecret, callbackUrl('github'));
  };

  return {
    enabled(provider: OAuthProvider): boolean {
      return Boolean(config.auth.oauth[provider]);
    },

    start(provider: OAuthProvider): OAuthStart {
      const state = generateState();
      const codeVerifier = generateCodeVerifier();
      const url =
        provider === 'google'
          ? google().createAuthorizationURL(state, codeVerifier, ['openid', 'profile', 'email'])
          : github().createAuthorizationURLWithPKCE(GITHUB_ENDPOINTS.authorize, state, CodeChallengeMethod.S256, codeVerifier, ['read:user', 'user:email']);
      if (provider === 'google') url.searchParams.set('prompt', 'select_account');
      return { url, state, codeVerifier };
    },

    /** Trades the code for tokens and reads the profile. Refusals are 400/401, outages 502. */
    async profile(provider: OAuthProvider, code: string, codeVerifier: string): Promise<OAuthProfile> {
      return provider === 'google' ? googleProfile(code, codeVerifier) : githubProfile(code, codeVerifier);
    },
  };

  async function googleProfile(code: string, codeVerifier: string): Promise<OAuthProfile> {
    const tokens = await exchange(() => google().validateAuthorizationCode(code, codeVerifier));
    let claims: Record<string, unknown>;
    try {
      claims = decodeIdToken(tokens.idToken()) as Record<string, unknown>;
    } catch {
      throw new UserError('oauth_failed', 'Google did not send a usable ID token', { status: 401 });
    }
    const audience = [claims.aud].flat();
    const expired = typeof claims.exp === 'number' && claims.exp * 1000 < Date.now();
    if (!GOOGLE_ISSUERS.includes(String(claims.iss)) || !audience.includes(settings('google').clientId) || expired || typeof claims.sub !== 'string') {
      throw new UserError('oauth_failed', 'The ID token from Google is not for this application or has expired', { status: 401 });
    }
    return {
      provider: 'google',
      providerUserId: claims.sub,
      email: typeof claims.email === 'string' ? claims.email.toLowerCase() : null,
      emailVerified: claims.email_verified === true || claims.email_verified === 'true',
      name: typeof claims.name === 'string' ? claims.name : null,
      avatarUrl: typeof claims.picture === 'string' ? claims.picture : null,
    };
  }

  async function githubProfile(code: string, codeVerifier: string): Promise<OAuthProfile> {
    const tokens = await exchange(() => github().validateAuthorizationCode(GITHUB_ENDPOINTS.token, code, codeVerifier));
    let accessToken: string;
    try {
      accessToken = tokens.accessToken();
    } catch {
      // GitHub answers a refused code with 200 and {error}, which arctic's generic client passes on.
      throw new UserError('oauth_failed', 'GitHub refused the authorization code', { status: 401 });
    }
    const user = (await githubGet(GITHUB_ENDPOINTS.user, accessToken)) as { id?: number; login?: string; name?: string | null; avatar_url?: string | null };
    const emails = (await githubGet(GITHUB_ENDPOINTS.emails, accessToken)) as { email: string; primary: boolean; verified: boolean }[];
    if (typeof user.id !== 'number') throw new OperationalError('oauth_provider_error', 'GitHub sent an unexpected user profile', { status: 502 });
    // Only the primary address, and only when GitHub verified it (not a noreply alias or a stale one).
    const primary = Array.isArray(emails) ? emails.find((e) => e.primary && e.verified) : undefined;
    return {
      provider: 'github',
      providerUserId: String(user.id),
      email: primary?.email.toLowerCase() ?? null,
      emailVerified: Boolean(primary),
      name: user.name || user.login || null,
      avatarUrl: user.avatar_url ?? null,
    };
  }
}

async function exchange<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof OAuth2RequestError) throw new UserError('oauth_failed', 'The provider refused the authorization code', { status: 401 });
    throw new OperationalError('oauth_provider_error', 'The sign-in provider could not be reached; try again', { status: 502, cause: error });
  }
}

async function githubGet(url: string, accessToken: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/vnd.github+json', 'User-Agent': 'Trellis' },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new OperationalError('oauth_provider_error', 'GitHub could not be reached; try again', { status: 502, cause: error });
  }
  if (!response.ok) throw new OperationalError('oauth_provider_error', `GitHub answered ${response.status}`, { status: 502 });
  return response.json();
}
