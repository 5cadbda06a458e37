// What the designer's palette and side panel show about each node type, as plain JSON.
import { z } from 'zod';
import { configSchema } from './configs.ts';
import type { NodeKind } from './nodes/types.ts';
import { NODE_TYPES, nodeTypes, type NodeType } from './registry.ts';
import { Node } from './schema.ts';

export interface NodeTypeDescription {
  type: NodeType;
  label: string;
  description: string;
  /** What a node of this type does to its run (workflows/graph/nodes/types.ts). */
  kind: NodeKind;
  /** The config a new node of this type starts with (it validates). */
  defaults: Record<string, unknown>;
  /**
   * Output ports; null when they depend on the config (switch: one per case, then "default").
   * Every type also has an "error" port when the node's onError is "route".
   */
  ports: string[] | null;
  /** Config fields holding a bare JSONata expression (names, or dotted paths with `*` for every item). */
  expressionFields: string[];
  /** Config fields whose strings may hold "{{ }}" templates (searched recursively). */
  templateFields: string[];
  /** JSON Schema of the config as people write it (defaults not yet applied). */
  configSchema: Record<string, unknown>;
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** Every registered node type, in palette order (a fresh array each call). */
export function describeNodeTypes(): NodeTypeDescription[] {
  return NODE_TYPES.map((type) => {
    const definition = nodeTypes[type];
    const outputs = definition.outputs;
    return {
      type,
      label: definition.label,
      description: definition.description,
      kind: definition.kind,
      defaults: JSON.parse(JSON.stringify(definition.defaults)) as Record<string, unknown>,
      ports: typeof outputs === 'function' ? null : [...outputs],
      expressionFields: [...definition.expressionFields],
      templateFields: [...definition.templateFields],
      configSchema: jsonSchema(configSchema(type)),
    };
  });
}

/** JSON Schema of the fields every node has besides id, type and config: label, position, retry, timeout, onError. */
export function describeNodeBase(): Record<string, unknown> {
  return jsonSchema(Node.options[0].omit({ id: true, type: true, config: true }));
}
