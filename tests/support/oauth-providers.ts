// Fake Google and GitHub at the network boundary: `fetch` requests to their hosts are answered
// here (every other request goes out untouched). The fakes check what real providers check: the
// client credentials, the redirect URI, and PKCE (the verifier must hash to the challenge the
// authorization URL carried).
import { createHash, randomBytes } from 'node:crypto';

export interface FakeUser {
  id: string;
  email: string | null;
  emailVerified: boolean;
  name: string;
  avatarUrl?: string;
  login?: string;
}

interface Grant {
  provider: 'google' | 'github';
  user: FakeUser;
  challenge: string | null;
  redirectUri: string | null;
  clientId: string | null;
}

export interface FakeProviders {
  /** Plays the provider's consent screen: returns the code it would send to the redirect URI. */
  authorize(authorizationUrl: string, user: FakeUser): string;
  requests: { method: string; url: string; body: string }[];
  restore(): void;
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function installFakeProviders(clients: { google: { id: string; secret: string }; github: { id: string; secret: string } }): FakeProviders {
  const original = globalThis.fetch;
  const grants = new Map<string, Grant>();
  const accessTokens = new Map<string, FakeUser>();
  const requests: FakeProviders['requests'] = [];

  const checkClient = (req: Request, expected: { id: string; secret: string }) =>
    req.headers.get('authorization') === `Basic ${Buffer.from(`${expected.id}:${expected.secret}`).toString('base64')}`;

  async function tokenExchange(provider: 'google' | 'github', req: Request): Promise<Response> {
    const form = new URLSearchParams(await req.text());
    const grant = grants.get(form.get('code') ?? '');
    const refuse = (error: string) => (provider === 'github' ? json(200, { error, error_description: error }) : json(400, { error, error_description: error }));
    if (!checkClient(req, clients[provider])) return provider === 'github' ? refuse('incorrect_client_credentials') : json(401, { error: 'invalid_client' });
    if (!grant || grant.provider !== provider) return refuse(provider === 'github' ? 'bad_verification_code' : 'invalid_grant');
    grants.delete(form.get('code')!); // codes are single-use
    const verifier = form.get('code_verifier') ?? '';
    if (!grant.challenge || createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) return refuse('invalid_grant');
    if (grant.redirectUri !== form.get('redirect_uri')) return refuse('redirect_uri_mismatch');
    const accessToken = `at_${randomBytes(8).toString('hex')}`;
    accessTokens.set(accessToken, grant.user);
    if (provider === 'github') return json(200, { access_token: accessToken, token_type: 'bearer', scope: 'read:user,user:email' });
    const claims = {
      iss: 'https://accounts.google.com',
      aud: clients.google.id,
      sub: grant.user.id,
      email: grant.user.email,
      email_verified: grant.user.emailVerified,
      name: grant.user.name,
      picture: grant.user.avatarUrl,
      iat: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + 3600,
    };
    const idToken = `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(claims)}.${Buffer.from('fake-signature').toString('base64url')}`;
    return json(200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3599, id_token: idToken, scope: 'openid email profile' });
  }

  function githubApi(req: Request, path: string): Response {
    const user = accessTokens.get((req.headers.get('authorization') ?? '').replace(/^Bearer /, ''));
    if (!user) return json(401, { message: 'Bad credentials' });
    if (path === '/user') return json(200, { id: Number(user.id), login: user.login ?? 'octo', name: user.name, avatar_url: user.avatarUrl ?? null });
    if (path === '/user/emails') {
      return json(200, user.email ? [{ email: 'noreply@users.github.test', primary: false, verified: true }, { email: user.email, primary: true, verified: user.emailVerified }].filter((e) => e.verified || e.primary) : []);
    }
    return json(404, { message: 'Not Found' });
  }

  const fake: typeof fetch = async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    const intercepted = ['oauth2.googleapis.com', 'github.com', 'api.github.com', 'accounts.google.com'].includes(url.hostname);
    if (!intercepted) return original(input, init);
    requests.push({ method: req.method, url: req.url, body: req.method === 'GET' ? '' : await req.clone().text() });
    if (url.hostname === 'oauth2.googleapis.com' && url.pathname === '/token') return tokenExchange('google', req);
    if (url.hostname === 'github.com' && url.pathname === '/login/oauth/access_token') return tokenExchange('github', req);
    if (url.hostname === 'api.github.com') return githubApi(req, url.pathname);
    return json(404, { error: 'not_found' });
  };
  globalThis.fetch = fake;

  return {
    requests,
    authorize(authorizationUrl, user) {
      const url = new URL(authorizationUrl);
      const provider = url.hostname === 'accounts.google.com' ? 'google' : 'github';
      if (url.searchParams.get('code_challenge_method') !== 'S256') throw new Error('the authorization URL does not use PKCE with S256');
      const code = `code_${randomBytes(8).toString('hex')}`;
      grants.set(code, {
        provider,
        user,
        challenge: url.searchParams.get('code_challenge'),
        redirectUri: url.searchParams.get('redirect_uri'),
        clientId: url.searchParams.get('client_id'),
      });
      return code;
    },
    restore() {
      globalThis.fetch = original;
    },
  };
}
