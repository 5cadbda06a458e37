// The production web server: `npm run build:web`, then `node web/server.ts`.
// One origin for the browser: /api, /hooks and /mcp are proxied to the API, built assets are served
// from web/build/client, and every other request is rendered by React Router.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequestHandler } from '@react-router/express';
import compression from 'compression';
import express, { type RequestHandler } from 'express';
import type { ServerBuild } from 'react-router';
import { loadWebConfig, type WebConfig } from './app/config.server.ts';
import { createWebLogger, type Logger } from './app/log.server.ts';
import { createApiProxy, PROXIED_PATHS } from './proxy.server.ts';
import { CLIENT_IP_HEADER } from './app/lib/api.server.ts';
import { CSP_NONCE_HEADER, SYSTEM_THEME_SCRIPT } from './app/lib/csp.ts';

const BUILD_DIR = fileURLToPath(new URL('./build/', import.meta.url));
const SERVER_BUILD = path.join(BUILD_DIR, 'server', 'index.js');
const CLIENT_DIR = path.join(BUILD_DIR, 'client');
/** Open connections (event streams) get this long to finish; the process exits within 5 s. */
const SHUTDOWN_GRACE_MS = 3_000;
const SHUTDOWN_DEADLINE_MS = 4_500;

export interface WebAppOptions {
  config: WebConfig;
  build: ServerBuild;
  clientDir: string;
  logger: Logger;
}

const THEME_SCRIPT_HASH = `'sha256-${createHash('sha256').update(SYSTEM_THEME_SCRIPT).digest('base64')}'`;

/**
 * Security headers of every page and asset: a Content-Security-Policy whose scripts are this
 * origin's files plus inline ones carrying this request's nonce (entry.server.tsx hands it to
 * React Router and React) or the theme script's hash; no framing by anyone; no MIME sniffing; no
 * Referer beyond this origin; HSTS once the site is served over TLS (a trusted proxy's
 * X-Forwarded-Proto, or an https PUBLIC_URL). Styles may be inline: React writes style attributes.
 * Proxied /api and /hooks answers carry the API's own, stricter headers.
 */
export function securityHeaders(config: Pick<WebConfig, 'publicUrl'>): RequestHandler {
  const httpsSite = new URL(config.publicUrl).protocol === 'https:';
  return (req, res, next) => {
    const nonce = randomBytes(16).toString('base64');
    req.headers[CSP_NONCE_HEADER] = nonce;
    res.set({
      'Content-Security-Policy': [
        "default-src 'self'",
        `script-src 'self' 'nonce-${nonce}' ${THEME_SCRIPT_HASH}`,
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
      ].join('; '),
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'same-origin',
    });
    if (httpsSite || req.secure) res.set('Strict-Transport-Security', 'max-age=31536000');
    next();
  };
}

export function createWebApp({ config, build, clientDir, logger }: WebAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);

  // The web process itself is up (the API has its own /healthz and /readyz).
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // Before anything that reads bodies: the proxy streams the raw request to the API.
  app.use(PROXIED_PATHS, createApiProxy({ target: config.apiUrl, logger }));

  app.use(securityHeaders(config));

  // Pages and assets compress to about a third (the designer's first load: ~1 MB of JS raw,
  // ~315 KB gzipped). After the proxy: API answers and event streams pass through untouched.
  app.use(compression());

  // Vite fingerprints everything under assets/, so a file there never changes.
  app.use(
    '/assets',
    express.static(path.join(clientDir, 'assets'), { immutable: true, maxAge: '1y', index: false }),
    (_req, res) => {
      res.status(404).type('text/plain').send('Not found');
    },
  );
  // Other public files (favicon, robots.txt …); dotfiles ignored so .vite/manifest.json stays private.
  app.use(express.static(clientDir, { maxAge: '1h', index: false, dotfiles: 'ignore' }));

  // Loaders forward the browser's address to the API (login history, rate limits by IP); the
  // header is always overwritten here so a client cannot choose it. req.ip believes
  // X-Forwarded-For only from the proxies TRUST_PROXY names.
  app.use((req, _res, next) => {
    req.headers[CLIENT_IP_HEADER] = req.ip ?? '';
    next();
  });
  app.use(createRequestHandler({ build, mode: config.env }));
  return app;
}

async function main(): Promise<void> {
  let config: WebConfig;
  try {
    config = loadWebConfig();
  } catch (error) {
    createWebLogger('info').fatal((error as Error).message);
    process.exit(1);
  }
  const logger = createWebLogger(config.logLevel);

  if (!existsSync(SERVER_BUILD)) {
    logger.fatal(
      { missing: SERVER_BUILD },
      'The web app has not been built: run `npm run build:web` first, then start the server again.',
    );
    process.exit(1);
  }
  const build = (await import(pathToFileURL(SERVER_BUILD).href)) as ServerBuild;

  const app = createWebApp({ config, build, clientDir: CLIENT_DIR, logger });
  const server = app.listen(config.port, () => {
    logger.info({ port: config.port, apiUrl: config.apiUrl }, 'listening');
  });
  server.on('error', (error) => {
    logger.fatal({ err: error }, 'cannot listen');
    process.exit(1);
  });

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close(() => {
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    // Event streams never end by themselves: cut what is still open after a grace period.
    setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
    setTimeout(() => process.exit(0), SHUTDOWN_DEADLINE_MS).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

// Importing this module (tests) must not start a server.
if (import.meta.main) await main();
