// The three kinds of error (DESIGN.md): UserError (4xx, never retried), OperationalError
// (transient, 5xx/503, retried), and everything else, which is a bug (500, logged with a stack).

export interface Problem {
  path: string;
  message: string;
}

export class UserError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problems: Problem[] | undefined;
  constructor(code: string, detail: string, options: { status?: number; problems?: Problem[] } = {}) {
    super(detail);
    this.name = 'UserError';
    this.code = code;
    this.status = options.status ?? 400;
    this.problems = options.problems;
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
