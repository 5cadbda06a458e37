// Durations at run time: pure and free of zod, so the workflow can import them without building
// the graph schemas (docs/decisions/030-inline-compute.md). nodes/common.ts re-exports them.

/** Milliseconds of a Duration (validated strings only). */
export function durationMs(duration: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(duration);
  if (!match) throw new Error(`invalid duration "${duration}"`);
  const factor = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * factor;
}

// Bounds a graph is saved with (validate.ts) and the interpreter keeps at run time. Not in the zod
// schemas: Graph.parse runs inside workflows, and a graph saved before the bounds must still parse.
/** The longest delay, approval wait or node timeout: far inside Temporal's range (~10,000 years). */
export const MAX_DURATION_MS = 365 * 86_400_000;
/** The longest wait between two attempts, whatever initialInterval × backoffCoefficient^n comes to. */
export const MAX_RETRY_INTERVAL_MS = 86_400_000;
