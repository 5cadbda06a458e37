// The bounded subset of JSON Schema users may write (an AI node's structured output today;
// approval forms and tool inputs later). Checked when a graph is saved and again before a schema
// is compiled at run time (core/json-schema.ts), so the cost of validating a value stays
// proportional to the value times a bounded schema:
// - size: serialized bytes, JSON values, and the size with every $ref inlined (a DAG of refs,
//   a1 = anyOf[a2, a2], a2 = anyOf[a3, a3] …, is small written down and huge expanded);
// - depth: subschemas nested, $refs followed;
// - $ref: local JSON pointers into $defs/definitions only, never recursive ($ref "#" included);
// - keywords: the ones the run-time validator knows, minus those that change how refs resolve
//   ($id, $anchor, $dynamicRef …); `uniqueItems` only where it is linear or the array is short;
// - patterns: bounded length, valid, without lookaround or backreferences: they run on a
//   linear-time engine (RE2), see docs/decisions/018-json-schema-bounds.md.
// Pure and total (no imports, never throws): it runs in the web app and the workflow sandbox too.

export const JSON_SCHEMA_LIMITS = {
  /** Serialized size (UTF-8). */
  bytes: 64 * 1024,
  /** JSON values in the schema (objects, arrays, strings, numbers …). */
  values: 10_000,
  /** JSON nesting of the schema document itself (enum and const values included). */
  valueDepth: 64,
  /** Subschemas nested inside each other, $refs followed. */
  depth: 32,
  /** Subschemas written (compiling costs about 0.2 ms each, on the worker's event loop). */
  schemas: 1_000,
  /** Subschemas with every $ref inlined (validating costs up to this much per value checked). */
  expanded: 4_000,
  /** Characters of one `pattern` or `patternProperties` key. */
  patternLength: 512,
  /** `uniqueItems` compares items pairwise unless they are scalars: the array must be this short. */
  uniqueItemsMaxItems: 1_000,
} as const;

/** Which limit or rule a problem is about: stable names for tests and the run-time error. */
export type JsonSchemaLimit =
  | 'bytes'
  | 'values'
  | 'value_depth'
  | 'depth'
  | 'schemas'
  | 'expanded'
  | 'pattern'
  | 'ref'
  | 'keyword'
  | 'unique_items'
  | 'shape';

export interface JsonSchemaBoundsProblem {
  /** Where in the schema, as property names and indexes (empty for the schema itself). */
  path: (string | number)[];
  limit: JsonSchemaLimit;
  /** Starts with "json schema"; names the limit and the value that broke it. */
  message: string;
}

export type JsonSchemaDialect = '2020-12' | 'draft-07';

const DIALECTS: Record<string, JsonSchemaDialect> = {
  'https://json-schema.org/draft/2020-12/schema': '2020-12',
  'https://json-schema.org/draft/2020-12/schema#': '2020-12',
  'http://json-schema.org/draft-07/schema': 'draft-07',
  'http://json-schema.org/draft-07/schema#': 'draft-07',
  'https://json-schema.org/draft-07/schema': 'draft-07',
  'https://json-schema.org/draft-07/schema#': 'draft-07',
};

/** The dialect a schema declares with `$schema`; 2020-12 when it declares none (or one we refuse). */
export function jsonSchemaDialect(schema: unknown): JsonSchemaDialect {
  if (isObject(schema) && typeof schema.$schema === 'string') return DIALECTS[schema.$schema] ?? '2020-12';
  return '2020-12';
}

// Keywords by what their value is. Anything else is refused: the run-time validator is strict,
// so an unknown keyword would fail there anyway, later and less clearly.
const SUBSCHEMA = new Set(['not', 'if', 'then', 'else', 'contains', 'additionalProperties', 'propertyNames', 'contentSchema']);
const SUBSCHEMA_2020 = new Set(['unevaluatedItems', 'unevaluatedProperties']);
const SUBSCHEMA_LIST = new Set(['allOf', 'anyOf', 'oneOf']);
const SUBSCHEMA_MAP = new Set(['properties', '$defs', 'definitions']);
const PLAIN = new Set([
  // validation
  'type', 'enum', 'const', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum',
  'maxLength', 'minLength', 'maxItems', 'minItems', 'maxProperties', 'minProperties', 'required',
  // annotations (format is not asserted at run time)
  'title', 'description', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly', '$comment',
  'format', 'contentEncoding', 'contentMediaType',
]);
const PLAIN_2020 = new Set(['maxContains', 'minContains', 'dependentRequired']);
const REFUSED: Record<string, [JsonSchemaLimit, string]> = {
  $id: ['keyword', 'it would change how $refs resolve'],
  $anchor: ['keyword', 'it would change how $refs resolve'],
  $dynamicRef: ['ref', 'dynamic references can recurse'],
  $dynamicAnchor: ['ref', 'dynamic references can recurse'],
  $recursiveRef: ['ref', 'recursive references are not allowed'],
  $recursiveAnchor: ['ref', 'recursive references are not allowed'],
  $vocabulary: ['keyword', 'custom vocabularies are not supported'],
};
const SCALAR_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);
const REF = /^#\/(\$defs|definitions)\/./;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** "/properties/name" for messages (a JSON pointer, as in $ref). */
function pointer(path: readonly (string | number)[]): string {
  return path.map((part) => `/${String(part).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

function where(path: readonly (string | number)[]): string {
  if (path.length === 0) return 'json schema';
  const at = pointer(path);
  return `json schema at ${at.length > 120 ? `…${at.slice(-120)}` : at}`;
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Every way `schema` leaves the bounded subset; an empty list means it may be compiled and run.
 * Size limits are checked first and stop the check (nothing past them is walked).
 */
export function checkJsonSchemaBounds(schema: unknown): JsonSchemaBoundsProblem[] {
  try {
    const sizeProblem = checkSize(schema);
    if (sizeProblem) return [sizeProblem];
    return checkSchema(schema);
  } catch (error) {
    // Only hostile in-process values get here (throwing getters, proxies): JSON never does.
    return [{ path: [], limit: 'shape', message: `json schema could not be checked: ${error instanceof Error ? error.message : String(error)}` }];
  }
}

/** "json schema: depth 40 exceeds the limit of 32 …; json schema at /x: …" */
export function formatJsonSchemaBoundsProblems(problems: readonly JsonSchemaBoundsProblem[], max = 3): string {
  const shown = problems.slice(0, max).map((p) => p.message);
  if (problems.length > max) shown.push(`… and ${problems.length - max} more`);
  return shown.join('; ');
}

// --- the document: bytes, values, nesting -----------------------------------------------------

function checkSize(schema: unknown): JsonSchemaBoundsProblem | undefined {
  const L = JSON_SCHEMA_LIMITS;
  let values = 0;
  let bytes = 0;
  const path: (string | number)[] = [];
  const inside = new Set<object>();
  let problem: JsonSchemaBoundsProblem | undefined;
  const fail = (limit: JsonSchemaLimit, message: string) => {
    // Sizes belong to the whole schema, not to the value where counting went over.
    problem = { path: limit === 'values' || limit === 'bytes' ? [] : [...path], limit, message };
    return false;
  };
  const walk = (value: unknown): boolean => {
    if (++values > L.values) return fail('values', `json schema: the number of values exceeds the limit of ${L.values}`);
    if (typeof value === 'string') bytes += utf8Length(value) + 2;
    else if (typeof value === 'number') bytes += String(value).length;
    else if (typeof value === 'boolean') bytes += value ? 4 : 5;
    else if (value === null) bytes += 4;
    else if (typeof value !== 'object') return fail('shape', `${where(path)}: a ${typeof value} is not JSON`);
    if (bytes > L.bytes) return fail('bytes', `json schema: the size exceeds the limit of ${L.bytes} bytes`);
    if (typeof value !== 'object' || value === null) return true;
    if (path.length >= L.valueDepth) {
      return fail('value_depth', `${where(path)}: nesting exceeds the limit of ${L.valueDepth} levels`);
    }
    if (inside.has(value)) return fail('shape', `${where(path)}: circular reference (this value contains itself)`);
    inside.add(value);
    bytes += 2;
    let ok = true;
    if (Array.isArray(value)) {
      for (let i = 0; ok && i < value.length; i++) {
        bytes += 1;
        path.push(i);
        ok = walk(value[i]);
        path.pop();
      }
    } else {
      for (const key of Object.keys(value)) {
        bytes += utf8Length(key) + 4;
        path.push(key);
        ok = walk((value as Json)[key]);
        path.pop();
        if (!ok) break;
      }
    }
    inside.delete(value);
    return ok;
  };
  walk(schema);
  return problem;
}

// --- the schema: keywords, refs, expanded size and depth --------------------------------------

interface Measure {
  /** Subschemas with refs inlined, capped just past the limit. */
  size: number;
  /** Subschema levels from this one down, refs followed. */
  depth: number;
}

function checkSchema(root: unknown): JsonSchemaBoundsProblem[] {
  const L = JSON_SCHEMA_LIMITS;
  const problems: JsonSchemaBoundsProblem[] = [];
  const report = (path: (string | number)[], limit: JsonSchemaLimit, message: string) => problems.push({ path: [...path], limit, message });

  if (typeof root === 'boolean') return problems;
  if (!isObject(root)) return [{ path: [], limit: 'shape', message: 'json schema: must be an object' }];
  let dialect: JsonSchemaDialect = '2020-12';
  if (root.$schema !== undefined) {
    const declared = typeof root.$schema === 'string' ? DIALECTS[root.$schema] : undefined;
    if (declared) dialect = declared;
    else report(['$schema'], 'keyword', `json schema at /$schema: unsupported dialect ${JSON.stringify(root.$schema)} (use draft 2020-12 or draft-07)`);
  }

  const memo = new Map<object, Measure>();
  /** Schemas being measured (an ancestor through refs): meeting one again is recursion. */
  const active = new Set<object>();
  let overDepth = false;
  let overSize = false;
  let schemas = 0;
  const cap = (n: number) => Math.min(n, L.expanded + 1);

  const resolve = (ref: string): unknown => {
    let node: unknown = root;
    for (const raw of ref.slice(2).split('/')) {
      let key: string;
      try {
        key = decodeURIComponent(raw);
      } catch {
        return undefined;
      }
      key = key.replace(/~1/g, '/').replace(/~0/g, '~');
      if (Array.isArray(node) && /^(0|[1-9]\d*)$/.test(key)) node = node[Number(key)];
      else if (isObject(node) && Object.hasOwn(node, key)) node = node[key];
      else return undefined;
    }
    return node;
  };

  /** Measures the subschema at `path`, `level` subschemas below the root (1 for the root). */
  const measure = (node: unknown, path: (string | number)[], level: number): Measure => {
    const result = measureOnce(node, path, level);
    // Depth is memoized as "levels from here down": used `level` deep, it reaches level + depth - 1.
    if (level + result.depth - 1 > L.depth && !overDepth) {
      overDepth = true;
      report(path, 'depth', `${where(path)}: depth ${level + result.depth - 1} exceeds the limit of ${L.depth} (subschemas nested, $refs followed)`);
    }
    return result;
  };
  const measureOnce = (node: unknown, path: (string | number)[], level: number): Measure => {
    if (schemas > L.schemas) return { size: 1, depth: 1 }; // reported once; not walked further
    if (typeof node === 'boolean') {
      schemas++;
      return { size: 1, depth: 1 };
    }
    if (!isObject(node)) {
      report(path, 'shape', `${where(path)}: a schema must be an object or a boolean`);
      return { size: 1, depth: 1 };
    }
    const known = memo.get(node);
    if (known) return known;
    if (++schemas > L.schemas) {
      problems.push({ path: [], limit: 'schemas', message: `json schema: the number of subschemas exceeds the limit of ${L.schemas}` });
      return { size: 1, depth: 1 };
    }
    if (level > L.depth) {
      // Deeper than allowed already: stop here so neither this walk nor the stack grows further.
      if (!overDepth) report(path, 'depth', `${where(path)}: depth exceeds the limit of ${L.depth} (subschemas nested, $refs followed)`);
      overDepth = true;
      return { size: 1, depth: L.depth + 1 };
    }
    active.add(node);
    let size = 1;
    let below = 0;
    const child = (value: unknown, ...keys: (string | number)[]) => {
      keys.forEach((k) => path.push(k));
      const m = measure(value, path, level + 1);
      keys.forEach(() => path.pop());
      size = cap(size + m.size);
      below = Math.max(below, m.depth);
    };
    for (const [key, value] of Object.entries(node)) {
      path.push(key);
      if (key === '$schema') {
        if (level > 1) report(path, 'keyword', `${where(path)}: $schema is only allowed at the top of the schema`);
      } else if (key === '$ref') {
        checkRef(value, path);
      } else if (Object.hasOwn(REFUSED, key)) {
        const [limit, why] = REFUSED[key] as [JsonSchemaLimit, string];
        report(path, limit, `${where(path)}: ${key} is not supported (${why})`);
      } else if (SUBSCHEMA.has(key) || (dialect === '2020-12' && SUBSCHEMA_2020.has(key)) || (dialect === 'draft-07' && key === 'additionalItems')) {
        child(value);
      } else if (SUBSCHEMA_LIST.has(key) || (dialect === '2020-12' && key === 'prefixItems')) {
        if (Array.isArray(value) && value.length > 0) value.forEach((item, i) => child(item, i));
        else report(path, 'shape', `${where(path)}: ${key} must be a non-empty array of schemas`);
      } else if (key === 'items') {
        if (Array.isArray(value) && dialect === 'draft-07') value.forEach((item, i) => child(item, i));
        else if (Array.isArray(value)) report(path, 'shape', `${where(path)}: items must be a schema (for a tuple, use prefixItems)`);
        else child(value);
      } else if (SUBSCHEMA_MAP.has(key) || (dialect === '2020-12' && key === 'dependentSchemas')) {
        if (isObject(value)) for (const [name, item] of Object.entries(value)) child(item, name);
        else report(path, 'shape', `${where(path)}: ${key} must be an object of schemas`);
      } else if (key === 'patternProperties') {
        if (isObject(value)) {
          for (const [pattern, item] of Object.entries(value)) {
            path.push(pattern);
            checkPattern(pattern, path);
            path.pop();
            child(item, pattern);
          }
        } else report(path, 'shape', `${where(path)}: patternProperties must be an object of schemas`);
      } else if (key === 'dependencies') {
        if (isObject(value)) {
          for (const [name, item] of Object.entries(value)) if (!Array.isArray(item)) child(item, name);
        } else report(path, 'shape', `${where(path)}: dependencies must be an object`);
      } else if (key === 'pattern') {
        if (typeof value === 'string') checkPattern(value, path);
        else report(path, 'shape', `${where(path)}: pattern must be a string`);
      } else if (key === 'uniqueItems') {
        checkUniqueItems(node, path);
      } else if (!PLAIN.has(key) && !(dialect === '2020-12' && PLAIN_2020.has(key))) {
        report(path, 'keyword', `${where(path)}: unsupported keyword "${key}"${dialect === 'draft-07' ? ' (in draft-07)' : ''}`);
      }
      path.pop();
    }
    checkIgnored(node, path);
    // A $ref applies its target to the same value, in place: it adds size, not a level.
    let depth = below + 1;
    if (typeof node.$ref === 'string' && REF.test(node.$ref)) {
      const target = resolve(node.$ref);
      if (isObject(target) && active.has(target)) {
        path.push('$ref');
        report(path, 'ref', `${where(path)}: $ref ${JSON.stringify(node.$ref)} is recursive (it refers to a schema that contains it)`);
        path.pop();
      } else if (isObject(target) || typeof target === 'boolean') {
        const m = measure(target, [...pointerPath(node.$ref)], level);
        size = cap(size + m.size);
        depth = Math.max(depth, m.depth);
      }
    }
    active.delete(node);
    const result = { size, depth };
    if (size > L.expanded && !overSize) {
      overSize = true;
      report(path, 'expanded', `${where(path)}: expanded size exceeds the limit of ${L.expanded} subschemas ($refs inlined)`);
    }
    memo.set(node, result);
    return result;
  };

  const pointerPath = (ref: string): string[] =>
    ref
      .slice(2)
      .split('/')
      .map((raw) => {
        try {
          return decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
        } catch {
          return raw;
        }
      });

  const checkRef = (value: unknown, path: (string | number)[]) => {
    if (typeof value !== 'string') {
      report(path, 'ref', `${where(path)}: $ref must be a string`);
    } else if (value === '#' || value === '#/') {
      report(path, 'ref', `${where(path)}: $ref "#" is recursive (it refers to the whole schema)`);
    } else if (!REF.test(value)) {
      report(path, 'ref', `${where(path)}: $ref ${JSON.stringify(value.slice(0, 100))} is not allowed (only local references into #/$defs/… or #/definitions/…)`);
    } else {
      const target = resolve(value);
      if (!isObject(target) && typeof target !== 'boolean') report(path, 'ref', `${where(path)}: $ref ${JSON.stringify(value.slice(0, 100))} cannot be resolved`);
    }
  };

  const checkPattern = (pattern: string, path: (string | number)[]) => {
    if (pattern.length > L.patternLength) {
      report(path, 'pattern', `${where(path)}: pattern of ${pattern.length} characters exceeds the limit of ${L.patternLength}`);
      return;
    }
    try {
      new RegExp(pattern, 'u');
    } catch (error) {
      report(path, 'pattern', `${where(path)}: invalid pattern: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const unsupported = unsupportedRegexSyntax(pattern);
    if (unsupported) report(path, 'pattern', `${where(path)}: pattern uses ${unsupported}, which is not supported (patterns run on a linear-time engine)`);
  };

  // Keywords the validator would ignore where they stand: its strict mode refuses them, so
  // they are refused here first, when the user can still fix them.
  const checkIgnored = (node: Json, path: (string | number)[]) => {
    const ignored = (key: string, why: string) => {
      path.push(key);
      report(path, 'keyword', `${where(path)}: ${key} ${why}`);
      path.pop();
    };
    if (node.if === undefined) for (const key of ['then', 'else']) if (node[key] !== undefined) ignored(key, 'without "if" is ignored');
    if (node.if !== undefined && node.then === undefined && node.else === undefined) ignored('if', 'without "then" or "else" is ignored');
    for (const key of ['minContains', 'maxContains']) if (node[key] !== undefined && node.contains === undefined) ignored(key, 'without "contains" is ignored');
    if (node.additionalItems !== undefined && !Array.isArray(node.items)) ignored('additionalItems', 'is ignored unless "items" is an array of schemas');
  };

  const checkUniqueItems = (node: Json, path: (string | number)[]) => {
    if (node.uniqueItems !== true) return;
    const items = node.items;
    const types = isObject(items) ? (Array.isArray(items.type) ? items.type : [items.type]) : [];
    const scalar = types.length > 0 && types.every((t) => typeof t === 'string' && SCALAR_TYPES.has(t));
    const short = typeof node.maxItems === 'number' && node.maxItems <= L.uniqueItemsMaxItems;
    if (!scalar && !short) {
      report(
        path,
        'unique_items',
        `${where(path)}: uniqueItems needs items of a scalar type or maxItems of at most ${L.uniqueItemsMaxItems} (comparing every pair of a long array is too slow)`,
      );
    }
  };

  measure(root, [], 1);
  return problems;
}

/**
 * The first construct RE2 does not have (lookaround, backreferences), named for a message; a
 * scan of the pattern outside character classes, escapes honoured.
 */
export function unsupportedRegexSyntax(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass && /[1-9]/.test(next)) return 'a backreference';
      if (!inClass && next === 'k' && pattern[i + 2] === '<') return 'a named backreference';
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
    } else if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2, i + 4);
      if (rest.startsWith('=') || rest.startsWith('!')) return 'a lookahead';
      if (rest === '<=' || rest === '<!') return 'a lookbehind';
    }
  }
  return undefined;
}
