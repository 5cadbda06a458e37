// Reverse proxy from the web server to the API for /api, /hooks and /mcp, so browsers, webhook
// callers and MCP clients need only one origin (session cookie, no CORS). Built on node:http piping
// rather than fetch so both directions stream: large uploads are not buffered and Server-Sent
// Events reach the browser chunk by chunk.
import http from 'node:http';
import https from 'node:https';
import type { RequestHandler } from 'express';

/** The paths the web server forwards to the API (web/server.ts). */
export const PROXIED_PATHS = ['/api', '/hooks', '/mcp'];

export interface ApiProxyOptions {
  /** Base URL of the API, e.g. http://127.0.0.1:3001 (a path prefix is kept). */
  target: string;
  /** Give up on connecting after this long; once connected there is no limit (SSE, ?wait=true). */
  connectTimeoutMs?: number;
  agent?: http.Agent;
  logger?: { warn: (details: object, message: string) => void };
}

// Hop-by-hop headers describe one connection and must not be forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Header names not to forward: the fixed hop-by-hop set plus any the Connection header lists. */
function hopByHop(connectionHeader: string | string[] | undefined): Set<string> {
  const listed = [connectionHeader ?? []].flat().flatMap((value) => value.split(','));
  return new Set([...HOP_BY_HOP, ...listed.map((name) => name.trim().toLowerCase()).filter(Boolean)]);
}

export function createApiProxy(options: ApiProxyOptions): RequestHandler {
  const target = new URL(options.target);
  const client = target.protocol === 'https:' ? https : http;
  const basePath = target.pathname.replace(/\/+$/, '');
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;

  return (req, res) => {
    let clientGone = false;
    const skip = hopByHop(req.headers.connection);
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      // node:http sets Host from the target, so the API sees its own address.
      if (value !== undefined && !skip.has(name) && name !== 'host') headers[name] = value;
    }
    // Who the original client was. req.protocol and req.host honour Express's "trust proxy"
    // setting, so client-supplied values are only passed on when an outer proxy is trusted.
    const remote = req.socket.remoteAddress;
    const priorFor = req.headers['x-forwarded-for'];
    if (remote) headers['x-forwarded-for'] = priorFor ? `${[priorFor].flat().join(', ')}, ${remote}` : remote;
    headers['x-forwarded-proto'] = req.protocol;
    if (req.host) headers['x-forwarded-host'] = req.host;

    // originalUrl: Express strips the mount path (/api) from req.url, but the API needs it.
    const upstream = client.request({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method: req.method,
      path: basePath + req.originalUrl,
      headers,
      agent: options.agent,
    });

    upstream.on('socket', (socket) => {
      if (!socket.connecting) return; // a reused keep-alive socket
      const timer = setTimeout(
        () => upstream.destroy(new Error(`no connection within ${connectTimeoutMs} ms`)),
        connectTimeoutMs,
      );
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });

    upstream.on('response', (answer) => {
      const drop = hopByHop(answer.headers.connection);
      // rawHeaders keeps repeated headers (several Set-Cookie) and their spelling.
      const raw: string[] = [];
      for (let i = 0; i < answer.rawHeaders.length; i += 2) {
        const name = answer.rawHeaders[i]!;
        if (!drop.has(name.toLowerCase())) raw.push(name, answer.rawHeaders[i + 1]!);
      }
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, raw);
      // Send the headers now: an event stream may not produce its first byte for a while.
      res.flushHeaders();
      answer.pipe(res);
      // The API died mid-answer: cut the client's connection too rather than end it "cleanly".
      answer.on('error', () => res.destroy());
      answer.on('aborted', () => res.destroy());
    });

    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (clientGone) return; // we aborted it ourselves because the client left
      options.logger?.warn(
        { err: error, target: options.target, method: req.method, url: req.originalUrl },
        'api proxy error',
      );
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res
        .status(502)
        .type('application/problem+json')
        .json({
          type: 'https://trellis.dev/problems/api_unreachable',
          title: 'Bad Gateway',
          status: 502,
          code: 'api_unreachable',
          detail: `The API is not reachable right now (${error.code ?? error.message}). Please try again shortly.`,
        });
    });

    // The client went away (closed tab, stopped SSE): stop the upstream request as well.
    res.on('close', () => {
      if (res.writableFinished) return;
      clientGone = true;
      upstream.destroy();
    });
    req.on('error', () => upstream.destroy());

    req.pipe(upstream);
  };
}
