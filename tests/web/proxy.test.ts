// @lane unit
// The web server's /api, /hooks and /mcp proxy: bodies, query strings and headers pass through,
// Server-Sent Events stream chunk by chunk, and a dead API becomes a 502 problem+json.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createApiProxy, PROXIED_PATHS } from '../../web/proxy.server.ts';

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the upstream saw of the last SSE request, and hooks to steer it from the test. */
interface EventStreamProbe {
  /** The test resolves this once it has the first event; only then does the upstream go on. */
  firstEventSeen: ReturnType<typeof deferred>;
  ended: boolean;
  closedByPeer: ReturnType<typeof deferred>;
}

function startUpstream() {
  let probe: EventStreamProbe | undefined;
  const server = http.createServer(async (req, res) => {
    if (req.url?.endsWith('/events')) {
      const current: EventStreamProbe = { firstEventSeen: deferred(), ended: false, closedByPeer: deferred() };
      probe = current;
      res.on('close', () => {
        if (!res.writableFinished) current.closedByPeer.resolve();
      });
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('event: node\ndata: {"n":1}\n\n');
      // A buffering proxy would never deliver event 1 before the end, so this would time out.
      await current.firstEventSeen.promise;
      await sleep(50);
      if (res.destroyed) return;
      res.write('event: node\ndata: {"n":2}\n\n');
      await sleep(50);
      res.end('event: run\ndata: {"status":"succeeded"}\n\n');
      current.ended = true;
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
    res.writeHead(201, { 'content-type': 'application/json', 'x-upstream': 'yes' });
    res.end(
      JSON.stringify({
        method: req.method,
        url: req.url,
        body: Buffer.concat(chunks).toString('utf8'),
        headers: req.headers,
      }),
    );
  });
  return { server, probe: () => probe };
}

function startProxy(target: string) {
  const app = express();
  app.use(PROXIED_PATHS, createApiProxy({ target, connectTimeoutMs: 2_000 }));
  app.use((_req, res) => {
    res.status(404).send('not proxied');
  });
  return http.createServer(app);
}

describe('web API proxy', () => {
  const upstream = startUpstream();
  let proxy: http.Server;
  let proxyUrl: string;

  beforeAll(async () => {
    proxy = startProxy(await listen(upstream.server));
    proxyUrl = await listen(proxy);
  });

  afterAll(async () => {
    await close(proxy);
    await close(upstream.server);
  });

  it('passes method, path, query string, body and headers through, both ways', async () => {
    const body = JSON.stringify({ input: { name: 'Ada' }, big: 'x'.repeat(100_000) });
    const response = await fetch(`${proxyUrl}/api/v1/teams/t1/workflows/w1/runs?dry=1&tag=a%20b`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1', 'x-forwarded-for': '203.0.113.9' },
      body,
    });

    expect(response.status).toBe(201);
    expect(response.headers.get('x-upstream')).toBe('yes');
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    const echo = (await response.json()) as { method: string; url: string; body: string; headers: Record<string, string> };
    expect(echo.method).toBe('POST');
    // The mount path (/api) is kept: the API routes on the full path.
    expect(echo.url).toBe('/api/v1/teams/t1/workflows/w1/runs?dry=1&tag=a%20b');
    expect(echo.body).toBe(body);
    expect(echo.headers['idempotency-key']).toBe('k-1');
    expect(echo.headers['x-forwarded-for']).toMatch(/^203\.0\.113\.9, (::ffff:)?127\.0\.0\.1$/);
    expect(echo.headers['x-forwarded-proto']).toBe('http');
    expect(echo.headers['x-forwarded-host']).toBe(new URL(proxyUrl).host);
  });

  it('proxies /hooks and /mcp as well, and only /api, /hooks and /mcp', async () => {
    const hook = await fetch(`${proxyUrl}/hooks/wh_1?wait=true`, { method: 'POST', body: 'raw body' });
    expect(hook.status).toBe(201);
    expect(await hook.json()).toMatchObject({ url: '/hooks/wh_1?wait=true', body: 'raw body' });
    const mcp = await fetch(`${proxyUrl}/mcp`, { method: 'POST', headers: { authorization: 'Bearer trk_x' }, body: '{"jsonrpc":"2.0"}' });
    expect(await mcp.json()).toMatchObject({ method: 'POST', url: '/mcp', body: '{"jsonrpc":"2.0"}', headers: { authorization: 'Bearer trk_x' } });
    expect((await fetch(`${proxyUrl}/mcpx`)).status).toBe(404);

    const other = await fetch(`${proxyUrl}/apis/x`);
    expect(other.status).toBe(404);
  });

  it('streams Server-Sent Events chunk by chunk', async () => {
    const response = await fetch(`${proxyUrl}/api/v1/teams/t1/runs/r1/events`, {
      headers: { accept: 'text/event-stream' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');

    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    while (!received.includes('\n\n')) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended early after ${JSON.stringify(received)}`);
      received += value;
    }
    expect(received).toBe('event: node\ndata: {"n":1}\n\n');
    const probe = upstream.probe()!;
    expect(probe.ended).toBe(false);
    probe.firstEventSeen.resolve();

    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      received += value;
    }
    expect(received).toBe(
      'event: node\ndata: {"n":1}\n\n' + 'event: node\ndata: {"n":2}\n\n' + 'event: run\ndata: {"status":"succeeded"}\n\n',
    );
    expect(probe.ended).toBe(true);
  });

  it('stops the upstream stream when the client goes away', async () => {
    const controller = new AbortController();
    const response = await fetch(`${proxyUrl}/api/v1/teams/t1/runs/r2/events`, { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read(); // the first event
    controller.abort();
    await upstream.probe()!.closedByPeer.promise; // would time out if the proxy kept the upstream open
    upstream.probe()!.firstEventSeen.resolve();
  });

  it('answers 502 problem+json when the API is down', async () => {
    // A port that was just in use and is now closed: connection refused.
    const gone = http.createServer();
    const deadTarget = await listen(gone);
    await close(gone);
    const deadProxy = startProxy(deadTarget);
    const url = await listen(deadProxy);
    try {
      const response = await fetch(`${url}/api/v1/me`, { method: 'POST', body: '{}' });
      expect(response.status).toBe(502);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await response.json()).toEqual({
        type: 'https://trellis.dev/problems/api_unreachable',
        title: 'Bad Gateway',
        status: 502,
        code: 'api_unreachable',
        detail: expect.stringContaining('ECONNREFUSED'),
      });
    } finally {
      await close(deadProxy);
    }
  });
});
