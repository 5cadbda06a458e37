// @lane unit
// The bounded subset of JSON Schema users may write, and its place in graph validation.
import { JSON_SCHEMA_LIMITS, checkJsonSchemaBounds, jsonSchemaDialect, unsupportedRegexSyntax } from '../../../workflows/graph/json-schema-bounds.ts';
import { validate } from '../../../workflows/graph/validate.ts';

const limits = (schema: unknown) => checkJsonSchemaBounds(schema).map((p) => p.limit);

/** a1 = anyOf[a2, a2], a2 = anyOf[a3, a3] …: `levels` lines written down, 2^levels subschemas expanded. */
function refDag(levels: number): Record<string, unknown> {
  const $defs: Record<string, unknown> = { [`a${levels}`]: { type: 'string' } };
  for (let i = 1; i < levels; i++) $defs[`a${i}`] = { anyOf: [{ $ref: `#/$defs/a${i + 1}` }, { $ref: `#/$defs/a${i + 1}` }] };
  return { $ref: '#/$defs/a1', $defs };
}

function nested(levels: number): unknown {
  let schema: unknown = { type: 'string' };
  for (let i = 0; i < levels; i++) schema = { type: 'array', items: schema };
  return schema;
}

const aiGraph = (jsonSchema: unknown) => ({ nodes: [{ id: 'ask', type: 'ai', config: { prompt: 'hi', jsonSchema } }], edges: [] });

describe('checkJsonSchemaBounds', () => {
  it('accepts an ordinary structured-output schema', () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      title: 'Person',
      properties: {
        name: { type: 'string', minLength: 1, pattern: '^[A-Z][a-z]+$', description: 'first name' },
        email: { anyOf: [{ type: 'string', format: 'email' }, { type: 'null' }] },
        tags: { type: 'array', items: { type: 'string' }, uniqueItems: true, maxItems: 10 },
        home: { $ref: '#/$defs/address' },
        work: { $ref: '#/$defs/address' },
      },
      patternProperties: { '^x-': { type: 'string' } },
      required: ['name'],
      additionalProperties: false,
      $defs: { address: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
    };
    expect(checkJsonSchemaBounds(schema)).toEqual([]);
    expect(checkJsonSchemaBounds(true)).toEqual([]);
  });

  it('accepts draft-07 schemas with their own keywords, and tells the dialect', () => {
    const schema = { $schema: 'http://json-schema.org/draft-07/schema#', items: [{ type: 'string' }], additionalItems: false, definitions: { a: { type: 'string' } } };
    expect(checkJsonSchemaBounds(schema)).toEqual([]);
    expect(jsonSchemaDialect(schema)).toBe('draft-07');
    expect(jsonSchemaDialect({ type: 'string' })).toBe('2020-12');
    expect(limits({ items: [{ type: 'string' }] })).toEqual(['shape']); // a tuple in 2020-12 is prefixItems
  });

  it('refuses the recursive anyOf with $ref "#"', () => {
    const problems = checkJsonSchemaBounds({ anyOf: [{ type: 'string' }, { type: 'array', items: { $ref: '#' } }, { type: 'object', additionalProperties: { $ref: '#' } }] });
    expect(problems[0]).toEqual({
      path: ['anyOf', 1, 'items', '$ref'],
      limit: 'ref',
      message: 'json schema at /anyOf/1/items/$ref: $ref "#" is recursive (it refers to the whole schema)',
    });
    expect(problems).toHaveLength(2);
  });

  it('refuses recursion through $defs, direct or through other definitions', () => {
    const direct = checkJsonSchemaBounds({ $ref: '#/$defs/node', $defs: { node: { type: 'object', properties: { next: { $ref: '#/$defs/node' } } } } });
    expect(direct.map((p) => p.message)).toEqual(['json schema at /$defs/node/properties/next/$ref: $ref "#/$defs/node" is recursive (it refers to a schema that contains it)']);
    const indirect = { $defs: { a: { items: { $ref: '#/$defs/b' } }, b: { anyOf: [{ $ref: '#/$defs/a' }] } }, $ref: '#/$defs/a' };
    expect(limits(indirect)).toEqual(['ref']);
    expect(limits({ $defs: { a: { $ref: '#/$defs/a' } } })).toEqual(['ref']);
  });

  it('refuses a DAG of refs whose expansion blows up, and measures it in linear time', () => {
    const problems = checkJsonSchemaBounds(refDag(25)); // 2^25 subschemas expanded, depth 26
    expect(problems.map((p) => p.limit)).toEqual(['expanded']);
    expect(problems[0]?.message).toMatch(/^json schema at \/\$defs\/a\d+: expanded size exceeds the limit of 4000 subschemas \(\$refs inlined\)$/);
    // The same shape a few levels deep is fine: refs may be shared.
    expect(checkJsonSchemaBounds(refDag(8))).toEqual([]);
  });

  it('bounds depth, $refs followed', () => {
    expect(checkJsonSchemaBounds(nested(JSON_SCHEMA_LIMITS.depth - 1))).toEqual([]);
    const problems = checkJsonSchemaBounds(nested(JSON_SCHEMA_LIMITS.depth + 5));
    expect(problems.map((p) => p.limit)).toEqual(['depth']);
    expect(problems[0]?.message).toMatch(/: depth exceeds the limit of 32 \(subschemas nested, \$refs followed\)$/);
    // 20 levels written inline, 20 more behind a ref: only the expansion is too deep.
    const viaRef = { ...(nested(20) as object), $defs: { deep: nested(20) } } as Record<string, unknown>;
    let leaf = viaRef;
    while ((leaf.items as Record<string, unknown>).items) leaf = leaf.items as Record<string, unknown>;
    leaf.items = { $ref: '#/$defs/deep' };
    expect(limits(viaRef)).toEqual(['depth']);
    expect(limits(nested(20))).toEqual([]);
  });

  it('bounds size: values, bytes, subschemas, nesting', () => {
    expect(checkJsonSchemaBounds({ enum: Array.from({ length: JSON_SCHEMA_LIMITS.values + 1 }, (_, i) => i) })).toEqual([
      { path: [], limit: 'values', message: 'json schema: the number of values exceeds the limit of 10000' },
    ]);
    expect(checkJsonSchemaBounds({ description: 'é'.repeat(JSON_SCHEMA_LIMITS.bytes / 2) })).toEqual([
      { path: [], limit: 'bytes', message: 'json schema: the size exceeds the limit of 65536 bytes' },
    ]);
    expect(checkJsonSchemaBounds({ type: 'object', properties: Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`p${i}`, { type: 'integer' }])) })).toEqual([
      { path: [], limit: 'schemas', message: 'json schema: the number of subschemas exceeds the limit of 1000' },
    ]);
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = [deep];
    expect(limits({ const: deep })).toEqual(['value_depth']);
    const circular: Record<string, unknown> = { type: 'object' };
    circular.properties = { self: circular };
    expect(limits(circular)).toEqual(['shape']);
  });

  it('refuses remote and dynamic references and unknown keywords', () => {
    expect(limits({ $ref: 'https://example.com/schema.json' })).toEqual(['ref']);
    expect(limits({ $ref: '#/properties/a', properties: { a: {} } })).toEqual(['ref']);
    expect(limits({ $ref: '#/$defs/missing' })).toEqual(['ref']);
    expect(limits({ $dynamicRef: '#meta' })).toEqual(['ref']);
    expect(limits({ $id: 'https://example.com/x', type: 'string' })).toEqual(['keyword']);
    expect(checkJsonSchemaBounds({ properties: { a: { nullable: true } } })).toEqual([
      { path: ['properties', 'a', 'nullable'], limit: 'keyword', message: 'json schema at /properties/a/nullable: unsupported keyword "nullable"' },
    ]);
    expect(limits({ $schema: 'http://json-schema.org/draft-04/schema#' })).toEqual(['keyword']);
  });

  it('bounds patterns: length, syntax, and constructs a linear-time engine lacks', () => {
    expect(checkJsonSchemaBounds({ pattern: 'a'.repeat(JSON_SCHEMA_LIMITS.patternLength + 1) })[0]?.message).toBe(
      'json schema at /pattern: pattern of 513 characters exceeds the limit of 512',
    );
    expect(limits({ pattern: '(' })).toEqual(['pattern']);
    expect(limits({ patternProperties: { '(?<=a)b': {} } })).toEqual(['pattern']);
    expect(unsupportedRegexSyntax('(a)\\1')).toBe('a backreference');
    expect(unsupportedRegexSyntax('(?!x)')).toBe('a lookahead');
    expect(unsupportedRegexSyntax('[(?=]\\(?=x')).toBeUndefined(); // inside a class, or escaped
    // Catastrophic for a backtracking engine, harmless for a linear one: accepted.
    expect(checkJsonSchemaBounds({ pattern: '^(a+)+$' })).toEqual([]);
  });

  it('allows uniqueItems only where it stays cheap', () => {
    expect(limits({ type: 'array', items: { type: 'object' }, uniqueItems: true })).toEqual(['unique_items']);
    expect(limits({ type: 'array', items: { type: 'object' }, uniqueItems: true, maxItems: 100 })).toEqual([]);
    expect(limits({ type: 'array', items: { type: ['string', 'null'] }, uniqueItems: true })).toEqual([]);
  });

  it('never throws, whatever it is given', () => {
    const hostile = new Proxy({}, { ownKeys: () => { throw new Error('boom'); } });
    expect(limits(hostile)).toEqual(['shape']);
    expect(limits('object')).toEqual(['shape']);
  });
});

describe('graph validation of JSON schemas', () => {
  it('answers a problem at the schema path for a bad schema', () => {
    const problems = validate(aiGraph({ anyOf: [{ type: 'string' }, { items: { $ref: '#' } }] }));
    expect(problems).toEqual([{ path: 'nodes.0.config.jsonSchema.anyOf.1.items.$ref', message: 'json schema at /anyOf/1/items/$ref: $ref "#" is recursive (it refers to the whole schema)' }]);
    expect(validate(aiGraph(refDag(30)))).toEqual([expect.objectContaining({ path: expect.stringMatching(/^nodes\.0\.config\.jsonSchema\.\$defs\.a\d+$/) })]);
    expect(validate(aiGraph({ description: 'x'.repeat(70_000) }))).toEqual([
      { path: 'nodes.0.config.jsonSchema', message: 'json schema: the size exceeds the limit of 65536 bytes' },
    ]);
  });

  it('accepts a normal schema, and checks schemas inside map sub-graphs too', () => {
    expect(validate(aiGraph({ type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] }))).toEqual([]);
    const map = { nodes: [{ id: 'each', type: 'map', config: { items: 'input.list', graph: aiGraph({ $ref: '#' }) } }], edges: [] };
    expect(validate(map).map((p) => p.path)).toEqual(['nodes.0.config.graph.nodes.0.config.jsonSchema.$ref']);
  });
});
