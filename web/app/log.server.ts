// The web process's logger: one JSON line per event, like the other Trellis processes.
// (core/log.ts is off limits to web/, so the shape is repeated here.)
import { pino, type Logger } from 'pino';
import { getWebConfig } from './config.server.ts';

export type { Logger };

export function createWebLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'web' },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie'],
      censor: '[redacted]',
    },
  });
}

let logger: Logger | undefined;

/** The process-wide logger for code inside the app (entry.server, loaders). */
export function getLogger(): Logger {
  logger ??= createWebLogger(getWebConfig().logLevel);
  return logger;
}
