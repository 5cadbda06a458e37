// The only reader of process.env. Everything else receives a Config.
import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65535);
const url = (protocols: string[]) =>
  z.string().refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);

const databaseUrl = z
  .string()
  .refine(
    (value) => value.startsWith('sqlite:') || /^postgres(ql)?:\/\//.test(value),
    'must be sqlite:<path> or postgres://user:pass@host:port/db',
  );

const hostPort = z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:7233');

const secretKey = z
  .string()
  .refine((value) => Buffer.from(value, 'base64').length === 32, 'must be 32 bytes encoded as base64');

export /**
 * Express's "trust proxy" (https://expressjs.com/en/guide/behind-proxies.html): "true"/"false",
 * a hop count, or addresses/subnets and the names loopback, linklocal, uniquelocal, comma-separated.
 * Only proxies listed here may tell the app the client's address (rate limits by IP, login history).
 */
const trustProxy = z
  .string()
  .default('loopback')
  .transform((value): boolean | number | string => (value === 'true' ? true : value === 'false' ? false : /^\d+$/.test(value) ? Number(value) : value));

/** Comma-separated exact origins (scheme://host[:port]); no wildcard, no path. */
const corsOrigins = z
  .string()
  .default('')
  .transform((value, ctx) => {
    const origins: string[] = [];
    for (const entry of value.split(',').map((part) => part.trim()).filter(Boolean)) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(entry);
      } catch {
        parsed = undefined;
      }
      if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || entry.includes('*') || entry.replace(/\/$/, '') !== parsed.origin) {
        ctx.addIssue({ code: 'custom', message: `${entry} is not an origin: list exact origins such as https://app.example.com (no wildcard, path or trailing slash)` });
        continue;
      }
      origins.push(parsed.origin);
    }
    return [...new Set(origins)];
  });

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  TRELLIS_DATA_DIR: z.string().min(1).default('.data'),
  WEB_PORT: port.default(3000),
  API_PORT: port.default(3001),
  API_URL: url(['http:', 'https:']).optional(),
  WORKER_METRICS_PORT: port.default(9464),
  // Where the worker's /metrics listens: loopback unless a scraper elsewhere needs it (0.0.0.0).
  WORKER_METRICS_HOST: z.string().regex(/^[\w.:-]+$/, 'must be an address such as 127.0.0.1 or 0.0.0.0').default('127.0.0.1'),
  // Lets a scraper that is not on loopback read the api's /metrics (Authorization: Bearer <token>).
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  // A `team` label on the run, AI and queue metrics: one series per team, so off unless asked for.
  TRELLIS_METRICS_TEAM_LABEL: z.enum(['true', 'false', '1', '0']).default('false').transform((v) => v === 'true' || v === '1'),
  PUBLIC_URL: url(['http:', 'https:']).default('http://localhost:3000'),
  TRUST_PROXY: trustProxy,
  // The unauthenticated diagnostics endpoints (docs/decisions/006-diagnostics-endpoint.md): off
  // unless asked for, and refused in production.
  TRELLIS_DIAGNOSTICS: z.enum(['true', 'false', '1', '0']).default('false').transform((v) => v === 'true' || v === '1'),
  // Unset: a SQLite file in the data folder (sqlite:./.data/trellis.sqlite by default).
  DATABASE_URL: databaseUrl.optional(),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  TEMPORAL_ADDRESS: hostPort.default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('trellis'),
  TEMPORAL_UI_URL: url(['http:', 'https:']).default('http://127.0.0.1:8233'),
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  // Outgoing mail (core/mail): how long one SMTP step (connect, greeting, any reply) may take before
  // the delivery attempt fails and is retried; the task queue of the mail workers.
  SMTP_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(30).default(10),
  TEMPORAL_MAIL_TASK_QUEUE: z.string().min(1).optional(),
  OPENAI_BASE_URL: url(['http:', 'https:']).default('https://api.openai.com/v1'),
  OPENAI_API_KEY: z.string().optional(),
  // Models allowed on the default AI provider, comma-separated patterns (`*` any characters); set,
  // it replaces the plans' lists (core/plans.ts PLAN_AI_MODELS). A team's own credential is not limited.
  TRELLIS_AI_MODELS: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((entry) => entry.trim()).filter(Boolean)),
  // The most max_tokens one AI call asks for, and the most reply text it may stream (bytes).
  TRELLIS_AI_MAX_OUTPUT_TOKENS: z.coerce.number().int().min(16).max(1_000_000).default(8_192),
  TRELLIS_AI_MAX_OUTPUT_BYTES: z.coerce.number().int().min(1_024).max(64 * 1024 * 1024).default(1024 * 1024),
  TRELLIS_HTTP_ALLOWLIST: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((entry) => entry.trim()).filter(Boolean)),
  // Ports the http node and team AI providers may connect to: ports and ranges (activities/ssrf.ts checks the syntax at worker start).
  TRELLIS_HTTP_PORTS: z.string().regex(/^[\d,\s-]+$/, 'ports and ranges, e.g. 80,443,1024-65535').default('80,443,1024-65535'),
  // Worker-wide memory for buffered http node bodies, one team's share of it, and how long a read waits for room.
  TRELLIS_HTTP_BUFFER_BUDGET_MB: z.coerce.number().int().min(1).default(256),
  TRELLIS_HTTP_BUFFER_TEAM_MB: z.coerce.number().int().min(1).default(64),
  TRELLIS_HTTP_BUFFER_WAIT_SECONDS: z.coerce.number().int().min(1).max(3_600).default(60),
  // Live-event (SSE) streams open at once per user or API key and per team, and how long one stays open.
  TRELLIS_SSE_PER_PRINCIPAL: z.coerce.number().int().min(1).default(20),
  TRELLIS_SSE_PER_TEAM: z.coerce.number().int().min(1).default(100),
  TRELLIS_SSE_MAX_LIFETIME_SECONDS: z.coerce.number().int().min(1).max(86_400).default(1_800),
  // How long an MCP tools/call (POST /mcp) waits for its run before answering with the run's id and URL.
  TRELLIS_MCP_WAIT_MS: z.coerce.number().int().min(0).max(300_000).default(30_000),
  // POST /mcp requests in progress at once per API key and per team (a tools/call holds one while it waits).
  TRELLIS_MCP_CALLS_PER_KEY: z.coerce.number().int().min(1).default(20),
  TRELLIS_MCP_CALLS_PER_TEAM: z.coerce.number().int().min(1).default(100),
  TRELLIS_SECRET_KEY: secretKey.optional(),
  // Keys that sealed older secrets, comma-separated (key rotation).
  TRELLIS_SECRET_KEYS_PREVIOUS: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((k) => k.trim()).filter(Boolean))
    .pipe(z.array(secretKey)),
  // Node outputs above this size go to blob storage and travel as references (claim check).
  TRELLIS_BLOB_THRESHOLD_BYTES: z.coerce.number().int().min(1_024).default(65_536),
  TRELLIS_BLOB_MAX_BYTES: z.coerce.number().int().min(1_024).default(50 * 1024 * 1024),
  // Nodes of one run executing at the same time (approvals and delays do not count).
  // The runner processes that evaluate expressions and templates (docs/decisions/016-expression-isolation.md).
  TRELLIS_EXPRESSION_PROCESSES: z.coerce.number().int().min(1).max(64).default(2),
  TRELLIS_EXPRESSION_CPU_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
  TRELLIS_EXPRESSION_MEMORY_MB: z.coerce.number().int().min(64).max(8_192).default(256),
  TRELLIS_RUN_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(10),
  // The run reconciler (core/runs/reconciler.ts): seconds between passes, and how old a run record
  // with no workflow execution must be before it is closed as failed.
  TRELLIS_RECONCILE_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  TRELLIS_RECONCILE_GRACE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  // The run dispatcher (core/runs/dispatcher.ts): milliseconds between scans of the teams with
  // queued runs (kicks after each start and each run end come sooner), and runs claimed per batch.
  TRELLIS_DISPATCH_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(1_000),
  TRELLIS_DISPATCH_BATCH: z.coerce.number().int().min(1).max(1_000).default(100),
  // Tooling: the Temporal CLI `npm start` runs as the dev server (bootstrap finds or builds one).
  TEMPORAL_CLI: z.string().optional(),
  // Identity (docs/decisions/010-sessions.md, 011-rate-limits.md).
  SESSION_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  // Absolute session lifetime from the sign-in; activity extends a session up to here, never past.
  SESSION_MAX_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  MAIL_FROM: z.string().min(3).default('Trellis <no-reply@trellis.local>'),
  GOOGLE_CLIENT_ID: z.string().optional(),
  GOOGLE_CLIENT_SECRET: z.string().optional(),
  GITHUB_CLIENT_ID: z.string().optional(),
  GITHUB_CLIENT_SECRET: z.string().optional(),
  // Origins besides PUBLIC_URL's allowed to make cookie-authenticated writes (comma-separated).
  TRELLIS_ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((entry) => entry.trim().replace(/\/+$/, '')).filter(Boolean)),
  // Origins whose pages may call the API from the browser (CORS), with API keys only (ADR 039).
  CORS_ORIGINS: corsOrigins,
  RATE_LIMIT_ENABLED: z.enum(['true', 'false', '1', '0']).default('true').transform((v) => v === 'true' || v === '1'),
  RATE_LIMIT_AUTH_PER_IP: z.coerce.number().int().min(1).default(20),
  RATE_LIMIT_AUTH_WINDOW_SECONDS: z.coerce.number().int().min(1).default(300),
  RATE_LIMIT_PRINCIPAL_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: z.coerce.number().int().min(1).default(120),
  // Failed password sign-ins (docs/decisions/011-rate-limits.md): per network (an IPv4 address,
  // an IPv6 /64) per 15 minutes; per account, failures before the back-off starts, its first wait
  // (doubled by each further failure) and its cap.
  RATE_LIMIT_LOGIN_FAILURES_PER_NETWORK: z.coerce.number().int().min(1).default(100),
  RATE_LIMIT_LOGIN_FREE_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  RATE_LIMIT_LOGIN_BACKOFF_BASE_SECONDS: z.coerce.number().int().min(1).max(3_600).default(1),
  RATE_LIMIT_LOGIN_BACKOFF_MAX_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  // Deliveries per minute to one webhook (signed, so not counted as anonymous traffic).
  RATE_LIMIT_WEBHOOK_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  // Instance admins besides the first registered user (docs/decisions/035-instance-admin.md), comma-separated.
  TRELLIS_ADMIN_EMAILS: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((entry) => entry.trim().toLowerCase()).filter(Boolean))
    .pipe(z.array(z.email('must be a comma-separated list of email addresses'))),
});

export type Env = z.input<typeof EnvSchema>;

export interface Config {
  env: 'development' | 'test' | 'production';
  logLevel: string;
  dataDir: string;
  web: { port: number; publicUrl: string; apiUrl: string };
  api: { port: number };
  worker: { metricsPort: number; metricsHost: string };
  /** The api's /metrics and /readyz details: loopback callers, or the bearer of this token. */
  metrics: { token: string | undefined; teamLabel: boolean };
  database: { url: string };
  redis: { url: string };
  temporal: { address: string; namespace: string; taskQueue: string; uiUrl: string };
  smtp: { url: string | undefined; timeoutMs: number };
  openai: { baseUrl: string; apiKey: string | undefined };
  /** Limits of AI calls (activities/ai-spend.ts): allowed models (empty: the plans decide), max_tokens, reply bytes. */
  ai: { models: string[]; maxOutputTokens: number; maxOutputBytes: number };
  http: {
    allowlist: string[];
    /** TRELLIS_HTTP_PORTS: allowed destination ports, `80,443,1024-65535` by default. */
    ports: string;
    /** Buffered response bodies (activities/http-budget.ts): worker total, one team's share, longest wait for room. */
    buffer: { totalBytes: number; teamBytes: number; waitMs: number };
  };
  /** Live-event streams (api/routes/run-events.ts): open at once per user/API key and per team; lifetime of one. */
  sse: { perPrincipal: number; perTeam: number; maxLifetimeMs: number };
  /** Trellis as an MCP server (api/routes/mcp.ts): how long tools/call waits for the run's output; requests in progress per key and team. */
  mcp: { waitMs: number; perKey: number; perTeam: number };
  secretKey: string | undefined;
  previousSecretKeys: string[];
  engine: {
    blobThresholdBytes: number;
    blobMaxBytes: number;
    runConcurrency: number;
    expressions: { processes: number; cpuMs: number; memoryMb: number };
  };
  /** The run reconciler (core/runs/reconciler.ts): time between passes; age before a row without an execution is closed. */
  reconciler: { intervalMs: number; graceMs: number };
  /** The run dispatcher (core/runs/dispatcher.ts): time between scans of queued teams; runs claimed at once. */
  dispatch: { intervalMs: number; batchSize: number };
  tools: { temporalCli: string | undefined };
  /** Express "trust proxy": which peers' X-Forwarded-For/-Proto/-Host are believed. */
  trustProxy: boolean | number | string;
  /** Serve /api/v1/diagnostics (no credentials): only when TRELLIS_DIAGNOSTICS asks, never in production. */
  diagnostics: boolean;
  auth: {
    sessionTtlDays: number;
    sessionMaxDays: number;
    /** Origins allowed to make cookie-authenticated writes: PUBLIC_URL's plus TRELLIS_ALLOWED_ORIGINS. */
    allowedOrigins: string[];
    /** CORS_ORIGINS: cross-origin pages answered with CORS headers; they authenticate with API keys only. */
    corsOrigins: string[];
    oauth: { google?: OAuthClientConfig; github?: OAuthClientConfig };
  };
  /** taskQueue: where mail deliveries run (their own queue, so runs and mail never wait for each other). */
  mail: { from: string; taskQueue: string };
  /** Instance admins (api/routes/admin.ts): these verified addresses, plus the first registered user. */
  admin: { emails: string[] };
  rateLimit: {
    enabled: boolean;
    /** Requests to the auth endpoints per client IP per window. */
    authPerIp: number;
    authWindowSeconds: number;
    /** Requests per minute of one user session or one API key. */
    principalPerMinute: number;
    /** Requests per minute of one IP without credentials. */
    anonymousPerMinute: number;
    /** Failed password sign-ins: per network per 15 min; per account before the back-off, the back-off's first wait and cap. */
    login: { failuresPerNetwork: number; freeFailures: number; backoffBaseSeconds: number; backoffMaxSeconds: number };
    /** Deliveries per minute to one webhook. */
    webhookPerMinute: number;
  };
}

export interface OAuthClientConfig {
  clientId: string;
  clientSecret: string;
}

export class ConfigError extends Error {
  readonly problems: { variable: string; message: string }[];
  constructor(problems: { variable: string; message: string }[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Parses the environment once; throws a ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset" (a common shell idiom: FOO= command).
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(environment)'),
        message: issue.message,
      })),
    );
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production' && !e.TRELLIS_SECRET_KEY) {
    throw new ConfigError([
      { variable: 'TRELLIS_SECRET_KEY', message: 'is required in production (32 bytes, base64)' },
    ]);
  }
  if (e.NODE_ENV === 'production' && e.TRELLIS_DIAGNOSTICS) {
    throw new ConfigError([
      { variable: 'TRELLIS_DIAGNOSTICS', message: 'must not be set in production: the diagnostics endpoints need no credentials' },
    ]);
  }
  const oauthProblems = (['GOOGLE', 'GITHUB'] as const).flatMap((provider) => {
    const id = e[`${provider}_CLIENT_ID`];
    const secret = e[`${provider}_CLIENT_SECRET`];
    if (Boolean(id) === Boolean(secret)) return [];
    const missing = id ? `${provider}_CLIENT_SECRET` : `${provider}_CLIENT_ID`;
    return [{ variable: missing, message: `is required when ${id ? `${provider}_CLIENT_ID` : `${provider}_CLIENT_SECRET`} is set` }];
  });
  if (oauthProblems.length) throw new ConfigError(oauthProblems);
  const allowedOrigins = [...new Set([new URL(e.PUBLIC_URL).origin, ...e.TRELLIS_ALLOWED_ORIGINS])];
  // One origin, one rule: a first-party origin's session cookie works, a CORS origin's never does.
  const both = e.CORS_ORIGINS.filter((origin) => allowedOrigins.includes(origin));
  if (both.length) {
    throw new ConfigError([{ variable: 'CORS_ORIGINS', message: `${both.join(', ')} is also PUBLIC_URL's origin or in TRELLIS_ALLOWED_ORIGINS (first party, sessions allowed); list it in one place` }]);
  }
  const oauthClient = (clientId: string | undefined, clientSecret: string | undefined) =>
    clientId && clientSecret ? { clientId, clientSecret } : undefined;
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    dataDir: e.TRELLIS_DATA_DIR,
    web: {
      port: e.WEB_PORT,
      publicUrl: e.PUBLIC_URL,
      apiUrl: e.API_URL ?? `http://127.0.0.1:${e.API_PORT}`,
    },
    api: { port: e.API_PORT },
    worker: { metricsPort: e.WORKER_METRICS_PORT, metricsHost: e.WORKER_METRICS_HOST },
    metrics: { token: e.METRICS_TOKEN, teamLabel: e.TRELLIS_METRICS_TEAM_LABEL },
    database: { url: e.DATABASE_URL ?? `sqlite:${defaultSqlitePath(e.TRELLIS_DATA_DIR)}` },
    redis: { url: e.REDIS_URL },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      uiUrl: e.TEMPORAL_UI_URL,
    },
    smtp: { url: e.SMTP_URL, timeoutMs: e.SMTP_TIMEOUT_SECONDS * 1000 },
    openai: { baseUrl: e.OPENAI_BASE_URL, apiKey: e.OPENAI_API_KEY },
    ai: { models: e.TRELLIS_AI_MODELS, maxOutputTokens: e.TRELLIS_AI_MAX_OUTPUT_TOKENS, maxOutputBytes: e.TRELLIS_AI_MAX_OUTPUT_BYTES },
    http: {
      allowlist: e.TRELLIS_HTTP_ALLOWLIST,
      ports: e.TRELLIS_HTTP_PORTS,
      buffer: {
        totalBytes: e.TRELLIS_HTTP_BUFFER_BUDGET_MB * 2 ** 20,
        // A share above the whole is the whole.
        teamBytes: Math.min(e.TRELLIS_HTTP_BUFFER_TEAM_MB, e.TRELLIS_HTTP_BUFFER_BUDGET_MB) * 2 ** 20,
        waitMs: e.TRELLIS_HTTP_BUFFER_WAIT_SECONDS * 1000,
      },
    },
    sse: { perPrincipal: e.TRELLIS_SSE_PER_PRINCIPAL, perTeam: e.TRELLIS_SSE_PER_TEAM, maxLifetimeMs: e.TRELLIS_SSE_MAX_LIFETIME_SECONDS * 1000 },
    mcp: { waitMs: e.TRELLIS_MCP_WAIT_MS, perKey: e.TRELLIS_MCP_CALLS_PER_KEY, perTeam: e.TRELLIS_MCP_CALLS_PER_TEAM },
    secretKey: e.TRELLIS_SECRET_KEY,
    previousSecretKeys: e.TRELLIS_SECRET_KEYS_PREVIOUS,
    engine: {
      blobThresholdBytes: e.TRELLIS_BLOB_THRESHOLD_BYTES,
      blobMaxBytes: e.TRELLIS_BLOB_MAX_BYTES,
      runConcurrency: e.TRELLIS_RUN_CONCURRENCY,
      expressions: { processes: e.TRELLIS_EXPRESSION_PROCESSES, cpuMs: e.TRELLIS_EXPRESSION_CPU_MS, memoryMb: e.TRELLIS_EXPRESSION_MEMORY_MB },
    },
    reconciler: { intervalMs: e.TRELLIS_RECONCILE_INTERVAL_SECONDS * 1000, graceMs: e.TRELLIS_RECONCILE_GRACE_SECONDS * 1000 },
    dispatch: { intervalMs: e.TRELLIS_DISPATCH_INTERVAL_MS, batchSize: e.TRELLIS_DISPATCH_BATCH },
    tools: { temporalCli: e.TEMPORAL_CLI },
    trustProxy: e.TRUST_PROXY,
    diagnostics: e.TRELLIS_DIAGNOSTICS,
    auth: {
      sessionTtlDays: e.SESSION_TTL_DAYS,
      sessionMaxDays: e.SESSION_MAX_DAYS,
      allowedOrigins,
      corsOrigins: e.CORS_ORIGINS,
      oauth: {
        google: oauthClient(e.GOOGLE_CLIENT_ID, e.GOOGLE_CLIENT_SECRET),
        github: oauthClient(e.GITHUB_CLIENT_ID, e.GITHUB_CLIENT_SECRET),
      },
    },
    mail: { from: e.MAIL_FROM, taskQueue: e.TEMPORAL_MAIL_TASK_QUEUE ?? `${e.TEMPORAL_TASK_QUEUE}-mail` },
    admin: { emails: e.TRELLIS_ADMIN_EMAILS },
    rateLimit: {
      enabled: e.RATE_LIMIT_ENABLED,
      authPerIp: e.RATE_LIMIT_AUTH_PER_IP,
      authWindowSeconds: e.RATE_LIMIT_AUTH_WINDOW_SECONDS,
      principalPerMinute: e.RATE_LIMIT_PRINCIPAL_PER_MINUTE,
      anonymousPerMinute: e.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
      login: {
        failuresPerNetwork: e.RATE_LIMIT_LOGIN_FAILURES_PER_NETWORK,
        freeFailures: e.RATE_LIMIT_LOGIN_FREE_FAILURES,
        backoffBaseSeconds: e.RATE_LIMIT_LOGIN_BACKOFF_BASE_SECONDS,
        backoffMaxSeconds: e.RATE_LIMIT_LOGIN_BACKOFF_MAX_SECONDS,
      },
      webhookPerMinute: e.RATE_LIMIT_WEBHOOK_PER_MINUTE,
    },
  };
}

function defaultSqlitePath(dataDir: string): string {
  const dir = dataDir.replace(/\/+$/, '');
  return `${dir.startsWith('/') || dir.startsWith('./') ? dir : `./${dir}`}/trellis.sqlite`;
}
