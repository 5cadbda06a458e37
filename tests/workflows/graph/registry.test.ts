// @lane unit
// A node type is one unit (docs/decisions/038-node-type-as-one-unit.md): every registered type
// has every part, and the workflow's import graph stays free of zod (ADR 030).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { configSchema } from '../../../workflows/graph/configs.ts';
import { describeNodeTypes } from '../../../workflows/graph/describe.ts';
import type { NodeKind } from '../../../workflows/graph/nodes/types.ts';
import { NODE_TYPES, nodeTypes, outputPorts } from '../../../workflows/graph/registry.ts';
import { parseGraph, validate } from '../../../workflows/graph/validate.ts';
import { executors } from '../../../workflows/interpreter/executors/index.ts';

const KINDS: NodeKind[] = ['action', 'compute', 'wait', 'child', 'output'];
const ROOT = new URL('../../../', import.meta.url).pathname;

/** The schema a dotted field path (`*` = every item) reaches inside a config schema, or undefined. */
function schemaAt(schema: z.ZodType, path: string): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (const part of path.split('.')) {
    current = current && unwrap(current);
    if (!current) return undefined;
    const def = current._zod.def as unknown as Record<string, unknown> & { type: string };
    if (def.type === 'unknown' || def.type === 'any') return current; // free-form value: any path may be there
    if (part === '*') current = def.type === 'array' ? (def.element as z.ZodType) : def.type === 'record' ? (def.valueType as z.ZodType) : undefined;
    else current = def.type === 'object' ? (def.shape as Record<string, z.ZodType>)[part] : undefined;
  }
  return current;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = current._zod.def as unknown as Record<string, unknown> & { type: string };
    if (['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional'].includes(def.type)) current = def.innerType as z.ZodType;
    else if (def.type === 'pipe') current = def.in as z.ZodType;
    else return current;
  }
}

describe('every registered node type is complete', () => {
  const reference = readFileSync(resolve(ROOT, 'docs/graph-reference.md'), 'utf8');
  const described = describeNodeTypes();

  it.each(NODE_TYPES)('%s', (type) => {
    const d = nodeTypes[type];
    expect(d.type).toBe(type);
    expect(d.label.length).toBeGreaterThan(1);
    expect(d.description.length).toBeGreaterThan(10);
    expect(KINDS).toContain(d.kind);
    if (d.kind === 'action') expect(d.timeouts?.timeout).toEqual(expect.any(String));

    const schema = configSchema(type);
    expect(schema).toBeInstanceOf(z.ZodType);
    expect(configSchema(type)).toBe(schema); // built once

    // The designer's defaults validate as a one-node graph, and give the type's ports.
    expect(validate({ nodes: [{ id: 'n', type, config: d.defaults }] })).toEqual([]);
    const parsed = parseGraph({ nodes: [{ id: 'n', type, config: d.defaults }] });
    if (!('graph' in parsed)) throw new Error('defaults do not parse');
    const ports = outputPorts(type, parsed.graph.nodes[0]?.config);
    expect(Array.isArray(ports) && ports.every((p) => typeof p === 'string')).toBe(true);
    expect(typeof d.outputs === 'function' || d.kind === 'output' || ports.length > 0).toBe(true);

    // Every field the definition names exists in its config schema.
    const fields = [
      ...d.expressionFields,
      ...d.templateFields,
      ...(d.durationFields ?? []).map((f) => f.field),
      ...(d.jsonSchemaFields ?? []),
      ...(d.subgraphField === undefined ? [] : [d.subgraphField]),
    ];
    for (const field of fields) expect([field, schemaAt(schema, field) !== undefined]).toEqual([field, true]);

    expect({ executor: typeof executors[type], referenceSection: reference.includes(`\n### ${type}\n`) }).toEqual({ executor: 'function', referenceSection: true });
    expect(described.find((x) => x.type === type)).toMatchObject({ kind: d.kind, defaults: d.defaults });
  });

  it('has an executor for no type that is not registered', () => {
    expect(Object.keys(executors).sort()).toEqual([...NODE_TYPES].sort());
  });

  it('finds a missing field (the check above can fail)', () => {
    expect(schemaAt(configSchema('switch'), 'cases.*.expression')).toBeDefined();
    expect(schemaAt(configSchema('switch'), 'cases.*.nope')).toBeUndefined();
    expect(schemaAt(configSchema('http'), 'headers.*')).toBeDefined();
  });
});

describe('the workflow import graph', () => {
  /** Modules the workflow bundle evaluates for every run: value imports only, no dynamic import(). */
  function valueImports(file: string, seen = new Set<string>(), packages = new Set<string>()): { files: Set<string>; packages: Set<string> } {
    if (seen.has(file)) return { files: seen, packages };
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?'([^']+)';/gms)) {
      const [, typeOnly, specifier] = m as unknown as [string, string | undefined, string];
      if (typeOnly) continue;
      if (specifier.startsWith('.')) valueImports(resolve(dirname(file), specifier), seen, packages);
      else packages.add(specifier);
    }
    return { files: seen, packages };
  }

  it('reaches the registry and every node definition, and never zod', () => {
    const { files, packages } = valueImports(resolve(ROOT, 'workflows/index.ts'));
    expect(files).toContain(resolve(ROOT, 'workflows/graph/registry.ts'));
    expect(files).toContain(resolve(ROOT, 'workflows/graph/nodes/switch.ts'));
    expect(files).not.toContain(resolve(ROOT, 'workflows/graph/schema.ts')); // loaded with import() by runs that parse graphs
    expect([...packages].filter((p) => p === 'zod' || p.startsWith('zod/'))).toEqual([]);
  });
});
