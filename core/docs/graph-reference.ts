// The graph language reference (docs/graph-reference.md), rendered from the node registry so it
// cannot drift: `npm run docs` writes it, tests/docs/graph-reference.test.ts fails when the
// committed file differs from what the registry renders.
import { z } from 'zod';
import { describeNodeBase, describeNodeTypes } from '../../workflows/graph/describe.ts';
import type { NodeKind } from '../../workflows/graph/nodes/types.ts';
import { Edge, GraphSettings } from '../../workflows/graph/schema.ts';

type Schema = Record<string, unknown>;

function typeOf(schema: Schema): string {
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as Schema[]).map(typeOf).join(' \\| ');
  if (schema.type === 'array') return `array of ${typeOf((schema.items as Schema | undefined) ?? {})}`;
  if (schema.type === 'object' && schema.additionalProperties && !schema.properties) return `map of ${typeOf(schema.additionalProperties as Schema)}`;
  if (typeof schema.type === 'string') return schema.type;
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  return 'any JSON';
}

function limitsOf(schema: Schema): string {
  const parts: string[] = [];
  for (const [key, label] of [['exclusiveMinimum', '>'], ['minimum', '≥'], ['maximum', '≤'], ['minLength', 'length ≥'], ['maxLength', 'length ≤'], ['minItems', 'items ≥'], ['maxItems', 'items ≤']] as const) {
    if (typeof schema[key] === 'number') parts.push(`${label} ${schema[key] as number}`);
  }
  if (typeof schema.pattern === 'string') parts.push(schema.pattern === '^\\d+(\\.\\d+)?(ms|s|m|h|d)$' ? 'a duration ("500ms", "30s", "5m", "2h", "1d")' : `pattern \`${schema.pattern}\``);
  return parts.join(', ');
}

const asSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Schema;

/** What each kind means for a run (workflows/graph/nodes/types.ts). */
const KIND_NOTES: Record<NodeKind, string> = {
  action: ' (calls an activity; its time-out and retries apply)',
  compute: ' (evaluated inside the run)',
  wait: ' (waits without a worker: not counted against the run\'s concurrency)',
  child: ' (runs sub-graphs or child runs)',
  output: ' (sets the run\'s result)',
};

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** One table row per property, nested objects flattened as `parent.child`. */
function fieldRows(schema: Schema, prefix = ''): string[] {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const rows: string[] = [];
  for (const [name, property] of Object.entries(properties)) {
    const path = `${prefix}${name}`;
    const notes = [property.description as string | undefined, limitsOf(property)].filter(Boolean).join('; ');
    const fallback = property.default === undefined ? '' : `\`${JSON.stringify(property.default)}\``;
    rows.push(`| \`${path}\` | ${typeOf(property)} | ${required.has(name) ? 'yes' : ''} | ${fallback} | ${cell(notes)} |`);
    if (property.type === 'object' && property.properties) rows.push(...fieldRows(property, `${path}.`));
    if (property.type === 'array' && (property.items as Schema | undefined)?.properties) rows.push(...fieldRows(property.items as Schema, `${path}[].`));
  }
  return rows;
}

function fieldTable(schema: Schema): string {
  const rows = fieldRows(schema);
  if (rows.length === 0) return '_No settings._';
  return ['| field | type | required | default | notes |', '|---|---|---|---|---|', ...rows].join('\n');
}

export function renderGraphReference(): string {
  const types = describeNodeTypes();
  const out: string[] = [
    '# Graph language reference',
    '',
    '<!-- Generated from the node registry (workflows/graph/registry.ts) by `npm run docs`; do not edit by hand. -->',
    '',
    'A workflow is a graph: `{ nodes: [{ id, type, config, … }], edges: [{ from, port?, to }], settings? }`.',
    'Expression fields hold a bare [JSONata](https://docs.jsonata.org) expression; template fields',
    'hold strings with `{{ expression }}` parts. Both see `input` (the run input), `steps.<id>.output`',
    '(outputs of nodes upstream), `run` (`{ id, startedAt }`) and, inside a map, `item`.',
    'docs/design.md explains how a graph runs; this page lists what each node type accepts.',
    '',
    '## Fields every node has',
    '',
    '`id` (unique in the graph), `type` (one of the types below) and `config` (the type\'s settings), plus:',
    '',
    fieldTable(describeNodeBase()),
    '',
    'Every node also has an `error` output port when its `onError` is `"route"`.',
    '',
    '## Edges',
    '',
    fieldTable(asSchema(Edge)),
    '',
    '## Graph settings',
    '',
    'Per-run limits a graph sets for itself (`settings`); over one, an AI node fails instead of calling the model.',
    '',
    fieldTable(asSchema(GraphSettings)),
    '',
    '## Node types',
    '',
    types.map((t) => `- [\`${t.type}\`](#${t.type}): ${t.label}`).join('\n'),
  ];
  for (const t of types) {
    out.push(
      '',
      `### ${t.type}`,
      '',
      `**${t.label}.** ${t.description}`,
      '',
      `- Kind: \`${t.kind}\`${KIND_NOTES[t.kind]}`,
      `- Output ports: ${t.ports ? t.ports.map((p) => `\`${p}\``).join(', ') : 'one per case (from the config), then `default`'}`,
      `- Expression fields: ${t.expressionFields.length ? t.expressionFields.map((f) => `\`${f}\``).join(', ') : 'none'}`,
      `- Template fields: ${t.templateFields.length ? t.templateFields.map((f) => `\`${f}\``).join(', ') : 'none'}`,
      '',
      fieldTable(t.configSchema),
    );
  }
  return `${out.join('\n')}\n`;
}
