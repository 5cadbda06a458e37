// Parses a request part with a zod schema; failures become 400 problem+json naming each field.
import type { RequestHandler } from 'express';
import type { z } from 'zod';
import { UserError } from '../../core/errors.ts';
import { MAX_JSON_DEPTH, scanJsonText } from '../../core/limits/json.ts';

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    throw new UserError('invalid_request', 'The request body is invalid', {
      problems: parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message })),
    });
  }
  return parsed.data;
}

/** Like parseBody, for the query string (`?limit=&cursor=` …). */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const parsed = schema.safeParse(query ?? {});
  if (!parsed.success) {
    throw new UserError('invalid_query', 'The query string is invalid', {
      problems: parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || '(query)', message: issue.message })),
    });
  }
  return parsed.data;
}

/**
 * express.json `verify`: refuses, before parsing, bodies nested deeper than MAX_JSON_DEPTH and
 * strings holding NUL (both would fail later, as a 500, where the value is used).
 */
export function checkJsonBody(_req: unknown, _res: unknown, body: Buffer): void {
  const { depth, nul } = scanJsonText(body);
  if (depth > MAX_JSON_DEPTH) {
    throw new UserError('json_too_deep', `The body nests arrays and objects ${depth} levels deep; the limit is ${MAX_JSON_DEPTH}`, {
      problems: [{ path: '(body)', message: `nests deeper than ${MAX_JSON_DEPTH} levels` }],
    });
  }
  if (nul) throw new UserError('invalid_request', 'The body holds a NUL character (\\u0000)', { problems: [{ path: '(body)', message: 'a string holds a NUL character' }] });
}

/** Refuses a NUL character (%00) anywhere in the path or query string, for the same reason. */
export const refuseNulInUrl: RequestHandler = (req, _res, next) => {
  if (/%00/.test(req.originalUrl) || req.originalUrl.includes('\0')) {
    next(new UserError('invalid_request', 'The URL holds a NUL character (%00)', { problems: [{ path: '(url)', message: 'holds a NUL character' }] }));
    return;
  }
  next();
};
