// A small JSON Schema validator for the subset structured outputs use: type (one or several),
// properties, required, additionalProperties (false or a schema), items, enum, const, anyOf,
// local $ref (#/$defs/…, #/definitions/…), minimum/maximum, minLength/maxLength,
// minItems/maxItems. Unknown keywords (description, format, title …) are ignored.
// Returns every problem as {path, message}, path in JSONPath style ($.items[2].name).

export interface SchemaProblem {
  path: string;
  message: string;
}

type Schema = Record<string, unknown>;

const MAX_PROBLEMS = 20;
const MAX_DEPTH = 64;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  if (type === 'number') return actual === 'number' || actual === 'integer';
  return actual === type;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Schema)[k], (b as Schema)[k]));
}

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function describe(value: unknown): string {
  const type = typeOf(value);
  if (type === 'object' || type === 'array') return `an ${type}`;
  if (type === 'null') return 'null';
  return `${type === 'integer' ? 'number' : type} ${JSON.stringify(value)?.slice(0, 40) ?? ''}`.trim();
}

function resolveRef(root: Schema, ref: string): Schema | undefined {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Schema)[key];
  }
  return typeof node === 'object' && node !== null ? (node as Schema) : undefined;
}

/** Validates `value` against `schema`; an empty list means it matches. */
export function validateJsonSchema(schema: unknown, value: unknown): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  if (typeof schema !== 'object' || schema === null) return problems;
  const root = schema as Schema;

  const visit = (node: Schema, current: unknown, path: string, depth: number, out: SchemaProblem[]): void => {
    if (out.length >= MAX_PROBLEMS) return;
    if (depth > MAX_DEPTH) {
      out.push({ path, message: 'schema is nested too deeply' });
      return;
    }
    if (typeof node.$ref === 'string') {
      const target = resolveRef(root, node.$ref);
      if (!target) {
        out.push({ path, message: `schema reference ${node.$ref} cannot be resolved` });
        return;
      }
      visit(target, current, path, depth + 1, out);
    }

    if (node.type !== undefined) {
      const types = (Array.isArray(node.type) ? node.type : [node.type]).map(String);
      if (!types.some((type) => matchesType(current, type))) {
        out.push({ path, message: `expected ${types.join(' or ')}, got ${describe(current)}` });
        return;
      }
    }
    if (Array.isArray(node.enum) && !node.enum.some((option) => deepEqual(option, current))) {
      out.push({ path, message: `must be one of ${node.enum.map((o) => JSON.stringify(o)).join(', ')}, got ${JSON.stringify(current)}` });
    }
    if ('const' in node && !deepEqual(node.const, current)) {
      out.push({ path, message: `must be ${JSON.stringify(node.const)}` });
    }
    if (Array.isArray(node.anyOf)) {
      const branches = node.anyOf.filter((b): b is Schema => typeof b === 'object' && b !== null);
      const matched = branches.some((branch) => {
        const trial: SchemaProblem[] = [];
        visit(branch, current, path, depth + 1, trial);
        return trial.length === 0;
      });
      if (!matched) out.push({ path, message: `does not match any of the ${branches.length} allowed shapes (anyOf)` });
    }

    if (typeof current === 'number') {
      if (typeof node.minimum === 'number' && current < node.minimum) out.push({ path, message: `must be ≥ ${node.minimum}` });
      if (typeof node.maximum === 'number' && current > node.maximum) out.push({ path, message: `must be ≤ ${node.maximum}` });
    }
    if (typeof current === 'string') {
      const length = [...current].length;
      if (typeof node.minLength === 'number' && length < node.minLength) out.push({ path, message: `must have at least ${node.minLength} characters` });
      if (typeof node.maxLength === 'number' && length > node.maxLength) out.push({ path, message: `must have at most ${node.maxLength} characters` });
    }
    if (Array.isArray(current)) {
      if (typeof node.minItems === 'number' && current.length < node.minItems) out.push({ path, message: `must have at least ${node.minItems} items` });
      if (typeof node.maxItems === 'number' && current.length > node.maxItems) out.push({ path, message: `must have at most ${node.maxItems} items` });
      if (typeof node.items === 'object' && node.items !== null && !Array.isArray(node.items)) {
        current.forEach((item, index) => visit(node.items as Schema, item, childPath(path, index), depth + 1, out));
      }
    }
    if (typeOf(current) === 'object') {
      const object = current as Record<string, unknown>;
      const properties = typeof node.properties === 'object' && node.properties !== null ? (node.properties as Record<string, unknown>) : {};
      if (Array.isArray(node.required)) {
        for (const name of node.required.map(String)) {
          if (!Object.hasOwn(object, name)) out.push({ path: childPath(path, name), message: 'is required but missing' });
        }
      }
      for (const [name, item] of Object.entries(object)) {
        const propertySchema = properties[name];
        if (typeof propertySchema === 'object' && propertySchema !== null) {
          visit(propertySchema as Schema, item, childPath(path, name), depth + 1, out);
        } else if (node.additionalProperties === false) {
          out.push({ path: childPath(path, name), message: 'is not allowed (additionalProperties is false)' });
        } else if (typeof node.additionalProperties === 'object' && node.additionalProperties !== null) {
          visit(node.additionalProperties as Schema, item, childPath(path, name), depth + 1, out);
        }
      }
    }
  };

  visit(root, value, '$', 0, problems);
  return problems.slice(0, MAX_PROBLEMS);
}

/** "$.name: expected string, got number 3; $.tags: is required but missing" */
export function formatProblems(problems: readonly SchemaProblem[], max = 5): string {
  const shown = problems.slice(0, max).map((p) => `${p.path}: ${p.message}`);
  if (problems.length > max) shown.push(`… and ${problems.length - max} more`);
  return shown.join('; ');
}
