// The http node's activity: one request (plus up to five redirects, each re-checked by the SSRF
// guard) with the activity's cancellation, a timeout, a response size cap, credentials resolved by
// reference inside the activity, and errors classified for Temporal's retry policy.
//
// Requests go through node:http(s) rather than fetch so the socket connects to the address the
// guard vetted (`pinnedLookup`), and so the body can be streamed against the size cap.
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { pipeline, Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { CredentialStore } from '../core/credentials/store.ts';
import type { Logger } from '../core/log.ts';
import type { HttpConfig } from '../workflows/graph/nodes/http.ts';
import {
  currentContext,
  excerpt,
  FailureType,
  nonRetryable,
  parseRetryAfter,
  redact,
  redactDeep,
  retryable,
  startHeartbeats,
  throwIfCancelled,
} from './failures.ts';
import { requireCredentialHost } from './credential-hosts.ts';
import { createSsrfGuard, pinnedLookup, type LookupAll, type SsrfGuard, type VettedTarget } from './ssrf.ts';
import { BudgetExhaustedError, BudgetTooSmallError, createHttpBufferBudget, type BodyLease, type HttpBufferBudget } from './http-budget.ts';

// The credential port is core's (core/credentials/store.ts); re-exported for the activity files.
export type { CredentialStore };

/** Who is calling: the run, the team whose credentials apply, the node and the map item / loop index. */
export interface NodeCallContext {
  runId: string;
  teamId: string;
  nodeId: string;
  /** Map item index or retry-independent loop counter; 0 by default. */
  iteration: number;
}

export interface HttpDeps {
  /** TRELLIS_HTTP_ALLOWLIST entries: hostnames, `*.suffix`, IPs, CIDRs. */
  allowlist: string[];
  /** TRELLIS_HTTP_PORTS: allowed destination ports (activities/ssrf.ts DEFAULT_HTTP_PORTS when absent). */
  ports?: string;
  credentials: CredentialStore;
  logger: Logger;
  /** Upper bound for one request including redirects and the body (default 5 minutes); the activity's start-to-close timeout also bounds it. */
  fetchTimeoutMs?: number;
  /** DNS resolution used by the SSRF guard (tests); node:dns lookup with all addresses by default. */
  lookup?: LookupAll;
  /** The worker-wide budget for buffered response bodies; one per worker (a default budget when absent). */
  bufferBudget?: HttpBufferBudget;
}

export interface HttpRequestInput {
  config: HttpConfig;
  call: NodeCallContext;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export const DEFAULT_FETCH_TIMEOUT_MS = 5 * 60 * 1000;
export const MAX_REDIRECTS = 5;
const ERROR_BODY_READ_BYTES = 16 * 1024;
const USER_AGENT = 'Trellis (+https://github.com/trellis)';

/** Headers whose values are secrets wherever they come from (scrubbed from errors, dropped on cross-origin redirects). */
const SENSITIVE_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key', 'api-key', 'x-auth-token']);

// ---------------------------------------------------------------------------------------------
// Transport: one request to a vetted address

export interface Transport {
  guard: SsrfGuard;
  httpAgent: http.Agent;
  httpsAgent: https.Agent;
}

export function createTransport(options: { allowlist: readonly string[]; ports?: string; lookup?: LookupAll }): Transport {
  return {
    guard: createSsrfGuard(options),
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
  };
}

interface SendOptions {
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
  signal: AbortSignal;
}

function sendOnce(transport: Transport, url: URL, target: VettedTarget, options: SendOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const headers = { ...options.headers };
    if (options.body) headers['content-length'] = String(options.body.length);
    const request = (secure ? https : http).request(
      {
        protocol: url.protocol,
        hostname: target.host,
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: options.method,
        headers,
        signal: options.signal,
        lookup: pinnedLookup(target),
        agent: secure ? transport.httpsAgent : transport.httpAgent,
      },
      resolve,
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

/** The response body with Content-Encoding undone (gzip, deflate, br); the size cap applies to the decoded bytes. */
function decodedBody(response: IncomingMessage): Readable {
  const encoding = String(response.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? zlib.createGunzip()
      : encoding === 'deflate'
        ? zlib.createInflate()
        : encoding === 'br'
          ? zlib.createBrotliDecompress()
          : undefined;
  if (!decoder) return response;
  return pipeline(response, decoder, () => undefined);
}

class TooLargeError extends Error {}

/**
 * Reads a body up to `cap` bytes, reserving each chunk in the worker's budget before the next one
 * is pulled: while a reservation waits, the stream is not read and the socket's backpressure holds
 * the sender (at most one chunk per reader is in memory beyond the budget).
 */
async function readCapped(stream: Readable, cap: number, lease: BodyLease, signal: AbortSignal, onChunk?: () => void): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  // Leaving the loop early (a throw) destroys the stream, and with it the socket.
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    total += buffer.length;
    if (total > cap) throw new TooLargeError();
    await lease.take(buffer.length, signal);
    chunks.push(buffer);
    onChunk?.();
  }
  return Buffer.concat(chunks, total);
}

/** Reads at most `limit` bytes (for error excerpts), then drops the rest. */
async function readUpTo(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      const buffer = chunk as Buffer;
      chunks.push(buffer);
      total += buffer.length;
      if (total >= limit) break;
    }
  } catch {
    // an excerpt is best effort
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, limit);
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** A URL fit for logs and error messages: no credentials, no query string (it may hold secrets). */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function charsetOf(contentType: string): string {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return match?.[1] ?? 'utf-8';
}

function decodeText(bytes: Buffer, contentType: string): string {
  try {
    return new TextDecoder(charsetOf(contentType)).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

function mimeOf(contentType: string): string {
  return contentType.split(';')[0]!.trim().toLowerCase();
}

function isJsonMime(mime: string): boolean {
  return mime === 'application/json' || mime.endsWith('+json') || mime.endsWith('/json');
}

function isTextMime(mime: string): boolean {
  return (
    mime.startsWith('text/') ||
    mime === 'application/xml' ||
    mime.endsWith('+xml') ||
    mime === 'application/javascript' ||
    mime === 'application/x-www-form-urlencoded'
  );
}

const TLS_CERT_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_NOT_YET_VALID',
]);

/** Classifies a transport error (everything but an HTTP status) into an ApplicationFailure. */
function transportFailure(
  error: unknown,
  what: string,
  signals: { cancel?: AbortSignal; timeout: AbortSignal; timeoutMs: number },
  clean: (text: string) => string,
): Error {
  throwIfCancelled(signals.cancel);
  if (signals.timeout.aborted) {
    return retryable(FailureType.HttpTimeout, `${what} got no complete response within ${signals.timeoutMs} ms`);
  }
  const err = error as NodeJS.ErrnoException;
  const code = err.code ?? '';
  if (TLS_CERT_CODES.has(code)) {
    return nonRetryable(FailureType.HttpNetworkError, `${what} failed: the server's TLS certificate is not valid (${code})`);
  }
  if (code.startsWith('ERR_INVALID_') || code === 'ERR_UNESCAPED_CHARACTERS' || code === 'ERR_HTTP_INVALID_HEADER_VALUE') {
    return nonRetryable(FailureType.HttpInvalidRequest, `${what} could not be sent: ${clean(err.message)}`);
  }
  return retryable(FailureType.HttpNetworkError, `${what} failed: ${code || clean(err.message) || 'network error'}`);
}

// ---------------------------------------------------------------------------------------------
// A fetch for the openai client that goes through the guard and the pinned connection

export type GuardedFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** A fetch-compatible function that refuses destinations the guard refuses and never follows redirects. */
export function createGuardedFetch(transport: Transport): GuardedFetch {
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const target = await transport.guard.vet(url);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const body = init.body;
    let buffer: Buffer | undefined;
    if (typeof body === 'string') buffer = Buffer.from(body);
    else if (body instanceof Uint8Array) buffer = Buffer.from(body);
    else if (body instanceof ArrayBuffer) buffer = Buffer.from(body);
    else if (body !== undefined && body !== null) throw new TypeError('guarded fetch supports string and byte bodies only');
    const response = await sendOnce(transport, url, target, {
      method: init.method ?? 'GET',
      headers,
      body: buffer,
      signal: init.signal ?? new AbortController().signal,
    });
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined || name === 'content-encoding' || name === 'content-length') continue;
      for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(name, v);
    }
    const status = response.statusCode ?? 502;
    const nullBody = status === 204 || status === 304 || init.method === 'HEAD';
    if (nullBody) response.resume();
    return new Response(nullBody ? null : (Readable.toWeb(decodedBody(response)) as ReadableStream), {
      status,
      statusText: response.statusMessage,
      headers: responseHeaders,
    });
  };
}

// ---------------------------------------------------------------------------------------------
// Request building

interface BuiltRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Values to scrub from messages and results. */
  secrets: string[];
  /** Secrets that came from the credential (also scrubbed from the returned value). */
  credentialSecrets: string[];
  /** Header names the credential set (dropped on cross-origin redirects). */
  credentialHeaders: string[];
  /** The credential applied, checked against every URL it would be sent to. */
  credential?: { id: string; allowedHosts?: readonly string[] | null };
}

function encodeBody(config: HttpConfig, headers: Record<string, string>): Buffer | undefined {
  const { body } = config;
  if (body === undefined || body === null || body === '') return undefined;
  if (config.method === 'GET' || config.method === 'HEAD') {
    throw nonRetryable(FailureType.HttpInvalidRequest, `a ${config.method} request cannot have a body: remove the body or use POST`);
  }
  const setType = (type: string) => {
    headers['content-type'] ??= type;
  };
  if (config.bodyType === 'text') {
    setType('text/plain; charset=utf-8');
    return Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  }
  if (config.bodyType === 'form') {
    if (typeof body !== 'object' || Array.isArray(body)) {
      throw nonRetryable(FailureType.HttpInvalidRequest, 'a form body must be an object of field names to values');
    }
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
      for (const item of Array.isArray(value) ? value : [value]) {
        if (item === undefined || item === null) continue;
        form.append(name, typeof item === 'object' ? JSON.stringify(item) : String(item as string | number | boolean));
      }
    }
    setType('application/x-www-form-urlencoded');
    return Buffer.from(form.toString());
  }
  setType('application/json');
  // A string that already is JSON (typed into the designer's body field) is sent as written.
  if (typeof body === 'string') {
    try {
      JSON.parse(body);
      return Buffer.from(body);
    } catch {
      return Buffer.from(JSON.stringify(body));
    }
  }
  return Buffer.from(JSON.stringify(body));
}

async function buildRequest(config: HttpConfig, call: NodeCallContext, credentials: CredentialStore): Promise<BuiltRequest> {
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    throw nonRetryable(FailureType.HttpInvalidRequest, `"${excerpt(config.url, 200)}" is not a valid absolute URL`);
  }
  if (url.username || url.password) {
    throw nonRetryable(
      FailureType.HttpInvalidRequest,
      'the URL contains a user name or password: use a credential (http_basic) instead, so the secret stays out of the run history',
    );
  }
  url.hash = '';
  for (const [name, value] of Object.entries(config.query ?? {})) url.searchParams.append(name, value);

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.headers ?? {})) headers[name.trim().toLowerCase()] = value;
  const secrets = Object.entries(headers)
    .filter(([name]) => SENSITIVE_HEADERS.has(name))
    .flatMap(([, value]) => [value, value.replace(/^\S+\s+/, '')]);
  const credentialSecrets: string[] = [];
  const credentialHeaders: string[] = [];
  let applied: BuiltRequest['credential'];

  if (config.credentialId) {
    const credential = await credentials.get(call.teamId, config.credentialId);
    if (!credential) {
      throw nonRetryable(FailureType.CredentialNotFound, `credential "${config.credentialId}" was not found in this team`);
    }
    const field = (name: string): string => {
      const value = credential.data[name];
      if (typeof value !== 'string' || value === '') {
        throw nonRetryable(FailureType.CredentialTypeMismatch, `credential "${config.credentialId}" (${credential.type}) has no "${name}"`);
      }
      return value;
    };
    if (credential.type === 'http_header') {
      const name = field('name').trim().toLowerCase();
      const value = field('value');
      headers[name] = value;
      credentialHeaders.push(name);
      credentialSecrets.push(value);
    } else if (credential.type === 'http_basic') {
      const username = field('username');
      const password = credential.data.password ?? '';
      const token = Buffer.from(`${username}:${password}`).toString('base64');
      headers.authorization = `Basic ${token}`;
      credentialHeaders.push('authorization');
      credentialSecrets.push(token, password);
    } else if (credential.type === 'http_bearer') {
      const token = field('token');
      headers.authorization = `Bearer ${token}`;
      credentialHeaders.push('authorization');
      credentialSecrets.push(token);
    } else {
      throw nonRetryable(
        FailureType.CredentialTypeMismatch,
        `credential "${config.credentialId}" is of type ${credential.type}; the http node takes http_header, http_basic or http_bearer credentials`,
      );
    }
    requireCredentialHost(config.credentialId, credential, url);
    applied = { id: config.credentialId, allowedHosts: credential.allowedHosts };
  }

  headers['idempotency-key'] ??= `${call.runId}:${call.nodeId}:${call.iteration}`;
  headers['user-agent'] ??= USER_AGENT;
  headers.accept ??= '*/*';
  headers['accept-encoding'] ??= 'gzip, deflate, br';
  const body = encodeBody(config, headers);
  return {
    url,
    method: config.method,
    headers,
    body,
    secrets: [...secrets, ...credentialSecrets],
    credentialSecrets,
    credentialHeaders,
    credential: applied,
  };
}

// ---------------------------------------------------------------------------------------------
// The activity

export function createHttpActivities(deps: HttpDeps) {
  const transport = createTransport({ allowlist: deps.allowlist, ports: deps.ports, lookup: deps.lookup });
  const bufferBudget = deps.bufferBudget ?? createHttpBufferBudget();

  async function httpRequest(input: HttpRequestInput): Promise<HttpResponse> {
    const { config, call } = input;
    const context = currentContext();
    const cancel = context?.cancellationSignal;
    throwIfCancelled(cancel);
    const startedAt = performance.now();
    const built = await buildRequest(config, call, deps.credentials);
    const budget = context?.info.startToCloseTimeoutMs || Infinity;
    const timeoutMs = Math.min(deps.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS, budget);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = cancel ? AbortSignal.any([cancel, timeout]) : timeout;
    const signals = { cancel, timeout, timeoutMs };
    const stopHeartbeats = startHeartbeats(context);
    const log = { runId: call.runId, nodeId: call.nodeId, iteration: call.iteration };
    const clean = (text: string) => redact(text, built.secrets);
    const lease = bufferBudget.lease(call.teamId);

    try {
      let url = built.url;
      let method = built.method;
      let headers = built.headers;
      let body = built.body;
      for (let redirects = 0; ; redirects++) {
        const what = `${method} ${displayUrl(url)}`;
        // Cross-origin redirects drop the credential; wherever it still goes, its host must be allowed.
        if (built.credential && built.credentialHeaders.some((name) => headers[name] !== undefined)) {
          requireCredentialHost(built.credential.id, built.credential, url);
        }
        let target: VettedTarget;
        try {
          target = await transport.guard.vet(url);
        } catch (error) {
          deps.logger.warn({ ...log, url: displayUrl(url), reason: (error as Error).message }, 'http request refused');
          throw error;
        }
        let response: IncomingMessage;
        try {
          response = await sendOnce(transport, url, target, { method, headers, body, signal });
        } catch (error) {
          throw transportFailure(error, what, signals, clean);
        }
        const status = response.statusCode ?? 0;
        const location = response.headers.location;

        if ([301, 302, 303, 307, 308].includes(status) && location) {
          response.destroy();
          if (redirects >= MAX_REDIRECTS) {
            throw nonRetryable(FailureType.HttpTooManyRedirects, `${what} redirected more than ${MAX_REDIRECTS} times; stopping`);
          }
          let next: URL;
          try {
            next = new URL(location, url);
          } catch {
            throw nonRetryable(FailureType.HttpInvalidResponse, `${what} redirected to an invalid URL`);
          }
          if (next.username || next.password) {
            throw nonRetryable(FailureType.HttpInvalidResponse, `${what} redirected to a URL with embedded credentials; refusing`);
          }
          headers = { ...headers };
          if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
            if (method !== 'HEAD') method = 'GET';
            body = undefined;
            delete headers['content-type'];
          }
          if (next.origin !== url.origin) {
            // Like browsers and fetch: credentials are for the origin they were configured for.
            for (const name of [...SENSITIVE_HEADERS, ...built.credentialHeaders]) delete headers[name];
          }
          deps.logger.debug({ ...log, status, from: displayUrl(url), to: displayUrl(next) }, 'http redirect');
          url = next;
          continue;
        }

        if (status >= 400) {
          let text = '';
          try {
            text = decodeText(await readUpTo(decodedBody(response), ERROR_BODY_READ_BYTES), String(response.headers['content-type'] ?? ''));
          } catch {
            // keep the status alone
          }
          throwIfCancelled(cancel);
          const detail = text ? `: ${clean(excerpt(text))}` : '';
          const statusText = response.statusMessage ? ` ${response.statusMessage}` : '';
          const details = { status, url: displayUrl(url) };
          deps.logger.debug({ ...log, status, url: displayUrl(url), ms: Math.round(performance.now() - startedAt) }, 'http request failed');
          if (status === 429) {
            const delay = parseRetryAfter(response.headers['retry-after']);
            throw retryable(
              FailureType.HttpRateLimited,
              `${what} answered 429${statusText}${delay !== undefined ? ` (retry after ${Math.round(delay / 1000)} s)` : ''}${detail}`,
              { nextRetryDelayMs: delay, details: { ...details, retryAfterMs: delay } },
            );
          }
          if (status === 408) {
            throw retryable(FailureType.HttpTimeout, `${what} answered 408${statusText}${detail}`, { details });
          }
          if (status < 500) {
            throw nonRetryable(FailureType.HttpClientError, `${what} answered ${status}${statusText}${detail}`, details);
          }
          const delay = status === 503 ? parseRetryAfter(response.headers['retry-after']) : undefined;
          throw retryable(FailureType.HttpServerError, `${what} answered ${status}${statusText}${detail}`, {
            nextRetryDelayMs: delay,
            details,
          });
        }

        const responseHeaders = flattenHeaders(response.headers);
        const contentType = responseHeaders['content-type'] ?? '';
        const cap = config.maxResponseBytes;
        const declared = Number(response.headers['content-length']);
        const tooLarge = () =>
          nonRetryable(
            FailureType.HttpResponseTooLarge,
            `the response of ${what} is larger than the node's maxResponseBytes limit of ${cap} bytes; raise maxResponseBytes (at most 50 MiB) or request less data`,
            { limit: cap, url: displayUrl(url) },
          );
        if (!response.headers['content-encoding'] && Number.isFinite(declared) && declared > cap) {
          response.destroy();
          throw tooLarge();
        }
        let bytes: Buffer;
        try {
          bytes = await readCapped(decodedBody(response), cap, lease, signal, () => context?.heartbeat());
        } catch (error) {
          if (error instanceof TooLargeError) throw tooLarge();
          if (error instanceof BudgetTooSmallError) {
            throw nonRetryable(
              FailureType.HttpResponseTooLarge,
              `the response of ${what} is larger than the ${error.limitBytes} bytes one response may buffer in this worker (${error.limitName === 'team' ? 'TRELLIS_HTTP_BUFFER_TEAM_MB' : 'TRELLIS_HTTP_BUFFER_BUDGET_MB'}); lower maxResponseBytes or request less data`,
              { limit: error.limitBytes, url: displayUrl(url) },
            );
          }
          if (error instanceof BudgetExhaustedError) {
            throwIfCancelled(cancel);
            throw retryable(
              FailureType.HttpBufferBudgetExhausted,
              `the response of ${what} could not be buffered: the worker's memory budget for HTTP bodies (TRELLIS_HTTP_BUFFER_BUDGET_MB, ${bufferBudget.options.totalBytes} bytes) is in use (${error.message}); retrying later`,
              { details: { limit: bufferBudget.options.totalBytes, reason: error.reason, url: displayUrl(url) } },
            );
          }
          throw transportFailure(error, what, signals, clean);
        }
        deps.logger.debug(
          { ...log, method, url: displayUrl(url), status, bytes: bytes.length, ms: Math.round(performance.now() - startedAt) },
          'http request completed',
        );

        const noBody = method === 'HEAD' || status === 204 || status === 304;
        const mime = mimeOf(contentType);
        const kind =
          config.responseType !== 'auto'
            ? config.responseType
            : isJsonMime(mime)
              ? 'json'
              : isTextMime(mime)
                ? 'text'
                : 'binary';
        let value: unknown;
        if (noBody || (bytes.length === 0 && kind !== 'text')) {
          value = null;
        } else if (kind === 'json') {
          const text = decodeText(bytes, contentType);
          try {
            value = JSON.parse(text);
          } catch {
            throw nonRetryable(
              FailureType.HttpInvalidResponse,
              `the response of ${what} is not valid JSON${config.responseType === 'auto' ? ` although its content type is ${mime}` : ''}: ${clean(excerpt(text, 200))}`,
            );
          }
        } else if (kind === 'text') {
          value = decodeText(bytes, contentType);
        } else {
          value = { base64: bytes.toString('base64'), contentType: contentType || 'application/octet-stream', bytes: bytes.length };
        }
        // The credential never reaches the run history, even when a server echoes it back.
        return {
          status,
          headers: redactDeep(responseHeaders, built.credentialSecrets) as Record<string, string>,
          body: kind === 'binary' ? value : redactDeep(value, built.credentialSecrets),
        };
      }
    } finally {
      // Released on every path: the bytes are the caller's now (or garbage).
      lease.release();
      stopHeartbeats();
    }
  }

  return { httpRequest, bufferBudget };
}

export type HttpActivities = ReturnType<typeof createHttpActivities>;
