// Building blocks of the wire contract: the registry of named schemas (each becomes a component
// of the OpenAPI document, contract/openapi.ts), the problem+json shape, pages and dates.
// The contract imports only zod and pure modules, so api, web, tests and clients can all load it.
import { z } from 'zod';

/** Named schemas of answers (generated with io "output") and requests (io "input"). */
export const answers = z.registry<{ id: string; description?: string }>();
export const requests = z.registry<{ id: string; description?: string }>();

/** Registers an answer schema under its name (its OpenAPI component). */
export function answer<S extends z.ZodType>(id: string, schema: S, description?: string): S {
  answers.add(schema, { id, ...(description ? { description } : {}) });
  return schema;
}
/** Registers a request schema (body or query) under its name. */
export function request<S extends z.ZodType>(id: string, schema: S, description?: string): S {
  requests.add(schema, { id, ...(description ? { description } : {}) });
  return schema;
}

/** A moment, ISO 8601 in UTC as the api writes it (Date#toISOString). */
export const IsoDate = z.iso.datetime({ offset: true });
export const Int = z.int();

/** One field's problem: where (dotted path) and what. */
export const FieldProblem = answer('FieldProblem', z.object({ path: z.string(), message: z.string() }));
export type FieldProblem = z.infer<typeof FieldProblem>;

/** Every error answer (application/problem+json, RFC 9457), with a stable `code`. */
export const Problem = answer(
  'Problem',
  z.object({
    type: z.string().describe('https://trellis.dev/problems/<code>'),
    title: z.string(),
    status: z.int(),
    code: z.string().describe('stable machine-readable code, e.g. invalid_request, quota_runs'),
    detail: z.string(),
    problems: z.array(FieldProblem).optional().describe('each invalid field of the request'),
    requestId: z.string().optional(),
  }),
  'An error (application/problem+json). Clients branch on `code`, never on `detail`.',
);
export type Problem = z.infer<typeof Problem>;

/** Every list: `?limit=&cursor=` → `{items, nextCursor}`. */
export function page<S extends z.ZodType>(id: string, item: S) {
  return answer(id, z.object({ items: z.array(item), nextCursor: z.string().nullable().describe('pass as ?cursor= for the next page; null: the last page') }));
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** `?limit=&cursor=` */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});
export type PageQuery = z.infer<typeof PageQuery>;

/** Accepted for later (always the same answer, whatever happened: no enumeration). */
export const Accepted = answer('Accepted', z.object({ status: z.literal('accepted') }));
