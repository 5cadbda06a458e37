// The one error middleware: every error becomes application/problem+json.
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ConnectionException } from '@mikro-orm/core';
import { isGrpcServiceError } from '@temporalio/client';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { OperationalError, UserError, type Problem } from '../../core/errors.ts';
import { markProblemCode } from '../metrics.ts';
import type { Problem as WireProblem } from '../../contract/common.ts';

/** The wire shape of every error answer (contract/common.ts). */
export type ProblemBody = WireProblem;

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout', 409: 'Conflict', 431: 'Request Header Fields Too Large',
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
    if (error.status === 503) res.set('Retry-After', String(DEPENDENCY_RETRY_AFTER_SECONDS));
    body = problem(error.status, error.code, error.message);
  } else if (unavailableDependency(error)) {
    req.log.warn({ err: error }, 'a dependency is unavailable');
    res.set('Retry-After', String(DEPENDENCY_RETRY_AFTER_SECONDS));
    body = problem(503, 'dependency_unavailable', `${unavailableDependency(error)} is not reachable right now; try again shortly.`);
  } else if (isClientHttpError(error)) {
    body = problem(error.status, clientErrorCode(error), error.message);
  } else {
    req.log.error({ err: error }, 'unexpected error');
    body = problem(500, 'internal', 'Something went wrong on our side; it has been logged.');
  }
  body.requestId = String(req.id);
  markProblemCode(res, body.code);
  res.status(body.status).type('application/problem+json').json(body);
};

const DEPENDENCY_RETRY_AFTER_SECONDS = 5;
// gRPC codes Temporal answers while it (or the path to it) is down or overloaded.
const TRANSIENT_GRPC_CODES = new Set([4 /* DEADLINE_EXCEEDED */, 8 /* RESOURCE_EXHAUSTED */, 14 /* UNAVAILABLE */]);
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', '57P01', '57P03']);

/**
 * Which dependency an error says is down (the database, Temporal, Redis), or undefined: those
 * answer 503 with Retry-After rather than 500, since the request itself was fine.
 */
function unavailableDependency(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof ConnectionException) return 'The database';
    if (isGrpcServiceError(e) && TRANSIENT_GRPC_CODES.has(e.code)) return 'The workflow engine (Temporal)';
    const code = (e as { code?: unknown }).code;
    const message = (e as { message?: unknown }).message;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return 'A backing service';
    if ((e as { name?: unknown }).name === 'MaxRetriesPerRequestError' || (typeof message === 'string' && message === 'Connection is closed.')) return 'Redis';
  }
  return undefined;
}

/**
 * A 4xx raised below the routes: body-parser (size, charset, encoding, bad JSON, a gzip body that
 * is not gzip) and the router (a path parameter that is not valid percent-encoding, `%ZZ`), both
 * with a numeric `status`. Other errors that happen to carry a status (a client library's) stay 500s.
 */
function isClientHttpError(error: unknown): error is { status: number; type?: unknown; message: string; name?: string } {
  if (typeof error !== 'object' || error === null) return false;
  const status = (error as { status?: unknown }).status;
  // http-errors marks its client errors `expose`; the router's decoding error is a plain URIError.
  const known = (error as { expose?: unknown }).expose === true || error instanceof URIError;
  return known && typeof status === 'number' && status >= 400 && status < 500 && typeof (error as { message?: unknown }).message === 'string';
}

function clientErrorCode(error: { status: number; type?: unknown; name?: string }): string {
  if (error.type === 'entity.too.large') return 'body_too_large';
  if (error.status === 415) return 'unsupported_media_type';
  if (error.name === 'URIError') return 'invalid_path';
  return 'invalid_body';
}

/**
 * Requests Node's HTTP parser refuses before Express sees them (request line and headers over
 * 16 KB, a malformed header, a request that never finishes) answer problem+json too, instead of
 * Node's bare status line.
 */
export function answerParserErrors(server: Server): void {
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, code, detail] =
      error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'headers_too_large', 'The request line and headers are larger than the server accepts (16 KB)']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'request_timeout', 'The request was not received in time']
          : [400, 'malformed_request', 'The request is not valid HTTP/1.1'];
    const body = JSON.stringify(problem(status, code, detail));
    socket.end(`HTTP/1.1 ${status} ${TITLES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}
