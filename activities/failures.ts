// Turning what went wrong in an activity into the ApplicationFailure Temporal acts on:
// non-retryable for mistakes that another attempt cannot fix (a 4xx, a refused address, a reply
// that does not match its schema), retryable for transient trouble, with the server's own
// Retry-After as the next delay when it gave one. Messages never carry secrets: callers pass them
// through `redact` with every secret value they handled.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../contract/failure-types.ts';

// The failure type names are a wire contract (contract/failure-types.ts): core/ and the web read them too.
export { FailureType };

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
