// The one registry of node types. Adding a type here is what makes it exist everywhere (schema,
// validation, designer palette and defaults, reference docs); the interpreter's executor table
// must cover it (docs/decisions/038-node-type-as-one-unit.md). Free of zod at run time, so the
// workflow's scheduler imports it (docs/decisions/030-inline-compute.md); the schemas are in configs.ts.
import { agent } from './nodes/agent.ts';
import { ai } from './nodes/ai.ts';
import { approval } from './nodes/approval.ts';
import { condition } from './nodes/condition.ts';
import { delay } from './nodes/delay.ts';
import { http } from './nodes/http.ts';
import { map } from './nodes/map.ts';
import { merge } from './nodes/merge.ts';
import { output } from './nodes/output.ts';
import { subworkflow } from './nodes/subworkflow.ts';
import { switchNode } from './nodes/switch.ts';
import { transform } from './nodes/transform.ts';
import type { NodeKind } from './nodes/types.ts';

export const nodeTypes = {
  http,
  ai,
  agent,
  transform,
  condition,
  switch: switchNode,
  merge,
  delay,
  approval,
  map,
  subworkflow,
  output,
} as const;

export type NodeType = keyof typeof nodeTypes;
export const NODE_TYPES = Object.keys(nodeTypes) as NodeType[];

/** Output ports of a node, given its (valid) config. */
export function outputPorts(type: NodeType, config: unknown): string[] {
  const outputs = nodeTypes[type].outputs;
  return typeof outputs === 'function' ? (outputs as (c: unknown) => string[])(config) : [...outputs];
}

/** What a node of this type does to its run (types.ts). */
export function kindOf(type: NodeType): NodeKind {
  return nodeTypes[type].kind;
}
