// The one registry of node types. Adding a type here is what makes it exist everywhere
// (schema, validation, designer palette); the interpreter's executor table must cover it.
import { output } from './nodes/output.ts';
import { transform } from './nodes/transform.ts';

export const nodeTypes = { transform, output } as const;

export type NodeType = keyof typeof nodeTypes;
export const NODE_TYPES = Object.keys(nodeTypes) as NodeType[];
