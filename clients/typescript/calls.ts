// Types and helpers over the generated operation table (operations.ts): an operation's path
// parameters, query, body and answer, and what `call(operationId, options)` takes.
import { OPERATIONS, type OperationTypes } from './operations.ts';

export type OperationId = keyof typeof OPERATIONS;
type PathOf<K extends OperationId> = (typeof OPERATIONS)[K]['path'];
type ParamNames<P extends string> = P extends `${string}{${infer Name}}${infer Rest}` ? Name | ParamNames<Rest> : never;
/** The path parameters of an operation, e.g. { teamId: string; runId: string }. */
export type PathParams<K extends OperationId> = { [N in ParamNames<PathOf<K>>]: string | number };
export type Answer<K extends OperationId> = OperationTypes[K]['answer'];
export type Body<K extends OperationId> = OperationTypes[K] extends { body: infer B } ? B : never;
export type Query<K extends OperationId> = OperationTypes[K] extends { query: infer Q } ? Q : never;

type Part<Name extends string, T, Required extends boolean> = [T] extends [never] ? { [P in Name]?: never } : Required extends true ? { [P in Name]: T } : { [P in Name]?: T };
/** What `call(operationId, options)` takes: path params and a body when the operation has them, a query when it takes one. */
export type CallOptions<K extends OperationId, Omitted extends string = never> =
  Part<'params', Omit<PathParams<K>, Omitted>, [Exclude<ParamNames<PathOf<K>>, Omitted>] extends [never] ? false : true>
  & Part<'body', Body<K>, undefined extends Body<K> ? false : true>
  & Part<'query', Query<K>, false>
  & { headers?: Record<string, string>; signal?: AbortSignal };
/** The options argument, optional when nothing in it is required. */
export type CallArgs<K extends OperationId, Omitted extends string = never> =
  object extends CallOptions<K, Omitted> ? [options?: CallOptions<K, Omitted>] : [options: CallOptions<K, Omitted>];

/** The path of an operation with its parameters filled in (each one URL-encoded). */
export function pathOf(operationId: OperationId, params: Record<string, string | number> = {}): string {
  return OPERATIONS[operationId].path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`${operationId}: path parameter ${name} is missing`);
    return encodeURIComponent(String(value));
  });
}
