// The JSON Schema subset structured outputs are validated with.
import { formatProblems, validateJsonSchema } from '../../activities/json-schema.ts';

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

  it('reports every problem with its path', () => {
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
