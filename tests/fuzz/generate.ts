// Hostile inputs for the api fuzz suite, drawn from a seeded PRNG so a failure reproduces with
// the same FUZZ_SEED. Bodies are raw bytes (bad JSON and invalid UTF-8 included), so the server's
// parsers meet them exactly as a client could send them.

/** mulberry32: a small seeded PRNG. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { next, int, pick, chance: (p: number) => next() < p };
}
export type Random = ReturnType<typeof prng>;

export const MB = 1024 * 1024;

/** Strings no field expects: control characters, lone surrogates, bidi overrides, injections. */
export const HOSTILE_STRINGS: readonly string[] = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '\ud83d', '\u202eevil.exe\u202c', '\u200f\u05e9\u05dc\u05d5\u05dd',
  '\u200b\ufeff', 'e\u0301\u0301\u0301\u0301', '\uffff\ufffe', '🙂'.repeat(300), 'Ω'.repeat(5_000), '\r\n\r\nX-Injected: 1',
  '../../../etc/passwd', '%00', '%ZZ', '{{ constructor.constructor("return process")() }}', "' OR 1=1 --", '<script>alert(1)</script>',
  '__proto__', 'constructor', 'NaN', '-1', '1e309', '0x10', 'null', 'true', '[]', '{}', 'a'.repeat(70_000),
];

/** Values of the wrong JSON type for any field. */
export const WRONG_TYPES: readonly unknown[] = [null, 0, -1, 1.5, 1e308, -0, Number.MAX_SAFE_INTEGER + 2, true, false, [], [1, 'a'], {}, { a: 1 }, [[[]]]];

/** A JSON text nested `depth` levels deep (array or object), built as text: JSON.stringify would recurse. */
export function deepJson(kind: 'array' | 'object' | 'mixed', depth: number, leaf = '1'): string {
  if (kind === 'array') return '['.repeat(depth) + leaf + ']'.repeat(depth);
  if (kind === 'object') return '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
  return '[{"a":'.repeat(depth / 2) + leaf + '}]'.repeat(depth / 2);
}

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
  format?: string;
  minLength?: number;
  minimum?: number;
  default?: unknown;
}

/** A plausible value for a (request) JSON schema: the base that single-field mutations start from. */
export function sample(schema: JsonSchema | undefined, hints: Record<string, unknown> = {}, name = ''): unknown {
  if (!schema) return {};
  if (name in hints) return hints[name];
  if (schema.enum) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return sample(variants[0], hints, name);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object':
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, value]) => [key, sample(value, hints, key)]));
    case 'array':
      return [sample(schema.items, hints)];
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'string':
      if (schema.format === 'email' || /email/i.test(name)) return 'fuzz@example.test';
      if (schema.format === 'uri') return 'https://example.test/a.png';
      if (schema.format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
      return 'x'.repeat(Math.max(schema.minLength ?? 1, 12));
    default:
      return {};
  }
}

export interface BodyCase {
  label: string;
  body: Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

const json = (label: string, value: unknown): BodyCase => ({ label, body: Buffer.from(JSON.stringify(value)), contentType: 'application/json' });
const raw = (label: string, text: string | Buffer, contentType = 'application/json', headers?: Record<string, string>): BodyCase => ({
  label, body: Buffer.isBuffer(text) ? text : Buffer.from(text), contentType, ...(headers ? { headers } : {}),
});

/** Bodies for one route: whole-body shapes, bad JSON and content types, then mutations of each field of the schema. */
export function bodyCases(r: Random, schema: JsonSchema | undefined, hints: Record<string, unknown>, full: boolean): BodyCase[] {
  const base = sample(schema, hints);
  const cases: BodyCase[] = [
    json('null', null), json('array', [base]), json('string', 'text'), json('number', 42), json('true', true),
    raw('bad json', '{"a":'), raw('single quotes', "{'a':1}"), raw('trailing comma', '{"a":1,}'), raw('empty json', ''),
    raw('invalid utf-8', Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28, 0xed, 0xa0, 0x80, 0xff]), Buffer.from('"}')])),
    raw('utf-16 charset', Buffer.from(JSON.stringify(base), 'utf16le'), 'application/json; charset=utf-16'),
    raw('unknown charset', JSON.stringify(base), 'application/json; charset=klingon'),
    raw('text/plain', JSON.stringify(base), 'text/plain'), raw('form', 'a=1&b[c]=2', 'application/x-www-form-urlencoded'),
    raw('multipart', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--', 'multipart/form-data; boundary=x'),
    raw('no content type', JSON.stringify(base), ''),
    raw('gzip that is not', JSON.stringify(base), 'application/json', { 'Content-Encoding': 'gzip' }),
    raw('unknown encoding', JSON.stringify(base), 'application/json', { 'Content-Encoding': 'zstd-ish' }),
    raw('deep arrays 10k', deepJson('array', 10_000)), raw('deep objects 10k', deepJson('object', 10_000)),
    json('proto keys', JSON.parse('{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}')),
  ];
  if (full) {
    cases.push(raw('over 1 MB', `{"a":"${'x'.repeat(MB + 10)}"}`), raw('deep arrays 100k', deepJson('array', 100_000)), raw('deep mixed 100k', deepJson('mixed', 100_000)));
  }
  if (base && typeof base === 'object' && !Array.isArray(base)) {
    const record = base as Record<string, unknown>;
    const keys = Object.keys(record);
    for (const key of keys) {
      const without = { ...record };
      delete without[key];
      cases.push(json(`${key}: missing`, without));
      // A fixed core (so every field meets NUL, a lone surrogate and the wrong container) and a seeded draw of the rest.
      const wrong = full ? [null, r.pick([[], {}]), r.pick(WRONG_TYPES)] : [r.pick(WRONG_TYPES)];
      const strings = full ? ['a\u0000b', r.pick(['\ud800', '\u202eevil.exe\u202c']), r.pick(HOSTILE_STRINGS), r.pick(HOSTILE_STRINGS)] : [r.pick(HOSTILE_STRINGS)];
      for (const value of wrong) cases.push(json(`${key}: ${JSON.stringify(value)}`, { ...record, [key]: value }));
      for (const value of strings) cases.push(json(`${key}: string ${JSON.stringify(value.slice(0, 24))}`, { ...record, [key]: value }));
      if (full) cases.push(raw(`${key}: nested 10k`, JSON.stringify({ ...record, [key]: '@@' }).replace('"@@"', deepJson(r.chance(0.5) ? 'array' : 'object', 10_000))));
    }
    if (full && keys.length > 0) {
      const key = r.pick(keys);
      cases.push(json(`${key}: 900 KB string`, { ...record, [key]: 'y'.repeat(900 * 1024) }));
      cases.push(raw(`${key}: nested 300`, JSON.stringify({ ...record, [key]: '@@' }).replace('"@@"', deepJson('mixed', 300))));
    }
    cases.push(json('extra fields', { ...record, extra: 'x', ['k'.repeat(10_000)]: 1 }));
  }
  return cases;
}

/** Values for a path parameter: each replaces one parameter, the others stay valid. Already URL-encoded. */
export function pathValues(r: Random, full: boolean): string[] {
  // Bad percent-encoding, NUL and size always; a seeded draw of the others.
  const core = ['%ZZ', '%00', '%ED%A0%80', 'a'.repeat(8_000), '99999999999999999999999', '-1'];
  return full ? [...core, ...Array.from({ length: 4 }, () => r.pick(PATH_VALUES))] : [r.pick([...core, ...PATH_VALUES])];
}

const PATH_VALUES: readonly string[] = [
  '0', '-1', '99999999999999999999999', '1e309', 'NaN', 'null', 'undefined', '__proto__', 'constructor', '..', '%2e%2e', '.',
  '%00', 'a%00b', '%ZZ', '%', '%ED%A0%80', '%E2%80%AE', '%F0%9F%92%A9', '%C3%28', "'%20OR%201=1", '%2F', '%0d%0aX:1', 'a'.repeat(8_000),
  `${'%F0%9F%92%A9'.repeat(600)}`,
];

/** Query strings for a route: hostile values for each declared parameter, then shapes every route may meet. */
export function queryCases(r: Random, names: readonly string[]): string[] {
  const values = ['', '-1', '0', 'abc', '1e309', '1.5', '9007199254740993', '%ZZ', '%00', '%ED%A0%80', 'x'.repeat(8_000), 'true', '[]'];
  const cases: string[] = [];
  for (const name of names) {
    for (const value of ['%ZZ', '%00', '9007199254740993', ...Array.from({ length: 3 }, () => r.pick(values))]) cases.push(`${name}=${value}`);
    cases.push(r.pick([`${name}=1&${name}=2`, `${name}[]=1`, `${name}[a]=b`]));
  }
  cases.push('%ZZ=1', '__proto__=1&constructor=2', 'a[b][c][d]=1', `${'k'.repeat(4_000)}=1`, Array.from({ length: 1_000 }, (_, i) => `p${i}=${r.int(9)}`).join('&'));
  return cases;
}

/** Headers that could confuse authentication, CSRF, idempotency or body parsing. */
export function headerCases(): { label: string; headers: Record<string, string> }[] {
  return [
    { label: 'empty bearer', headers: { Authorization: 'Bearer ' } },
    { label: 'basic auth', headers: { Authorization: 'Basic Og==' } },
    { label: 'huge bearer', headers: { Authorization: `Bearer ${'a'.repeat(8_000)}` } },
    { label: 'latin1 bearer', headers: { Authorization: 'Bearer \u00ff\u00fe\u00e9' } },
    { label: 'bearer of an api-key shape', headers: { Authorization: 'Bearer trk_0000000000000000000000000000000000' } },
    { label: 'two schemes', headers: { Authorization: 'Bearer a, Bearer b' } },
    { label: 'cookie garbage', headers: { Cookie: 'trellis_session=%ZZ; a=\u00ff; ===; ;;' } },
    { label: 'huge cookie', headers: { Cookie: `trellis_session=${'c'.repeat(8_000)}` } },
    { label: 'origin null', headers: { Origin: 'null' } },
    { label: 'odd forwarded-for', headers: { 'X-Forwarded-For': 'not-an-ip, ::ffff:999.1.1.1, \u00ff' } },
    { label: 'idempotency key huge', headers: { 'Idempotency-Key': 'i'.repeat(8_000) } },
    { label: 'idempotency key odd', headers: { 'Idempotency-Key': '\u00ff\t ' } },
    { label: 'accept xml', headers: { Accept: 'application/xml' } },
    { label: 'accept event-stream', headers: { Accept: 'text/event-stream' } },
    { label: 'signature garbage', headers: { 'X-Trellis-Signature': 't=abc,v1=zz,v1=, t=1e400', 'X-Trellis-Delivery': 'd'.repeat(500) } },
  ];
}
