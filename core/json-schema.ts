// Validating a value (an AI node's structured output) against a JSON Schema its user wrote, with
// ajv, bounded: the schema must pass the save-time bounds again before it is compiled (a graph
// saved before they existed must not get through), patterns run on RE2 (linear time, no ReDoS),
// and compiled validators are kept in a small LRU keyed by a hash of the schema, each with its
// own ajv instance, so a team cannot fill the worker's memory with generated functions.
// See docs/decisions/018-json-schema-bounds.md. In core/: the api checks tool arguments with the
// same validator the ai and agent activities use (core/ never imports activities/, ADR 042).
// Problems come back as {path, message}, path in JSONPath style ($.items[2].name).
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { RE2JS } from 're2js';
import { costPlan, CostPlanTooLarge, VALIDATION_STEPS, validationSteps, type CostPlan } from './json-schema-cost.ts';
import { checkJsonSchemaBounds, formatJsonSchemaBoundsProblems, jsonSchemaDialect, type JsonSchemaDialect } from '../workflows/graph/json-schema-bounds.ts';

export interface SchemaProblem {
  path: string;
  message: string;
}

/** Failure types of a schema that cannot be run; stable names the run view shows. */
export const SchemaFailureType = {
  /** Outside the bounded subset (workflows/graph/json-schema-bounds.ts): depth, size, refs, patterns. */
  SchemaLimit: 'schema_limit',
  /** Not a valid schema (ajv refused to compile it). */
  SchemaInvalid: 'schema_invalid',
} as const;

const MAX_PROBLEMS = 20;
/** Compiled validators kept; past this the least recently used is dropped with its ajv instance. */
export const COMPILED_CACHE_SIZE = 256;

/** ajv's RegExp engine option: RE2 (pure JS), so no pattern can backtrack. */
const re2Engine = Object.assign(
  (pattern: string) => {
    const compiled = RE2JS.compile(RE2JS.translateRegExp(pattern));
    // ajv shares compiled patterns by their toString: it must be the pattern's own.
    return { test: (text: string) => compiled.test(text), toString: () => `re2:${pattern}` };
  },
  { code: 're2' },
);

const OPTIONS: Options = {
  // Strict about the schema (unknown keywords, ignored ones), lenient about style: `required`
  // names without `properties`, applicators without `type` are ordinary JSON Schema.
  strictSchema: true,
  strictNumbers: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  allowMatchingProperties: true, // a property also matched by a patternProperties key is fine
  // Stop at the first problem: listing all of them costs memory in proportion to the work (an
  // error per branch tried); the all-errors variant runs only where the work is small.
  allErrors: false,
  verbose: true, // errors carry the data and the schema: clearer messages
  $data: false,
  ownProperties: true,
  validateFormats: false, // `format` is an annotation (2020-12's default), as before
  addUsedSchema: false,
  validateSchema: false, // done once per schema by a shared instance (metaValidator)
  logger: false, // ajv logs the whole generated code of a schema it fails to compile
  // Compile time matters more than a few per cent of run time: unoptimized code compiles 2-4x
  // faster and ran as fast here; refs stay function calls, so code grows with the schema as
  // written, not with its expansion.
  inlineRefs: false,
  code: { regExp: re2Engine, optimize: false },
};

// One long-lived instance per dialect validates schemas against the meta-schema; it compiles
// only the meta-schema, never a user's schema.
const metaValidators = new Map<JsonSchemaDialect, Ajv>();
function metaValidator(dialect: JsonSchemaDialect): Ajv {
  let ajv = metaValidators.get(dialect);
  if (!ajv) {
    ajv = newAjv(dialect, { ...OPTIONS, validateSchema: true });
    metaValidators.set(dialect, ajv);
  }
  return ajv;
}

function newAjv(dialect: JsonSchemaDialect, options: Options = OPTIONS): Ajv {
  return dialect === 'draft-07' ? new Ajv(options) : new Ajv2020(options);
}

/** Validations this small (in steps, see json-schema-cost.ts) that fail run again to list every problem. */
const ALL_ERRORS_STEPS = 20_000;

/** A schema ready to run: ajv's validator and the plan that bounds its work on a value. */
export interface CompiledSchema {
  validate: ValidateFunction;
  plan: CostPlan;
  /** The all-errors validator, compiled the first time a small value fails. */
  allErrors?: ValidateFunction;
  schema: object | boolean;
  dialect: JsonSchemaDialect;
}

// Insertion-ordered Map as an LRU: a hit moves its entry to the end.
const compiled = new Map<string, CompiledSchema>();
let compileCount = 0;

/** How many validators are cached, and how many were compiled since start (tests, metrics). */
export function compiledSchemaStats(): { cached: number; compiled: number } {
  return { cached: compiled.size, compiled: compileCount };
}

function schemaFailure(type: string, message: string, details: Record<string, unknown>): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: [details] });
}

/**
 * The compiled validator of `schema`. Throws a non-retryable ApplicationFailure of type
 * `schema_limit` when the schema leaves the bounded subset, `schema_invalid` when ajv refuses it.
 */
export function compileJsonSchema(schema: unknown): CompiledSchema {
  let text: string | undefined;
  try {
    text = JSON.stringify(schema);
  } catch {
    // circular or hostile: the bounds check names it below
  }
  const key = text === undefined ? undefined : createHash('sha256').update(text).digest('base64url');
  const hit = key === undefined ? undefined : compiled.get(key);
  if (key !== undefined && hit) {
    compiled.delete(key);
    compiled.set(key, hit);
    return hit;
  }

  const problems = checkJsonSchemaBounds(schema);
  if (problems.length > 0 || key === undefined) {
    throw schemaFailure(SchemaFailureType.SchemaLimit, formatJsonSchemaBoundsProblems(problems), {
      problems: problems.slice(0, MAX_PROBLEMS).map((p) => ({ limit: p.limit, message: p.message })),
    });
  }
  // A fresh copy: ajv keys its caches by object identity and the caller's object may change.
  const own = JSON.parse(text as string) as object | boolean;
  const dialect = jsonSchemaDialect(own);
  const meta = metaValidator(dialect);
  if (!meta.validateSchema(own)) {
    const message = meta.errorsText(meta.errors?.slice(0, 5), { dataVar: 'json schema', separator: '; ' });
    throw schemaFailure(SchemaFailureType.SchemaInvalid, `invalid json schema: ${message}`, {});
  }
  let plan: CostPlan;
  try {
    plan = costPlan(own);
  } catch (error) {
    if (!(error instanceof CostPlanTooLarge)) throw error;
    throw schemaFailure(SchemaFailureType.SchemaLimit, error.message, { problems: [{ limit: 'plan', message: error.message }] });
  }
  let validate: ValidateFunction;
  try {
    // Its own instance: an ajv instance keeps every schema and pattern it compiled, so sharing
    // one would keep what the LRU drops.
    validate = newAjv(dialect).compile(own);
  } catch (error) {
    throw schemaFailure(SchemaFailureType.SchemaInvalid, `invalid json schema: ${error instanceof Error ? error.message : String(error)}`, {});
  }
  compileCount++;
  const entry: CompiledSchema = { validate, plan, schema: own, dialect };
  compiled.set(key, entry);
  if (compiled.size > COMPILED_CACHE_SIZE) compiled.delete(compiled.keys().next().value as string);
  return entry;
}

/**
 * Validates `value` against `schema`; an empty list means it matches. Lists every problem of a
 * small validation, the first one of a big one (an anyOf's branches summed up by it). Throws like compileJsonSchema for a schema that
 * cannot be run, and `schema_limit` when validating this value could take more than
 * VALIDATION_STEPS steps. A schema that is not an object or a boolean accepts everything.
 */
export function validateJsonSchema(schema: unknown, value: unknown): SchemaProblem[] {
  if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null)) return [];
  const entry = compileJsonSchema(schema);
  const steps = validationSteps(entry.plan, value);
  if (steps === undefined) {
    const message = `json schema: validating this value exceeds the limit of ${VALIDATION_STEPS} steps (the schema's branches times the value's size)`;
    throw schemaFailure(SchemaFailureType.SchemaLimit, message, { problems: [{ limit: 'steps', message }] });
  }
  let validate = entry.validate;
  if (validate(value)) return [];
  if (steps <= ALL_ERRORS_STEPS) {
    // Its errors are bounded by the work, which is small here: list them all.
    entry.allErrors ??= newAjv(entry.dialect, { ...OPTIONS, allErrors: true }).compile(entry.schema);
    validate = entry.allErrors;
    validate(value);
  }
  const errors = validate.errors ?? [];
  // Problems inside the branches of an anyOf/oneOf that failed as a whole are summed up by it.
  const combined = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => `${e.schemaPath}/`);
  const problems = errors
    .filter((e) => !combined.some((prefix) => e.schemaPath.startsWith(prefix)))
    .slice(0, MAX_PROBLEMS)
    .map((e) => problemOf(e, value));
  return problems.length > 0 ? problems : [{ path: '$', message: 'does not match the schema' }];
}

/** "$.name: expected string, got number 3; $.tags: is required but missing" */
export function formatProblems(problems: readonly SchemaProblem[], max = 5): string {
  const shown = problems.slice(0, max).map((p) => `${p.path}: ${p.message}`);
  if (problems.length > max) shown.push(`… and ${problems.length - max} more`);
  return shown.join('; ');
}

// --- messages ---------------------------------------------------------------------------------

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function describe(value: unknown): string {
  const type = typeOf(value);
  if (type === 'object' || type === 'array') return `an ${type}`;
  if (type === 'null') return 'null';
  return `${type === 'integer' ? 'number' : type} ${JSON.stringify(value)?.slice(0, 40) ?? ''}`.trim();
}

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** ajv's instancePath (a JSON pointer) as a JSONPath, indexes told from keys by the value. */
function jsonPath(pointer: string, root: unknown): string {
  let path = '$';
  let node: unknown = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      path = childPath(path, Number(key));
      node = node[Number(key)];
    } else {
      path = childPath(path, key);
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return path;
}

const COMPARISON: Record<string, string> = { '>=': '≥', '<=': '≤', '>': '>', '<': '<' };

function problemOf(error: ErrorObject, root: unknown): SchemaProblem {
  const path = jsonPath(error.instancePath, root);
  const p = error.params as Record<string, unknown>;
  const list = (values: unknown) => (Array.isArray(values) ? values : [values]);
  const shapes = Array.isArray(error.schema) ? error.schema.length : 0;
  switch (error.keyword) {
    case 'type':
      return { path, message: `expected ${list(p.type).join(' or ')}, got ${describe(error.data)}` };
    case 'required':
      return { path: childPath(path, String(p.missingProperty)), message: 'is required but missing' };
    case 'additionalProperties':
      return { path: childPath(path, String(p.additionalProperty)), message: 'is not allowed (additionalProperties is false)' };
    case 'unevaluatedProperties':
      return { path: childPath(path, String(p.unevaluatedProperty)), message: 'is not allowed (unevaluatedProperties is false)' };
    case 'enum':
      return { path, message: `must be one of ${list(p.allowedValues).map((o) => JSON.stringify(o)).join(', ').slice(0, 300)}, got ${JSON.stringify(error.data)?.slice(0, 60)}` };
    case 'const':
      return { path, message: `must be ${JSON.stringify(p.allowedValue)?.slice(0, 100)}` };
    case 'anyOf':
      return { path, message: `does not match any of the ${shapes} allowed shapes (anyOf)` };
    case 'oneOf':
      return { path, message: p.passingSchemas ? `matches more than one of the ${shapes} allowed shapes (oneOf)` : `does not match any of the ${shapes} allowed shapes (oneOf)` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, message: `must be ${COMPARISON[String(p.comparison)] ?? String(p.comparison)} ${String(p.limit)}` };
    case 'minLength':
      return { path, message: `must have at least ${String(p.limit)} characters` };
    case 'maxLength':
      return { path, message: `must have at most ${String(p.limit)} characters` };
    case 'minItems':
      return { path, message: `must have at least ${String(p.limit)} items` };
    case 'maxItems':
      return { path, message: `must have at most ${String(p.limit)} items` };
    case 'pattern':
      return { path, message: `must match the pattern ${JSON.stringify(p.pattern)?.slice(0, 100)}` };
    default:
      return { path, message: error.message ?? `does not match ${error.keyword}` };
  }
}
