// The web process's configuration: the only module in web/ that reads process.env.
// Mirrors the names and defaults of core/config.ts (web/ may not import core/).
import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65535);
const httpUrl = z.string().refine((value) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'must be a URL starting with http:// or https://');

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  WEB_PORT: port.default(3000),
  // Only used to derive the default API_URL.
  API_PORT: port.default(3001),
  API_URL: httpUrl.optional(),
  PUBLIC_URL: httpUrl.default('http://localhost:3000'),
  TEMPORAL_UI_URL: httpUrl.default('http://127.0.0.1:8233'),
  // As core/config.ts: whose X-Forwarded-* to believe (nginx in front, in production).
  TRUST_PROXY: z
    .string()
    .default('loopback')
    .transform((value): boolean | number | string => (value === 'true' ? true : value === 'false' ? false : /^\d+$/.test(value) ? Number(value) : value)),
});

export interface WebConfig {
  env: 'development' | 'test' | 'production';
  logLevel: string;
  /** Port the web server listens on. */
  port: number;
  /** Where the web server reaches the API (server side only; browsers use /api on this origin). */
  apiUrl: string;
  /** How users reach the web app. */
  publicUrl: string;
  temporalUiUrl: string;
  /** Express "trust proxy" for the browser's address and protocol behind a proxy. */
  trustProxy: boolean | number | string;
}

export class WebConfigError extends Error {
  readonly problems: { variable: string; message: string }[];
  constructor(problems: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'WebConfigError';
    this.problems = problems;
  }
}

/** Parses the environment; throws a WebConfigError naming every bad variable. */
export function loadWebConfig(env: Record<string, string | undefined> = process.env): WebConfig {
  // Empty strings mean "unset" (a common shell idiom: FOO= command), as in core/config.ts.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new WebConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(environment)'),
        message: issue.message,
      })),
    );
  }
  const e = parsed.data;
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    port: e.WEB_PORT,
    // No trailing slash, so callers can append paths that start with "/".
    apiUrl: (e.API_URL ?? `http://127.0.0.1:${e.API_PORT}`).replace(/\/+$/, ''),
    publicUrl: e.PUBLIC_URL,
    temporalUiUrl: e.TEMPORAL_UI_URL,
    trustProxy: e.TRUST_PROXY,
  };
}

let cached: WebConfig | undefined;

/** The process-wide configuration, parsed on first use (loaders call this). */
export function getWebConfig(): WebConfig {
  cached ??= loadWebConfig();
  return cached;
}
