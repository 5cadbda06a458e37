// The one error middleware: every error becomes application/problem+json.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { OperationalError, UserError, type Problem } from '../../core/errors.ts';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  problems?: Problem[];
  requestId?: string;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict',
  413: 'Content Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content', 429: 'Too Many Requests',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
};

export function problem(status: number, code: string, detail: string, problems?: Problem[]): ProblemBody {
  return {
    type: `https://trellis.dev/problems/${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    ...(problems ? { problems } : {}),
  };
}

export const notFound: RequestHandler = (req, res) => {
  res.status(404).type('application/problem+json').json(problem(404, 'route_not_found', `No route for ${req.method} ${req.path}`));
};

export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
  if (res.headersSent) {
    next(error);
    return;
  }
  let body: ProblemBody;
  if (error instanceof UserError) {
    body = problem(error.status, error.code, error.message, error.problems);
    if (error.headers) res.set(error.headers);
  } else if (error instanceof OperationalError) {
    req.log.warn({ err: error }, 'operational error');
    body = problem(error.status, error.code, error.message);
  } else if (isBodyParserError(error)) {
    body = problem(error.status, error.type === 'entity.too.large' ? 'body_too_large' : 'invalid_body', error.message);
  } else {
    req.log.error({ err: error }, 'unexpected error');
    body = problem(500, 'internal', 'Something went wrong on our side; it has been logged.');
  }
  body.requestId = String(req.id);
  res.status(body.status).type('application/problem+json').json(body);
};

function isBodyParserError(error: unknown): error is { status: number; type: string; message: string } {
  return typeof error === 'object' && error !== null && 'type' in error && 'status' in error &&
    typeof (error as { status: unknown }).status === 'number' && (error as { status: number }).status < 500;
}
