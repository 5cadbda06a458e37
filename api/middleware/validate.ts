// Parses a request part with a zod schema; failures become 400 problem+json naming each field.
import type { z } from 'zod';
import { UserError } from '../../core/errors.ts';

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
