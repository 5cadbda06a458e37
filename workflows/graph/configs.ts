// The zod side of the node registry: each type's config schema, built on first use from its
// definition's `config(z)` builder and kept (docs/decisions/038-node-type-as-one-unit.md).
import { z } from 'zod';
import { nodeTypes, type NodeType } from './registry.ts';

/** The config schema of a node type, by type. */
export type ConfigSchemaOf<T extends NodeType> = ReturnType<(typeof nodeTypes)[T]['config']>;

const built = new Map<NodeType, z.ZodType>();

/** The config schema of a node type (built once per process). */
export function configSchema<T extends NodeType>(type: T): ConfigSchemaOf<T> {
  let schema = built.get(type);
  if (!schema) {
    schema = (nodeTypes[type].config as (zod: typeof z) => z.ZodType)(z);
    built.set(type, schema);
  }
  return schema as ConfigSchemaOf<T>;
}
