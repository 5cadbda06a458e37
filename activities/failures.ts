// Turning what went wrong in an activity into the ApplicationFailure Temporal acts on:
// non-retryable for mistakes that another attempt cannot fix (a 4xx, a refused address, a reply
// that does not match its schema), retryable for transient trouble, with the server's own
// Retry-After as the next delay when it gave one. Messages never carry secrets: callers pass them
// through `redact` with every secret value they handled.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';

/** The failure types activities raise; the interpreter and the UI may rely on these names. */
export const FailureType = {
  HttpClientError: 'HttpClientError',
  HttpServerError: 'HttpServerError',
  HttpRateLimited: 'HttpRateLimited',
  HttpTimeout: 'HttpTimeout',
  HttpNetworkError: 'HttpNetworkError',
  HttpInvalidRequest: 'HttpInvalidRequest',
  HttpDestinationRefused: 'HttpDestinationRefused',
  HttpDnsError: 'HttpDnsError',
  HttpTooManyRedirects: 'HttpTooManyRedirects',
  HttpResponseTooLarge: 'HttpResponseTooLarge',
  /** The worker's memory budget for buffered bodies stayed full (transient: retried). */
  HttpBufferBudgetExhausted: 'HttpBufferBudgetExhausted',
  HttpInvalidResponse: 'HttpInvalidResponse',
  CredentialNotFound: 'CredentialNotFound',
  CredentialTypeMismatch: 'CredentialTypeMismatch',
  /** A credential aimed at a host outside its allowed hosts (docs/decisions/021-credential-hosts.md). */
  CredentialHostNotAllowed: 'credential_host_not_allowed',
  AiConfigurationError: 'AiConfigurationError',
  AiRequestRejected: 'AiRequestRejected',
  AiAuthenticationError: 'AiAuthenticationError',
  AiRateLimited: 'AiRateLimited',
  AiQuotaExceeded: 'AiQuotaExceeded',
  AiServerError: 'AiServerError',
  AiConnectionError: 'AiConnectionError',
  AiTimeout: 'AiTimeout',
  AiInvalidJson: 'AiInvalidJson',
  AiSchemaMismatch: 'AiSchemaMismatch',
  // Spend and size limits of AI calls (docs/decisions/017-ai-spend.md): stable codes, named like the quotas.
  QuotaAiTokens: 'quota_ai_tokens',
  BudgetExceeded: 'budget_exceeded',
  ModelNotAllowed: 'model_not_allowed',
  AiOutputLimit: 'ai_output_limit',
  // Remote MCP servers (activities/mcp-client.ts) and the agent's tools (activities/agent.ts).
  /** The MCP server answered with an error (HTTP 4xx or a JSON-RPC error): not retried. */
  McpError: 'McpError',
  /** The MCP server could not be reached or failed (network, 5xx, 429): retried. */
  McpUnavailable: 'McpUnavailable',
  McpTimeout: 'McpTimeout',
  /** The MCP server's answer is not valid MCP, or is larger than the client reads. */
  McpInvalidResponse: 'McpInvalidResponse',
  /** A tool outside the node's `allow` list, or an allowed tool the server does not offer. */
  McpToolNotAllowed: 'mcp_tool_not_allowed',
  McpToolNotFound: 'mcp_tool_not_found',
  /** The model called a tool with arguments that are not a JSON object or do not match its input schema. */
  AgentInvalidToolArguments: 'AgentInvalidToolArguments',
  /** A tool's input schema is too large to offer to the model in every turn. */
  AgentToolSchemaLimit: 'agent_tool_schema_limit',
  /** A workflow tool's workflow is not (or no longer) in the team. */
  WorkflowNotFound: 'workflow_not_found',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Retry-After values beyond this are capped: a run should not sleep for days on a header. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

export function nonRetryable(type: FailureType, message: string, details?: Record<string, unknown>): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: details ? [details] : undefined });
}

export function retryable(
  type: FailureType,
  message: string,
  options: { nextRetryDelayMs?: number; details?: Record<string, unknown> } = {},
): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: false,
    nextRetryDelay: options.nextRetryDelayMs !== undefined && options.nextRetryDelayMs > 0 ? options.nextRetryDelayMs : undefined,
    details: options.details ? [options.details] : undefined,
  });
}

/**
 * Milliseconds to wait according to a Retry-After header: delay-seconds ("120", fractions
 * tolerated) or an HTTP date. Undefined when absent or unparseable; capped at MAX_RETRY_AFTER_MS.
 * Also reads OpenAI's `retry-after-ms` when given the value of that header with `unit: 'ms'`.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now(), unit: 's' | 'ms' = 's'): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(text)) {
    ms = Number(text) * (unit === 's' ? 1000 : 1);
  } else {
    const date = Date.parse(text);
    if (Number.isNaN(date)) return undefined;
    ms = date - now;
  }
  return Math.min(Math.max(0, Math.round(ms)), MAX_RETRY_AFTER_MS);
}

/** Secrets shorter than this are not scrubbed from text (they would mangle ordinary words). */
const MIN_SECRET_LENGTH = 4;

/** Replaces every occurrence of each secret by "[redacted]". */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  // Longest first, so a secret containing another one is replaced whole.
  const sorted = [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  for (const secret of sorted) out = out.split(secret).join('[redacted]');
  return out;
}

/** Deep copy of a JSON value with secrets scrubbed from every string (keys included). */
export function redactDeep(value: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0) return value;
  if (typeof value === 'string') return redact(value, secrets);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, secrets));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k, secrets), redactDeep(v, secrets)]));
  }
  return value;
}

/** A short single-line excerpt for error messages. */
export function excerpt(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** The current activity context, or undefined when called outside an activity (scripts, benchmarks). */
export function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Heartbeats every `everyMs` until stopped: cancellation only reaches activities that heartbeat. */
export function startHeartbeats(context: Context | undefined, everyMs = 1_000): () => void {
  if (!context) return () => undefined;
  const beat = () => {
    try {
      context.heartbeat();
    } catch {
      // the context is finished; nothing to report to
    }
  };
  beat();
  const timer = setInterval(beat, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Throws the activity's cancellation reason (a CancelledFailure) when it was cancelled. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
}
