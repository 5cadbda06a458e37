// problem+json answers of the API (shared by server and browser code) and how forms show them.
import { z } from 'zod';

export const Problem = z.object({
  type: z.string().optional(),
  title: z.string().optional(),
  status: z.number().optional(),
  code: z.string().optional(),
  detail: z.string().optional(),
  problems: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
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
