// @lane unit
// The http activity against real HTTP servers on loopback (allowed through the allow-list),
// run inside MockActivityEnvironment so cancellation and heartbeats are the SDK's own.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { CancelledFailure } from '@temporalio/common';
import { pino } from 'pino';
import { createHttpActivities, type CredentialStore, type HttpDeps, type HttpRequestInput, type HttpResponse } from '../../activities/http.ts';
import { configSchema } from '../../workflows/graph/configs.ts';
import type { HttpConfig } from '../../workflows/graph/nodes/http.ts';
import { failureOf } from '../support/failures.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string, url: URL) => void;

interface TestServer {
  url: string;
  port: number;
  requests: { method: string; path: string; headers: IncomingMessage['headers']; body: string }[];
  on(path: string, handler: Handler): void;
  close(): Promise<void>;
}

async function startServer(host = '127.0.0.1'): Promise<TestServer> {
  const handlers = new Map<string, Handler>();
  const requests: TestServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', path: url.pathname + url.search, headers: req.headers, body });
      const handler = handlers.get(url.pathname);
      if (!handler) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('no such route');
        return;
      }
      handler(req, res, body, url);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    requests,
    on: (path, handler) => handlers.set(path, handler),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function captureLogger() {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

const credentials: CredentialStore = {
  async get(teamId, id): ReturnType<CredentialStore['get']> {
    if (teamId !== 'team-1') return undefined;
    if (id === 'bearer') return { type: 'http_bearer', data: { token: 'tok-SECRET-bearer-123' }, allowedHosts: ['127.0.0.1'] };
    if (id === 'basic') return { type: 'http_basic', data: { username: 'alice', password: 'pw-SECRET-456' }, allowedHosts: ['127.0.0.1'] };
    if (id === 'header') return { type: 'http_header', data: { name: 'X-Api-Key', value: 'key-SECRET-789' }, allowedHosts: ['127.0.0.1'] };
    if (id === 'unbound') return { type: 'http_bearer', data: { token: 'tok-SECRET-unbound' }, allowedHosts: null };
    if (id === 'elsewhere') return { type: 'http_bearer', data: { token: 'tok-SECRET-elsewhere' }, allowedHosts: ['api.vendor.test'] };
    if (id === 'wildcard') return { type: 'http_header', data: { name: 'X-Api-Key', value: 'key-SECRET-wild' }, allowedHosts: ['*.vendor.test'] };
    if (id === 'ai') return { type: 'openai', data: { apiKey: 'sk-x' } };
    return undefined;
  },
};

const call = { runId: 'run-1', teamId: 'team-1', nodeId: 'fetch', iteration: 0 };

function activities(overrides: Partial<HttpDeps> = {}) {
  const { logger, lines } = captureLogger();
  const { httpRequest } = createHttpActivities({ allowlist: ['127.0.0.1'], credentials, logger, ...overrides });
  const env = new MockActivityEnvironment({ startToCloseTimeoutMs: 30_000 }, { logger: new DefaultLogger('ERROR') });
  return {
    lines,
    env,
    request: (config: Partial<HttpConfig> & { url: string }, callOverrides: Partial<typeof call> = {}) =>
      env.run(httpRequest, { config: configSchema('http').parse(config), call: { ...call, ...callOverrides } } satisfies HttpRequestInput) as Promise<HttpResponse>,
  };
}

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
  server.on('/json', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'x-trace': 'abc' });
    res.end(JSON.stringify({ hello: 'world', n: 1 }));
  });
  server.on('/problem-json', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/problem+json' });
    res.end('{"title":"ok"}');
  });
  server.on('/text', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('héllo text');
  });
  server.on('/binary', (_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png' });
    res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]));
  });
  server.on('/gzip', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    res.end(gzipSync(JSON.stringify({ zipped: true })));
  });
  server.on('/big', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5000' });
    res.end('x'.repeat(5000));
  });
  server.on('/big-chunked', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' }); // no content-length: streamed
    let sent = 0;
    const tick = () => {
      if (sent >= 20 || res.destroyed) return void res.end();
      sent++;
      res.write('y'.repeat(1000), () => setTimeout(tick, 2));
    };
    tick();
  });
  server.on('/no-content', (_req, res) => {
    res.writeHead(204);
    res.end();
  });
  server.on('/status', (_req, res, _body, url) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const retryAfter = url.searchParams.get('retryAfter');
    if (retryAfter) headers['retry-after'] = retryAfter;
    res.writeHead(Number(url.searchParams.get('code')), headers);
    res.end(JSON.stringify({ error: `failed with ${url.searchParams.get('code')}` }));
  });
  server.on('/echo', (req, res, body, url) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ method: req.method, headers: req.headers, query: Object.fromEntries(url.searchParams), body }));
  });
  server.on('/echo-unauthorized', (req, res) => {
    // An unhelpful server that echoes the request's credentials into its error body.
    res.writeHead(401, { 'content-type': 'text/plain' });
    res.end(`denied: authorization=${req.headers.authorization ?? ''} x-api-key=${String(req.headers['x-api-key'] ?? '')}`);
  });
  server.on('/redirect', (_req, res, _body, url) => {
    res.writeHead(Number(url.searchParams.get('code') ?? 302), { location: url.searchParams.get('to') ?? '/json' });
    res.end();
  });
  server.on('/loop', (_req, res) => {
    res.writeHead(302, { location: '/loop' });
    res.end();
  });
  server.on('/slow', () => {
    // never answers
  });
});

afterAll(async () => {
  await server.close();
});

describe('responses', () => {
  it('parses JSON by content type and returns status and headers', async () => {
    const { request } = activities();
    const out = await request({ url: `${server.url}/json` });
    expect(out).toEqual({ status: 200, headers: expect.objectContaining({ 'content-type': 'application/json; charset=utf-8', 'x-trace': 'abc' }) as unknown, body: { hello: 'world', n: 1 } });
    expect((await request({ url: `${server.url}/problem-json` })).body).toEqual({ title: 'ok' });
  });

  it('returns text for text/* and decodes gzip', async () => {
    const { request } = activities();
    expect((await request({ url: `${server.url}/text` })).body).toBe('héllo text');
    expect((await request({ url: `${server.url}/gzip` })).body).toEqual({ zipped: true });
  });

  it('returns binary as base64 with content type and size', async () => {
    const { request } = activities();
    const out = await request({ url: `${server.url}/binary` });
    expect(out.body).toEqual({ base64: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]).toString('base64'), contentType: 'image/png', bytes: 8 });
  });

  it('honours an explicit responseType', async () => {
    const { request } = activities();
    expect((await request({ url: `${server.url}/json`, responseType: 'text' })).body).toBe('{"hello":"world","n":1}');
    expect((await request({ url: `${server.url}/text`, responseType: 'binary' })).body).toMatchObject({ bytes: 11 });
    const failure = await failureOf(request({ url: `${server.url}/text`, responseType: 'json' }));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/not valid JSON/);
  });

  it('answers null for 204 and HEAD', async () => {
    const { request } = activities();
    expect(await request({ url: `${server.url}/no-content` })).toMatchObject({ status: 204, body: null });
    expect(await request({ url: `${server.url}/json`, method: 'HEAD' })).toMatchObject({ status: 200, body: null });
  });
});

describe('requests', () => {
  it('sends query params, JSON bodies and the idempotency key', async () => {
    const { request } = activities();
    const out = await request(
      { url: `${server.url}/echo?fixed=1`, method: 'POST', query: { q: 'a b', lang: 'fr' }, body: { name: 'Ada', tags: ['x'] } },
      { nodeId: 'post', iteration: 3 },
    );
    const echo = out.body as { method: string; headers: Record<string, string>; query: Record<string, string>; body: string };
    expect(echo.method).toBe('POST');
    expect(echo.query).toEqual({ fixed: '1', q: 'a b', lang: 'fr' });
    expect(JSON.parse(echo.body)).toEqual({ name: 'Ada', tags: ['x'] });
    expect(echo.headers['content-type']).toBe('application/json');
    expect(echo.headers['idempotency-key']).toBe('run-1:post:3');
  });

  it('keeps an Idempotency-Key the user set', async () => {
    const { request } = activities();
    const out = await request({ url: `${server.url}/echo`, headers: { 'Idempotency-Key': 'mine' } });
    expect((out.body as { headers: Record<string, string> }).headers['idempotency-key']).toBe('mine');
  });

  it('sends text and form bodies', async () => {
    const { request } = activities();
    const text = (await request({ url: `${server.url}/echo`, method: 'PUT', bodyType: 'text', body: 'plain words' })).body as { headers: Record<string, string>; body: string };
    expect(text.body).toBe('plain words');
    expect(text.headers['content-type']).toMatch(/^text\/plain/);
    const form = (await request({ url: `${server.url}/echo`, method: 'POST', bodyType: 'form', body: { a: '1', b: 'x y', c: [1, 2] } })).body as { headers: Record<string, string>; body: string };
    expect(form.body).toBe('a=1&b=x+y&c=1&c=2');
    expect(form.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('refuses a body on GET', async () => {
    const { request } = activities();
    const failure = await failureOf(request({ url: `${server.url}/echo`, body: { a: 1 } }));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe('HttpInvalidRequest');
  });
});

describe('size cap', () => {
  it('fails non-retryably when Content-Length exceeds maxResponseBytes', async () => {
    const { request } = activities();
    const failure = await failureOf(request({ url: `${server.url}/big`, maxResponseBytes: 1000 }));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe('HttpResponseTooLarge');
    expect(failure.message).toMatch(/maxResponseBytes limit of 1000 bytes/);
  });

  it('stops reading a streamed body past the cap', async () => {
    const { request } = activities();
    const failure = await failureOf(request({ url: `${server.url}/big-chunked`, maxResponseBytes: 4500 }));
    expect(failure.type).toBe('HttpResponseTooLarge');
    expect((await request({ url: `${server.url}/big-chunked`, maxResponseBytes: 20_000 })).body).toHaveLength(20_000);
  });
});

describe('status classification', () => {
  it.each([400, 401, 403, 404, 422])('%i is a non-retryable HttpClientError with the status and a body excerpt', async (code) => {
    const { request } = activities();
    const failure = await failureOf(request({ url: `${server.url}/status?code=${code}` }));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe('HttpClientError');
    expect(failure.message).toContain(`answered ${code}`);
    expect(failure.message).toContain(`failed with ${code}`);
  });

  it.each([500, 502, 503, 408])('%i is retryable', async (code) => {
    const { request } = activities();
    const failure = await failureOf(request({ url: `${server.url}/status?code=${code}` }));
    expect(failure.nonRetryable).toBe(false);
  });

  it('429 is retryable with Retry-After seconds as the next retry delay', async () => {
    const { request } = activities();
    const failure = await failureOf(request({ url: `${server.url}/status?code=429&retryAfter=7` }));
    expect(failure.nonRetryable).toBe(false);
    expect(failure.type).toBe('HttpRateLimited');
    expect(failure.nextRetryDelay).toBe(7000);
  });

  it('429 with an HTTP-date Retry-After', async () => {
    const { request } = activities();
    const at = new Date(Date.now() + 30_000).toUTCString();
    const failure = await failureOf(request({ url: `${server.url}/status?code=429&retryAfter=${encodeURIComponent(at)}` }));
    expect(failure.nextRetryDelay).toBeGreaterThan(25_000);
    expect(failure.nextRetryDelay).toBeLessThanOrEqual(30_000);
  });

  it('a connection refused is retryable', async () => {
    const closed = await startServer();
    const url = `${closed.url}/json`;
    await closed.close();
    const { request } = activities();
    const failure = await failureOf(request({ url }));
    expect(failure.nonRetryable).toBe(false);
    expect(failure.type).toBe('HttpNetworkError');
  });

  it('times out retryably', async () => {
    const { request } = activities({ fetchTimeoutMs: 200 });
    const failure = await failureOf(request({ url: `${server.url}/slow` }));
    expect(failure.type).toBe('HttpTimeout');
    expect(failure.nonRetryable).toBe(false);
  });
});

describe('credentials', () => {
  it('applies bearer, basic and header credentials', async () => {
    const { request } = activities();
    const headersOf = async (credentialId: string) =>
      ((await request({ url: `${server.url}/echo`, credentialId })).body as { headers: Record<string, string> }).headers;
    // The echo comes back redacted: the credential never reaches the activity's result.
    expect((await headersOf('bearer')).authorization).toBe('Bearer [redacted]');
    expect((await headersOf('basic')).authorization).toBe('Basic [redacted]');
    expect((await headersOf('header'))['x-api-key']).toBe('[redacted]');
    // What the server received was the real thing.
    const received = server.requests.slice(-3).map((r) => [r.headers.authorization, r.headers['x-api-key']]);
    expect(received).toEqual([
      ['Bearer tok-SECRET-bearer-123', undefined],
      [`Basic ${Buffer.from('alice:pw-SECRET-456').toString('base64')}`, undefined],
      [undefined, 'key-SECRET-789'],
    ]);
  });

  it('keeps secrets out of error messages and logs', async () => {
    const { request, lines } = activities();
    for (const credentialId of ['bearer', 'basic', 'header']) {
      const failure = await failureOf(request({ url: `${server.url}/echo-unauthorized`, credentialId }));
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toContain('answered 401');
      expect(failure.message).toContain('[redacted]');
      expect(failure.message).not.toMatch(/SECRET/);
      expect(failure.message).not.toContain(Buffer.from('alice:pw-SECRET-456').toString('base64'));
    }
    const userSet = await failureOf(request({ url: `${server.url}/echo-unauthorized`, headers: { Authorization: 'Token user-SECRET-000' } }));
    expect(userSet.message).not.toMatch(/SECRET/);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toMatch(/SECRET|YWxpY2U6cHctU0VDUkVULTQ1Ng/);
  });

  it('fails clearly for a missing credential or a wrong type', async () => {
    const { request } = activities();
    const missing = await failureOf(request({ url: `${server.url}/echo`, credentialId: 'nope' }));
    expect(missing.type).toBe('CredentialNotFound');
    expect(missing.nonRetryable).toBe(true);
    const wrong = await failureOf(request({ url: `${server.url}/echo`, credentialId: 'ai' }));
    expect(wrong.type).toBe('CredentialTypeMismatch');
  });

  it('drops credentials on a cross-origin redirect', async () => {
    const other = await startServer();
    other.on('/land', (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ authorization: req.headers.authorization ?? null }));
    });
    try {
      // Same host, different port: a different origin.
      const { request } = activities();
      const out = await request({ url: `${server.url}/redirect?to=${encodeURIComponent(`${other.url}/land`)}`, credentialId: 'bearer' });
      expect(out.body).toEqual({ authorization: null });
    } finally {
      await other.close();
    }
  });
});

describe('credential hosts', () => {
  // Names that resolve to the loopback test servers, as public names would to a vendor's API.
  const lookup = async (hostname: string) => {
    if (!hostname.endsWith('.test')) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return [{ address: '127.0.0.1', family: 4 }];
  };
  const named = (host: string, path: string) => `http://${host}:${server.port}${path}`;

  it('refuses to send a credential to a host outside its allowed hosts, before any request', async () => {
    const { request } = activities({ lookup });
    const before = server.requests.length;
    for (const [credentialId, url] of [
      ['bearer', named('attacker.test', '/echo')],
      ['elsewhere', `${server.url}/echo`],
      ['wildcard', named('vendor.test', '/echo')],
      ['wildcard', named('evil-vendor.test', '/echo')],
      ['wildcard', named('api.vendor.test.attacker.test', '/echo')],
    ] as const) {
      const failure = await failureOf(request({ url, credentialId }));
      expect(failure.type).toBe('credential_host_not_allowed');
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toContain(new URL(url).hostname);
      expect(failure.message).not.toMatch(/SECRET/);
    }
    expect(server.requests.length).toBe(before);
  });

  it('refuses a credential that has no allowed hosts yet (created before hosts existed)', async () => {
    const { request } = activities();
    const before = server.requests.length;
    const failure = await failureOf(request({ url: `${server.url}/echo`, credentialId: 'unbound' }));
    expect(failure.type).toBe('credential_host_not_allowed');
    expect(failure.message).toMatch(/no allowed hosts/);
    expect(server.requests.length).toBe(before);
  });

  it('sends a credential to a host its pattern covers', async () => {
    const { request } = activities({ lookup });
    const out = await request({ url: named('api.vendor.test', '/echo'), credentialId: 'wildcard' });
    expect(out.status).toBe(200);
    expect(server.requests.at(-1)?.headers['x-api-key']).toBe('key-SECRET-wild');
    await request({ url: named('API.Vendor.TEST.', '/echo'), credentialId: 'elsewhere' });
    expect(server.requests.at(-1)?.headers.authorization).toBe('Bearer tok-SECRET-elsewhere');
  });

  it('does not carry a credential through a redirect to another host', async () => {
    const { request } = activities({ lookup });
    const out = await request({ url: named('api.vendor.test', `/redirect?to=${encodeURIComponent(named('attacker.test', '/echo'))}`), credentialId: 'wildcard' });
    expect(out.status).toBe(200);
    const landed = server.requests.at(-1)!;
    expect(landed.path).toBe('/echo');
    expect(landed.headers.host).toBe(`attacker.test:${server.port}`);
    expect(landed.headers['x-api-key']).toBeUndefined();
  });
});

describe('SSRF guard', () => {
  it('refuses 127.0.0.1 without the allow-list, before connecting', async () => {
    const { request, lines } = activities({ allowlist: [] });
    const before = server.requests.length;
    const failure = await failureOf(request({ url: `${server.url}/json` }));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe('HttpDestinationRefused');
    expect(failure.message).toMatch(/127\.0\.0\.1.*loopback/);
    expect(server.requests.length).toBe(before);
    expect(lines.join('\n')).toMatch(/http request refused/);
  });

  it('refuses the cloud metadata address', async () => {
    const { request } = activities();
    const failure = await failureOf(request({ url: 'http://169.254.169.254/latest/meta-data/' }));
    expect(failure.type).toBe('HttpDestinationRefused');
    expect(failure.message).toMatch(/169\.254\.169\.254.*metadata/);
  });

  it('refuses a hostname resolving to loopback (localhost) unless the host is allowed', async () => {
    const refused = await failureOf(activities({ allowlist: [] }).request({ url: `http://localhost:${server.port}/json` }));
    expect(refused.message).toMatch(/localhost.*resolves to .*loopback/);
    const allowed = await activities({ allowlist: ['localhost'] }).request({ url: `http://localhost:${server.port}/json` });
    expect(allowed.body).toEqual({ hello: 'world', n: 1 });
  });

  it('connects to the address it checked (no second DNS query)', async () => {
    // "api.test" exists only in the guard's resolver: the request succeeds only if the socket
    // connects to the vetted address rather than resolving the name again.
    const lookups: string[] = [];
    const lookup = async (hostname: string) => {
      lookups.push(hostname);
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const out = await activities({ lookup }).request({ url: `http://api.test:${server.port}/echo` });
    expect((out.body as { headers: Record<string, string> }).headers.host).toBe(`api.test:${server.port}`);
    expect(lookups).toEqual(['api.test']);
    const refused = await failureOf(activities({ lookup, allowlist: [] }).request({ url: `http://api.test:${server.port}/echo` }));
    expect(refused.message).toMatch(/api\.test.*resolves to 127\.0\.0\.1/);
  });

  it('allows a CIDR entry', async () => {
    const out = await activities({ allowlist: ['127.0.0.0/8'] }).request({ url: `${server.url}/json` });
    expect(out.status).toBe(200);
  });

  it('refuses non-http schemes', async () => {
    const failure = await failureOf(activities().request({ url: 'file:///etc/passwd' }));
    expect(failure.message).toMatch(/only http: and https:/);
  });

  it('follows redirects, re-checking every target', async () => {
    const { request } = activities();
    expect((await request({ url: `${server.url}/redirect?to=/json` })).body).toEqual({ hello: 'world', n: 1 });
    for (const to of ['http://10.0.0.1/admin', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]/']) {
      const failure = await failureOf(request({ url: `${server.url}/redirect?to=${encodeURIComponent(to)}` }));
      expect(failure.type).toBe('HttpDestinationRefused');
      expect(failure.nonRetryable).toBe(true);
    }
  });

  it('turns a 303 after POST into a GET and stops after 5 redirects', async () => {
    const { request } = activities();
    const out = await request({ url: `${server.url}/redirect?code=303&to=/echo`, method: 'POST', body: { a: 1 } });
    expect(out.body).toMatchObject({ method: 'GET', body: '' });
    const failure = await failureOf(request({ url: `${server.url}/loop` }));
    expect(failure.type).toBe('HttpTooManyRedirects');
    expect(failure.nonRetryable).toBe(true);
  });

  it('refuses URLs with embedded credentials', async () => {
    const failure = await failureOf(activities().request({ url: `http://user:pass@127.0.0.1:${server.port}/json` }));
    expect(failure.type).toBe('HttpInvalidRequest');
    expect(failure.message).not.toContain('pass@');
  });
});

describe('cancellation', () => {
  it('aborts an in-flight request when the activity is cancelled', async () => {
    const { request, env } = activities();
    let heartbeats = 0;
    env.on('heartbeat', () => heartbeats++);
    const closed = new Promise<void>((resolve) => {
      server.on('/slow-cancel', (req) => req.socket.on('close', () => resolve()));
    });
    const pending = request({ url: `${server.url}/slow-cancel` });
    await new Promise((resolve) => setTimeout(resolve, 300));
    env.cancel();
    await expect(pending).rejects.toBeInstanceOf(CancelledFailure);
    await closed; // the server saw the connection go away
    expect(heartbeats).toBeGreaterThan(0);
  });
});
