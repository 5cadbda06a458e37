// The production web server: `npm run build:web`, then `node web/server.ts`.
// One origin for the browser: /api and /hooks are proxied to the API, built assets are served
// from web/build/client, and every other request is rendered by React Router.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequestHandler } from '@react-router/express';
import compression from 'compression';
import express from 'express';
import type { ServerBuild } from 'react-router';
import { loadWebConfig, type WebConfig } from './app/config.server.ts';
import { createWebLogger, type Logger } from './app/log.server.ts';
import { createApiProxy } from './proxy.server.ts';
import { CLIENT_IP_HEADER } from './app/lib/api.server.ts';

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

export function createWebApp({ config, build, clientDir, logger }: WebAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);

  // The web process itself is up (the API has its own /healthz and /readyz).
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // Before anything that reads bodies: the proxy streams the raw request to the API.
  app.use(['/api', '/hooks'], createApiProxy({ target: config.apiUrl, logger }));

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
