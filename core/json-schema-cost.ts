// An upper bound on the work of validating one value against one schema, counted before ajv runs
// so a bounded schema cannot meet a big value and block the worker's event loop for seconds: an
// anyOf of many branches over a long array costs about 0.5 µs per branch tried per item in ajv
// (every failed branch allocates its error).
// Once per schema, `costPlan` maps each place in a value (a property, the items of an array …)
// to how many subschemas apply there, every branch assumed tried and every pattern property
// assumed to match. Per value, `validationSteps` walks the value through that plan: one Map
// look-up per value node, stopping at the budget.
// The schema must have passed checkJsonSchemaBounds: local non-recursive refs, so the plan is as
// deep as the schema (at most JSON_SCHEMA_LIMITS.depth) and no bigger than its expansion.

export const VALIDATION_STEPS = 2_000_000;
/** Subschemas a plan may gather in all (each named property repeats the pattern properties). */
export const PLAN_SCHEMAS = 100_000;

/** Thrown by costPlan when the plan itself would pass PLAN_SCHEMAS. */
export class CostPlanTooLarge extends Error {}

type Json = Record<string, unknown>;

export interface CostPlan {
  /** Subschemas applied to a value here. */
  schemas: number;
  /** Patterns run on a string here (cost: its length). */
  patterns: number;
  /** Patterns run on each property name of an object here. */
  keyPatterns: number;
  /** uniqueItems over items that are not all scalars (cost: pairs). */
  quadraticUnique: boolean;
  /** Linear uniqueItems (cost: items). */
  linearUnique: boolean;
  properties: Map<string, CostPlan>;
  /** For properties not named in `properties`. */
  other?: CostPlan;
  items?: CostPlan;
  propertyNames?: CostPlan;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const IN_PLACE_LISTS = ['allOf', 'anyOf', 'oneOf'] as const;
const IN_PLACE = ['not', 'if', 'then', 'else'] as const;
const SCALARS = new Set(['string', 'number', 'integer', 'boolean', 'null']);

/** The cost plan of a schema that passed checkJsonSchemaBounds; throws CostPlanTooLarge. */
export function costPlan(root: unknown): CostPlan {
  const resolve = (ref: string): unknown => {
    let node: unknown = root;
    for (const raw of ref.slice(2).split('/')) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      if (Array.isArray(node)) node = node[Number(key)];
      else if (isObject(node) && Object.hasOwn(node, key)) node = node[key];
      else return undefined;
    }
    return node;
  };
  // Every subschema applied in place (refs, branches), with repetition: each one is run.
  let gathered = 0;
  const closure = (start: unknown[]): Json[] => {
    const out: Json[] = [];
    const add = (node: unknown) => {
      if (!isObject(node)) return;
      if (++gathered > PLAN_SCHEMAS) throw new CostPlanTooLarge(`json schema: its validation plan exceeds the limit of ${PLAN_SCHEMAS} subschemas`);
      out.push(node);
      if (typeof node.$ref === 'string') add(resolve(node.$ref));
      for (const key of IN_PLACE_LISTS) if (Array.isArray(node[key])) for (const branch of node[key]) add(branch);
      for (const key of IN_PLACE) add(node[key]);
      for (const key of ['dependentSchemas', 'dependencies']) {
        const map = node[key];
        if (isObject(map)) for (const dependent of Object.values(map)) if (!Array.isArray(dependent)) add(dependent);
      }
    };
    start.forEach(add);
    return out;
  };
  const plan = (start: unknown[]): CostPlan | undefined => {
    const members = closure(start);
    if (members.length === 0) return undefined;
    const result: CostPlan = { schemas: members.length, patterns: 0, keyPatterns: 0, quadraticUnique: false, linearUnique: false, properties: new Map() };
    const named = new Map<string, unknown[]>();
    const everyProperty: unknown[] = [];
    const other: unknown[] = [];
    const items: unknown[] = [];
    const names: unknown[] = [];
    for (const m of members) {
      if (typeof m.pattern === 'string') result.patterns++;
      if (isObject(m.properties)) for (const [key, value] of Object.entries(m.properties)) named.set(key, [...(named.get(key) ?? []), value]);
      if (isObject(m.patternProperties)) {
        const patterns = Object.values(m.patternProperties);
        result.keyPatterns += patterns.length;
        everyProperty.push(...patterns);
      }
      if (m.unevaluatedProperties !== undefined) everyProperty.push(m.unevaluatedProperties);
      if (m.additionalProperties !== undefined) other.push(m.additionalProperties);
      if (m.propertyNames !== undefined) names.push(m.propertyNames);
      if (Array.isArray(m.items)) items.push(...m.items);
      else if (m.items !== undefined) items.push(m.items);
      if (Array.isArray(m.prefixItems)) items.push(...m.prefixItems);
      for (const key of ['additionalItems', 'contains', 'unevaluatedItems']) if (m[key] !== undefined) items.push(m[key]);
      if (m.uniqueItems === true) {
        const types = isObject(m.items) ? [m.items.type].flat() : [];
        if (types.length > 0 && types.every((t) => typeof t === 'string' && SCALARS.has(t))) result.linearUnique = true;
        else result.quadraticUnique = true;
      }
    }
    for (const [key, schemas] of named) {
      const child = plan([...schemas, ...everyProperty]);
      if (child) result.properties.set(key, child);
    }
    result.other = plan([...other, ...everyProperty]);
    result.items = plan(items);
    result.propertyNames = plan(names);
    return result;
  };
  return plan([root]) ?? { schemas: 0, patterns: 0, keyPatterns: 0, quadraticUnique: false, linearUnique: false, properties: new Map() };
}

/** Steps validating `value` through `plan` may take, or undefined when over `budget`. */
export function validationSteps(plan: CostPlan, value: unknown, budget = VALIDATION_STEPS): number | undefined {
  let steps = 0;
  // RE2 runs at about 80 ns a character, a step is worth about 0.5 µs: one step per 8 characters.
  const textSteps = (text: string, patterns: number) => (patterns === 0 ? 0 : patterns * Math.ceil(text.length / 8));
  const walk = (here: CostPlan, current: unknown): boolean => {
    steps += here.schemas;
    if (typeof current === 'string') steps += textSteps(current, here.patterns);
    else if (Array.isArray(current)) {
      if (here.quadraticUnique) steps += (current.length * current.length) / 2;
      else if (here.linearUnique) steps += current.length;
      if (steps > budget) return false;
      if (here.items) for (const item of current) if (!walk(here.items, item)) return false;
    } else if (isObject(current)) {
      for (const key in current) {
        if (!Object.hasOwn(current, key)) continue;
        steps += textSteps(key, here.keyPatterns);
        if (here.propertyNames && !walk(here.propertyNames, key)) return false;
        const child = here.properties.get(key) ?? here.other;
        if (child && !walk(child, current[key])) return false;
      }
    }
    return steps <= budget;
  };
  return walk(plan, value) ? steps : undefined;
}
