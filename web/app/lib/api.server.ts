// Calls from loaders and actions to the REST API (docs/api.md), on behalf of the browser
// that made the request: its session cookie, origin and user agent go along, so the API
// authorizes, rate-limits and records exactly as if the browser had called it.
import { redirect } from 'react-router';
import { TrellisClient } from '../../../clients/typescript/index.ts';
import { getWebConfig } from '../config.server.ts';
import { Problem } from './problems.ts';

/** Set by web/server.ts from the socket (never trusted from the client). */
export const CLIENT_IP_HEADER = 'x-trellis-client-ip';

/** A non-2xx answer from the API; `problem` is its problem+json body. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(status: number, problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

function forwardedHeaders(request: Request): Headers {
  const incoming = request.headers;
  const headers = new Headers({ accept: 'application/json' });
  for (const name of ['cookie', 'user-agent', 'origin', 'referer']) {
    const value = incoming.get(name);
    if (value) headers.set(name, value);
  }
  // The API trusts X-Forwarded-* from loopback: it then sees the browser's host (CSRF origin
  // check) and address (login history, rate limits by IP).
  const url = new URL(request.url);
  headers.set('x-forwarded-host', incoming.get('host') ?? url.host);
  headers.set('x-forwarded-proto', url.protocol.replace(':', ''));
  const ip = incoming.get(CLIENT_IP_HEADER);
  if (ip) headers.set('x-forwarded-for', ip);
  return headers;
}

/**
 * The typed client (clients/typescript: requests and answers typed from the contract) calling the
 * API for this browser request. A 401 sends the browser to the login page (back here afterwards)
 * unless `public` (login, register and other calls where 401 is an answer for the form); other
 * error answers throw ApiError, for the action to show (attempt) or the error boundary; an API
 * that cannot be reached throws ApiError 502 api_unreachable.
 */
export function clientFor(request: Request, options: { public?: boolean } = {}): TrellisClient {
  return new TrellisClient({ baseUrl: getWebConfig().apiUrl, fetch: forwardingFetch(request, options.public === true) });
}

/** A fetch that sends the browser's headers along and turns error answers into ApiError (before the client reads them). */
function forwardingFetch(request: Request, isPublic: boolean): typeof fetch {
  return async (input, init = {}) => {
    const headers = forwardedHeaders(request);
    for (const [name, value] of new Headers(init.headers)) headers.set(name, value);
    let response: Response;
    try {
      response = await fetch(input, { ...init, headers, signal: init.signal ?? AbortSignal.timeout(30_000) });
    } catch (error) {
      throw unreachable(error);
    }
    if (response.status === 401 && !isPublic) throw redirectToLogin(request);
    if (response.status >= 300) throw new ApiError(response.status, await problemOf(response));
    return response;
  };
}

function unreachable(error: unknown): ApiError {
  const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
  return new ApiError(502, { title: 'Bad Gateway', status: 502, code: 'api_unreachable', detail: `The API is not reachable right now (${cause}).` });
}

async function problemOf(response: Response): Promise<Problem> {
  const body: unknown = await response.json().catch(() => undefined);
  const parsed = Problem.safeParse(body);
  return parsed.success ? parsed.data : { title: response.statusText, status: response.status, code: 'http_error', detail: `HTTP ${response.status}` };
}

export function redirectToLogin(request: Request): Response {
  const url = new URL(request.url);
  const next = url.pathname + url.search;
  return redirect(next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`);
}

/** Set-Cookie headers of an API answer, to hand on to the browser. */
export function cookiesFrom(response: Response): Headers {
  const headers = new Headers();
  for (const cookie of response.headers.getSetCookie()) headers.append('set-cookie', cookie);
  return headers;
}

/**
 * Runs an action's API call and turns a 4xx problem into data the form shows next to its fields
 * (`{ problem }`); anything else (5xx, unreachable API) goes to the error boundary.
 */
export async function attempt<T>(call: () => Promise<T>): Promise<{ ok: true; data: T } | { ok: false; problem: Problem }> {
  try {
    return { ok: true, data: await call() };
  } catch (error) {
    if (error instanceof ApiError && error.status < 500) return { ok: false, problem: error.problem };
    throw error;
  }
}

/** The sign-in methods the API offers (Google and GitHub only when configured); none when unreachable. */
export async function signInProviders(request: Request): Promise<{ google: boolean; github: boolean }> {
  const offered = await clientFor(request, { public: true }).call('listAuthProviders').catch(() => undefined);
  return { google: offered?.google === true, github: offered?.github === true };
}
