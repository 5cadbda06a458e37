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

export const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  TRELLIS_DATA_DIR: z.string().min(1).default('.data'),
  WEB_PORT: port.default(3000),
  API_PORT: port.default(3001),
  API_URL: url(['http:', 'https:']).optional(),
  WORKER_METRICS_PORT: port.default(9464),
  PUBLIC_URL: url(['http:', 'https:']).default('http://localhost:3000'),
  // Unset: a SQLite file in the data folder (sqlite:./.data/trellis.sqlite by default).
  DATABASE_URL: databaseUrl.optional(),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  TEMPORAL_ADDRESS: hostPort.default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('trellis'),
  TEMPORAL_UI_URL: url(['http:', 'https:']).default('http://127.0.0.1:8233'),
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  OPENAI_BASE_URL: url(['http:', 'https:']).default('https://api.openai.com/v1'),
  OPENAI_API_KEY: z.string().optional(),
  TRELLIS_HTTP_ALLOWLIST: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((entry) => entry.trim()).filter(Boolean)),
  TRELLIS_SECRET_KEY: secretKey.optional(),
  // Tooling: the Temporal CLI `npm start` runs as the dev server (bootstrap finds or builds one).
  TEMPORAL_CLI: z.string().optional(),
});

export type Env = z.input<typeof EnvSchema>;

export interface Config {
  env: 'development' | 'test' | 'production';
  logLevel: string;
  dataDir: string;
  web: { port: number; publicUrl: string; apiUrl: string };
  api: { port: number };
  worker: { metricsPort: number };
  database: { url: string };
  redis: { url: string };
  temporal: { address: string; namespace: string; taskQueue: string; uiUrl: string };
  smtp: { url: string | undefined };
  openai: { baseUrl: string; apiKey: string | undefined };
  http: { allowlist: string[] };
  secretKey: string | undefined;
  tools: { temporalCli: string | undefined };
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
    worker: { metricsPort: e.WORKER_METRICS_PORT },
    database: { url: e.DATABASE_URL ?? `sqlite:${defaultSqlitePath(e.TRELLIS_DATA_DIR)}` },
    redis: { url: e.REDIS_URL },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      uiUrl: e.TEMPORAL_UI_URL,
    },
    smtp: { url: e.SMTP_URL },
    openai: { baseUrl: e.OPENAI_BASE_URL, apiKey: e.OPENAI_API_KEY },
    http: { allowlist: e.TRELLIS_HTTP_ALLOWLIST },
    secretKey: e.TRELLIS_SECRET_KEY,
    tools: { temporalCli: e.TEMPORAL_CLI },
  };
}

function defaultSqlitePath(dataDir: string): string {
  const dir = dataDir.replace(/\/+$/, '');
  return `${dir.startsWith('/') || dir.startsWith('./') ? dir : `./${dir}`}/trellis.sqlite`;
}
