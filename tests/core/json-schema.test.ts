// @lane unit
// The JSON Schema subset structured outputs are validated with.
import { ApplicationFailure } from '@temporalio/common';
import { COMPILED_CACHE_SIZE, compiledSchemaStats, formatProblems, validateJsonSchema, type SchemaProblem } from '../../core/json-schema.ts';

const person = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1 },
    age: { type: 'integer', minimum: 0 },
    email: { anyOf: [{ type: 'string' }, { type: 'null' }] },
    role: { enum: ['admin', 'member'] },
    tags: { type: 'array', items: { type: 'string' }, maxItems: 2 },
    address: { $ref: '#/$defs/address' },
  },
  required: ['name', 'age'],
  additionalProperties: false,
  $defs: { address: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } },
};

describe('validateJsonSchema', () => {
  it('accepts a matching value', () => {
    expect(validateJsonSchema(person, { name: 'Ada', age: 36, email: null, role: 'admin', tags: ['x'], address: { city: 'London' } })).toEqual([]);
  });

  it('reports every problem of a small value with its path', () => {
    const problems = validateJsonSchema(person, { name: '', age: 1.5, email: 3, role: 'owner', tags: ['a', 2, 'c'], address: { town: 'x' }, extra: 1 });
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: '$.name', message: 'must have at least 1 characters' },
        { path: '$.age', message: 'expected integer, got number 1.5' },
        { path: '$.email', message: 'does not match any of the 2 allowed shapes (anyOf)' },
        { path: '$.role', message: 'must be one of "admin", "member", got "owner"' },
        { path: '$.tags', message: 'must have at most 2 items' },
        { path: '$.tags[1]', message: 'expected string, got number 2' },
        { path: '$.address.city', message: 'is required but missing' },
        { path: '$.address.town', message: 'is not allowed (additionalProperties is false)' },
        { path: '$.extra', message: 'is not allowed (additionalProperties is false)' },
      ]),
    );
    expect(problems).toHaveLength(9); // the anyOf's branches are summed up by it
  });

  it('reports each kind of problem with its path', () => {
    const valid = { name: 'Ada', age: 36 };
    const cases: [unknown, SchemaProblem][] = [
      [{ ...valid, name: '' }, { path: '$.name', message: 'must have at least 1 characters' }],
      [{ ...valid, age: 1.5 }, { path: '$.age', message: 'expected integer, got number 1.5' }],
      [{ ...valid, age: -1 }, { path: '$.age', message: 'must be ≥ 0' }],
      [{ ...valid, email: 3 }, { path: '$.email', message: 'does not match any of the 2 allowed shapes (anyOf)' }],
      [{ ...valid, role: 'owner' }, { path: '$.role', message: 'must be one of "admin", "member", got "owner"' }],
      [{ ...valid, tags: ['a', 'b', 'c'] }, { path: '$.tags', message: 'must have at most 2 items' }],
      [{ ...valid, tags: ['a', 2] }, { path: '$.tags[1]', message: 'expected string, got number 2' }],
      [{ ...valid, address: {} }, { path: '$.address.city', message: 'is required but missing' }],
      [{ ...valid, address: { city: 'x', town: 'x' } }, { path: '$.address.town', message: 'is not allowed (additionalProperties is false)' }],
      [{ ...valid, extra: 1 }, { path: '$.extra', message: 'is not allowed (additionalProperties is false)' }],
      [{ age: 3 }, { path: '$.name', message: 'is required but missing' }],
    ];
    for (const [value, problem] of cases) expect({ value, problems: validateJsonSchema(person, value) }).toEqual({ value, problems: [problem] });
  });

  it('checks types, including several and integer-as-number', () => {
    expect(validateJsonSchema({ type: 'number' }, 3)).toEqual([]);
    expect(validateJsonSchema({ type: ['string', 'null'] }, null)).toEqual([]);
    expect(validateJsonSchema({ type: 'object' }, [])).toEqual([{ path: '$', message: 'expected object, got an array' }]);
    expect(validateJsonSchema({ type: 'array', items: { type: 'boolean' } }, [true, 'no'])).toEqual([{ path: '$[1]', message: 'expected boolean, got string "no"' }]);
    expect(validateJsonSchema({ required: ['a b'] }, {})).toEqual([{ path: '$["a b"]', message: 'is required but missing' }]);
  });

  it('formats a short summary', () => {
    const problems = Array.from({ length: 7 }, (_, i) => ({ path: `$.p${i}`, message: 'bad' }));
    expect(formatProblems(problems)).toBe('$.p0: bad; $.p1: bad; $.p2: bad; $.p3: bad; $.p4: bad; … and 2 more');
  });
});

const schemaFailure = (schema: unknown, value: unknown = {}): ApplicationFailure => {
  try {
    validateJsonSchema(schema, value);
  } catch (error) {
    if (error instanceof ApplicationFailure) return error;
    throw error;
  }
  throw new Error('expected the schema to be refused');
};

describe('validateJsonSchema on hostile schemas and values', () => {
  it('refuses the recursive anyOf schema with a named error instead of running it', () => {
    const before = compiledSchemaStats().compiled;
    const schema = { anyOf: [{ type: 'string' }, { type: 'array', items: { $ref: '#' } }, { type: 'object', additionalProperties: { $ref: '#' } }] };
    const failure = schemaFailure(schema, JSON.parse(`${'['.repeat(30)}1${']'.repeat(30)}`));
    expect(failure).toMatchObject({ type: 'schema_limit', nonRetryable: true });
    expect(failure.message).toMatch(/^json schema at \/anyOf\/1\/items\/\$ref: \$ref "#" is recursive/);
    expect(compiledSchemaStats().compiled).toBe(before);
  });

  it('refuses a DAG of refs that would expand exponentially', () => {
    const $defs: Record<string, unknown> = { a22: { type: 'string' } };
    for (let i = 1; i < 22; i++) $defs[`a${i}`] = { anyOf: [{ $ref: `#/$defs/a${i + 1}` }, { $ref: `#/$defs/a${i + 1}` }] };
    const failure = schemaFailure({ $ref: '#/$defs/a1', $defs }, 'x');
    expect(failure.type).toBe('schema_limit');
    expect(failure.message).toMatch(/expanded size exceeds the limit of 4000 subschemas/);
  });

  it('names a schema ajv refuses', () => {
    expect(schemaFailure({ type: 'strin' })).toMatchObject({ type: 'schema_invalid', nonRetryable: true });
    expect(schemaFailure({ minLength: -1 }).message).toMatch(/^invalid json schema: /);
    expect(schemaFailure({ nullable: true })).toMatchObject({ type: 'schema_limit', message: 'json schema at /nullable: unsupported keyword "nullable"' });
  });

  it('validates a big value against a normal schema (a slow validator would hit the test time-out, not a timed assertion)', () => {
    const people = { type: 'array', items: { $ref: '#/$defs/person' }, $defs: { ...person.$defs, person } };
    // About 1.3 MB of JSON, more than an AI reply may hold (activities/ai-spend.ts).
    const value = Array.from({ length: 20_000 }, (_, i) => ({ name: `n${i}`, age: i, tags: ['a'], address: { city: 'c' } }));
    expect(validateJsonSchema(people, value)).toEqual([]);
    value[19_999]!.age = -1;
    value[19_998]!.age = -1;
    // Past a small value, only the first problem: listing all would cost in proportion to the work.
    expect(validateJsonSchema(people, value)).toEqual([{ path: '$[19998].age', message: 'must be ≥ 0' }]);
  });

  it('refuses, before running it, a validation whose work would explode (many branches times a long array)', () => {
    const branches = { type: 'array', items: { anyOf: [...Array.from({ length: 990 }, (_, i) => ({ const: `c${i}` })), { type: 'integer' }] } };
    const value = Array.from({ length: 100_000 }, (_, i) => i);
    const failure = schemaFailure(branches, value); // ajv itself would take about 40 s: the budget refuses first
    expect(failure).toMatchObject({ type: 'schema_limit', nonRetryable: true });
    expect(failure.message).toBe("json schema: validating this value exceeds the limit of 2000000 steps (the schema's branches times the value's size)");
    // The same schema over a short array is fine.
    expect(validateJsonSchema(branches, [1, 2, 'c5'])).toEqual([]);
  });

  it('runs patterns in linear time, with the JavaScript syntax people write', () => {
    expect(validateJsonSchema({ pattern: '^(a+)+$' }, `${'a'.repeat(50_000)}!`)).toEqual([{ path: '$', message: 'must match the pattern "^(a+)+$"' }]);
    expect(validateJsonSchema({ pattern: '^(?<year>\\d{4})-\\d{2}$' }, '2026-11')).toEqual([]);
    expect(validateJsonSchema({ patternProperties: { '^\\p{L}+$': { type: 'number' } } }, { été: 1, 'x-1': 'y' })).toEqual([]);
    expect(validateJsonSchema({ patternProperties: { '^\\p{L}+$': { type: 'number' } } }, { été: 'no' })).toEqual([{ path: '$["été"]', message: 'expected number, got string "no"' }]);
    // Two patterns compiled in one schema keep their own meaning.
    expect(validateJsonSchema({ properties: { a: { pattern: '^a$' }, b: { pattern: '^b$' } } }, { a: 'a', b: 'b' })).toEqual([]);
  });

  it('compiles every keyword the bounds allow, in both dialects', () => {
    const all = {
      type: 'object', title: 't', description: 'd', default: {}, examples: [{}], deprecated: false, readOnly: false, writeOnly: false, $comment: 'c',
      properties: { s: { type: 'string', format: 'email', minLength: 1, maxLength: 9, pattern: 'x', contentEncoding: 'base64', contentMediaType: 'text/plain' } },
      patternProperties: { '^n': { type: 'number', minimum: 0, maximum: 9, exclusiveMinimum: -1, exclusiveMaximum: 10, multipleOf: 1 } },
      additionalProperties: { type: 'array', items: { type: 'integer' }, minItems: 0, maxItems: 5, uniqueItems: true, contains: { const: 1 } },
      propertyNames: { maxLength: 20 }, required: [], minProperties: 0, maxProperties: 50, dependencies: { s: ['n'] },
      allOf: [{}], anyOf: [{}, true], oneOf: [{}], not: false, if: { required: ['s'] }, then: {}, else: {}, enum: [{}, 1], const: {},
      $defs: { x: { $ref: '#/definitions/y' } }, definitions: { y: { type: ['object', 'null'] } }, $ref: '#/$defs/x',
    };
    const v2020 = { ...all, prefixItems: [{}], contains: {}, unevaluatedProperties: true, unevaluatedItems: true, dependentSchemas: { s: {} }, dependentRequired: { s: [] }, minContains: 0, maxContains: 3 };
    const draft7 = { ...all, $schema: 'http://json-schema.org/draft-07/schema#', items: [{}], additionalItems: true };
    expect(validateJsonSchema(v2020, 1).length).toBeGreaterThan(0);
    expect(validateJsonSchema(draft7, 1).length).toBeGreaterThan(0);
    expect(validateJsonSchema(draft7, { s: 'x', n: 1 })).toContainEqual({ path: '$', message: 'must be {}' });
  });

  it('keeps a bounded number of compiled validators and reuses them', () => {
    const schemaOf = (i: number) => ({ type: 'object', properties: { [`p${i}`]: { type: 'integer' } } });
    validateJsonSchema(schemaOf(0), {});
    const before = compiledSchemaStats().compiled;
    validateJsonSchema(schemaOf(0), {});
    expect(compiledSchemaStats().compiled).toBe(before);
    for (let i = 1; i <= COMPILED_CACHE_SIZE + 10; i++) validateJsonSchema(schemaOf(i), { [`p${i}`]: 1 });
    expect(compiledSchemaStats()).toEqual({ cached: COMPILED_CACHE_SIZE, compiled: before + COMPILED_CACHE_SIZE + 10 });
  });
});
