// Output ports of each node type: pure and free of zod, so the workflow's scheduler can import it
// without building the graph schemas (docs/decisions/030-inline-compute.md). The registry's
// `outputs` are the reference; tests/workflows/graph/ports.test.ts keeps the two equal.
import type { NodeType } from './registry.ts';

const FIXED: Record<Exclude<NodeType, 'switch'>, readonly string[]> = {
  http: ['out'],
  ai: ['out'],
  transform: ['out'],
  condition: ['true', 'false'],
  merge: ['out'],
  delay: ['out'],
  approval: ['approved', 'rejected', 'timed_out'],
  map: ['out'],
  subworkflow: ['out'],
  output: [],
};

/** The output ports of a node of this type and (validated) config. */
export function nodeOutputPorts(type: NodeType, config: unknown): string[] {
  if (type === 'switch') return [...(config as { cases: { port: string }[] }).cases.map((c) => c.port), 'default'];
  return [...FIXED[type]];
}
