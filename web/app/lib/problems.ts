// problem+json answers of the API (shared by server and browser code) and how forms show them.
import type { z } from 'zod';
import { Problem as WireProblem } from '../../../contract/common.ts';

/** The contract's problem shape, leniently: a proxy or an older server may send less. */
export const Problem = WireProblem.partial();
export type Problem = z.infer<typeof Problem>;

/**
 * Field errors keyed by the first segment of each problem's path ("email", "graph.nodes[0]" →
 * "graph"); `form` holds the detail when no problem names a field.
 */
export function fieldErrors(problem: Problem | undefined): Record<string, string> {
  if (!problem) return {};
  const errors: Record<string, string> = {};
  for (const { path, message } of problem.problems ?? []) {
    const first = path.split(/[./[]/)[0];
    const field = !first || first.startsWith('(') ? 'form' : first;
    errors[field] ??= message;
  }
  if (Object.keys(errors).length === 0) errors.form = problem.detail ?? problem.title ?? 'Something went wrong';
  return errors;
}
