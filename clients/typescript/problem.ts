// Every error answer of the api is application/problem+json; the client throws it as one typed
// error, so callers switch on `code` (stable) instead of parsing messages.
import type { FieldProblem, Problem } from './types.ts';

/** A problem as it may arrive: what the contract promises, with room for an older or foreign server's leaner one. */
export type ProblemDocument = Pick<Problem, 'status' | 'code'> & Partial<Omit<Problem, 'status' | 'code'>>;

export class TrellisProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string | undefined;
  readonly type: string | undefined;
  readonly detail: string | undefined;
  readonly problems: FieldProblem[];
  /** Seconds, from Retry-After (429 and 503 answers). */
  readonly retryAfter: number | undefined;
  readonly document: ProblemDocument;

  constructor(document: ProblemDocument, retryAfter?: number) {
    super(`${document.status} ${document.code}: ${document.detail ?? document.title ?? 'request failed'}`);
    this.name = 'TrellisProblem';
    this.document = document;
    this.status = document.status;
    this.code = document.code;
    this.title = document.title;
    this.type = document.type;
    this.detail = document.detail;
    this.problems = document.problems ?? [];
    this.retryAfter = retryAfter;
  }
}

export function isTrellisProblem(error: unknown): error is TrellisProblem {
  return error instanceof TrellisProblem;
}

/** The problem an error answer carries; a body that is not problem+json (a proxy's 502) still becomes one, coded http_<status>. */
export async function problemFrom(response: Response): Promise<TrellisProblem> {
  const retryAfterHeader = response.headers.get('retry-after');
  const retryAfter = retryAfterHeader !== null && /^\d+$/.test(retryAfterHeader) ? Number(retryAfterHeader) : undefined;
  const text = await response.text().catch(() => '');
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (isProblemDocument(parsed)) return new TrellisProblem({ ...parsed, status: response.status }, retryAfter);
  return new TrellisProblem({ status: response.status, code: `http_${response.status}`, title: response.statusText, detail: text.slice(0, 500) || response.statusText }, retryAfter);
}

function isProblemDocument(value: unknown): value is ProblemDocument {
  return typeof value === 'object' && value !== null && typeof (value as { code?: unknown }).code === 'string';
}
