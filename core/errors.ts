// The three kinds of error (DESIGN.md): UserError (4xx, never retried), OperationalError
// (transient, 5xx/503, retried), and everything else, which is a bug (500, logged with a stack).
import type { FieldProblem } from '../contract/common.ts';

/** One field's problem (contract/common.ts FieldProblem). */
export type Problem = FieldProblem;

export class UserError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problems: Problem[] | undefined;
  /** Response headers the error implies (Retry-After on a 429, WWW-Authenticate on a 401). */
  readonly headers: Record<string, string> | undefined;
  constructor(code: string, detail: string, options: { status?: number; problems?: Problem[]; headers?: Record<string, string> } = {}) {
    super(detail);
    this.name = 'UserError';
    this.code = code;
    this.status = options.status ?? 400;
    this.problems = options.problems;
    this.headers = options.headers;
  }
}

export class OperationalError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(code: string, detail: string, options: { status?: number; cause?: unknown } = {}) {
    super(detail, { cause: options.cause });
    this.name = 'OperationalError';
    this.code = code;
    this.status = options.status ?? 503;
  }
}

export class NotFoundError extends UserError {
  constructor(what: string) {
    super('not_found', `${what} was not found`, { status: 404 });
    this.name = 'NotFoundError';
  }
}

/** 401: no credentials, or credentials that are not (or no longer) valid. */
export class UnauthorizedError extends UserError {
  constructor(detail = 'Sign in, or send a session token or API key as Authorization: Bearer', code = 'unauthenticated') {
    super(code, detail, { status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="trellis"' } });
    this.name = 'UnauthorizedError';
  }
}

/** 403: authenticated, but this principal may not do this. */
export class ForbiddenError extends UserError {
  constructor(code: string, detail: string) {
    super(code, detail, { status: 403 });
    this.name = 'ForbiddenError';
  }
}

/** 429 with Retry-After: a rate limit or a time-bound quota. */
export class TooManyRequestsError extends UserError {
  readonly retryAfterSeconds: number;
  constructor(code: string, detail: string, retryAfterSeconds: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super(code, detail, { status: 429, headers: { 'Retry-After': String(seconds) } });
    this.name = 'TooManyRequestsError';
    this.retryAfterSeconds = seconds;
  }
}
