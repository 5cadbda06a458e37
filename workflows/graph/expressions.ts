// JSONata expressions and "{{ }}" templates. Pure: runs in the workflow sandbox, the api and web.
import jsonata from 'jsonata';
import { INLINE_FUNCTIONS, WorkBudgetExceeded, WorkMeter } from './inline-budget.ts';

/** What an expression sees. `item` exists inside the inline sub-graph of a `map` node only. */
export interface ExpressionContext {
  input: unknown;
  steps: Record<string, { output: unknown; status: string }>;
  item?: unknown;
  run: { id: string; startedAt: string };
}

/** The names an expression can start from. */
export const EXPRESSION_ROOTS = ['input', 'steps', 'item', 'run'] as const;

/**
 * Guards that stop a runaway expression with an error naming the limit, instead of hanging the
 * run or exhausting memory.
 * - `steps`: evaluation steps (nodes of the expression tree visited), deterministic.
 * - `depth`: nesting of the evaluation (non-tail recursion), deterministic too.
 * - `sequenceLength` / `stringLength`: checked on every value an expression step produces, so a
 *   range, a `$pad` or a doubling concatenation stops at the first step that crosses the cap.
 * - `timeoutMs`: JSONata's own wall clock, checked between steps. It cannot interrupt a built-in
 *   or a regular expression: the real CPU deadline and memory ceiling are those of the runner
 *   process that evaluates for runs (activities/expressions/), which is killed when it overruns.
 * These defaults suit the api and the web app (parsing previews); the runner passes its own.
 */
export const EVALUATION_LIMITS = { steps: 100_000, depth: 10_000, timeoutMs: 5_000, sequenceLength: 1_000_000, stringLength: 16_000_000 } as const;
export interface EvaluationLimits {
  steps: number;
  depth: number;
  timeoutMs: number;
  sequenceLength: number;
  stringLength: number;
  /**
   * Work budget of an evaluation inside the workflow (inline-budget.ts WorkMeter), in size units:
   * the values every step produces, plus the arguments of slow built-ins. Unset: no budget (the
   * runner's CPU deadline applies).
   */
  work?: number;
}

/** Which limit an evaluation went over; the run view shows it as `expression_limit (<name>)`. */
export type ExpressionLimit = 'steps' | 'depth' | 'sequence_length' | 'string_length' | 'output_bytes' | 'cpu_time' | 'memory';

const ENTRY_HOOK = Symbol.for('jsonata.__evaluate_entry');
const EXIT_HOOK = Symbol.for('jsonata.__evaluate_exit');

export class ExpressionError extends Error {
  readonly expression: string;
  constructor(expression: string, message: string) {
    super(`${message} (in expression \`${expression}\`)`);
    this.name = 'ExpressionError';
    this.expression = expression;
  }
}

/** An expression that went over one of its limits: never retried, the node fails. */
export class ExpressionLimitError extends ExpressionError {
  readonly limit: ExpressionLimit;
  constructor(expression: string, limit: ExpressionLimit, message: string) {
    super(expression, `expression_limit (${limit}): ${message}`);
    this.name = 'ExpressionLimitError';
    this.limit = limit;
  }
}

/** Thrown inside JSONata's hooks; `evaluate` turns it into an ExpressionLimitError. */
class LimitSignal extends Error {
  readonly limit: ExpressionLimit;
  constructor(limit: ExpressionLimit, message: string) {
    super(message);
    this.limit = limit;
  }
}

const TEMPLATE = /\{\{([\s\S]*?)\}\}/g;

function messageOf(error: unknown): string {
  if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return String(error);
}

// Parse results of recent expressions: the designer validates the same graph on every edit.
const parsed = new Map<string, string | undefined>();
const PARSE_CACHE_SIZE = 2_000;

/** Parses an expression up front; returns the error message, or undefined when it parses. */
export function expressionProblem(expression: string): string | undefined {
  if (parsed.has(expression)) return parsed.get(expression);
  let problem: string | undefined;
  try {
    jsonata(expression);
  } catch (error) {
    // The parser recurses: deep nesting overflows the stack, and "Maximum call stack size exceeded" tells the author nothing.
    problem = error instanceof RangeError ? 'the expression is nested too deeply to parse' : messageOf(error);
  }
  if (expression.length <= 2_000) {
    if (parsed.size >= PARSE_CACHE_SIZE) parsed.delete(parsed.keys().next().value as string);
    parsed.set(expression, problem);
  }
  return problem;
}

/** The expressions inside a template string, in order. */
export function templateExpressions(template: string): string[] {
  return [...template.matchAll(TEMPLATE)].map((match) => (match[1] ?? '').trim());
}

/** A place where an expression reads the output of a step. */
export interface StepReference {
  /** The node id read. */
  id: string;
  /** The text as written, e.g. `steps.fetch`, `steps["fetch"]`, `$lookup(steps, "fetch")`. */
  text: string;
  /**
   * `dot` (steps.fetch, steps.`fetch`, $$.steps.fetch), `lookup` ($lookup(steps, "fetch")), both
   * correct; `bracket` (steps["fetch"]) is a mistake: in JSONata brackets filter, they do not
   * read a field, so it never yields the step.
   */
  form: 'dot' | 'bracket' | 'lookup';
}

// `steps` at the root (optionally `$$.` or `$.`), not a field of something else (`input.steps`).
const ROOT = String.raw`(?<![\w$.\`])(?:\$\$?\s*\.\s*)?steps`;
// A string literal whose inside maskLiterals blanked: group 2 spans the inside.
const BLANKED = String.raw`(["'])( *)\1`;
const DOT_REFERENCE = new RegExp(String.raw`${ROOT}\s*\.\s*(?:([A-Za-z_]\w*)|\`([^\`]*)\`)`, 'g');
const BRACKET_REFERENCE = new RegExp(String.raw`${ROOT}\s*\[\s*${BLANKED}\s*\]`, 'dg');
const LOOKUP_REFERENCE = new RegExp(String.raw`\$lookup\s*\(\s*(?:\$\$?\s*\.\s*)?steps\s*,\s*${BLANKED}\s*\)`, 'dg');

/**
 * The steps an expression reads, found by a textual scan (string literals and comments are
 * ignored, `input.steps.x` is not a reference). Simple on purpose: it may flag a relative path
 * that happens to be named `steps` inside a nested context, which is rare and easy to rewrite.
 */
export function stepReferences(expression: string): StepReference[] {
  const masked = maskLiterals(expression);
  const found: StepReference[] = [];
  const seen = new Set<string>();
  const add = (reference: StepReference) => {
    const key = `${reference.form}\u0000${reference.id}`;
    if (seen.has(key)) return;
    seen.add(key);
    found.push(reference);
  };
  for (const match of masked.matchAll(DOT_REFERENCE)) {
    add({ id: match[1] ?? match[2] ?? '', text: expression.slice(match.index, match.index + match[0].length), form: 'dot' });
  }
  for (const [form, pattern] of [['bracket', BRACKET_REFERENCE], ['lookup', LOOKUP_REFERENCE]] as const) {
    for (const match of masked.matchAll(pattern)) {
      const [start, end] = match.indices?.[2] ?? [0, 0];
      add({ id: expression.slice(start, end), text: expression.slice(match.index, match.index + match[0].length), form });
    }
  }
  return found;
}

/** The expression with the insides of string literals and comments blanked (same length). */
function maskLiterals(expression: string): string {
  let out = '';
  let i = 0;
  while (i < expression.length) {
    const c = expression[i] as string;
    if (c === '"' || c === "'") {
      out += c;
      i++;
      while (i < expression.length && expression[i] !== c) {
        if (expression[i] === '\\' && i + 1 < expression.length) {
          out += '  ';
          i += 2;
        } else {
          out += ' ';
          i++;
        }
      }
      if (i < expression.length) {
        out += c;
        i++;
      }
    } else if (c === '/' && expression[i + 1] === '*') {
      const end = expression.indexOf('*/', i + 2);
      const stop = end === -1 ? expression.length : end + 2;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (c === '`') {
      // A quoted name: copied as is (a quote inside it does not start a string).
      const end = expression.indexOf('`', i + 1);
      const stop = end === -1 ? expression.length : end + 1;
      out += expression.slice(i, stop);
      i = stop;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

// A path of plain names (`steps.fetch.output`, `input.id`): the most common template by far.
const PLAIN_PATH = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$/;
const NOT_NAMES = new Set(['and', 'or', 'in', 'true', 'false', 'null', 'function']);

/**
 * JSONata's answer to a plain path through objects, without JSONata: its evaluator creates a
 * promise per node, and inside a workflow each promise costs a stack trace (ADR 030). Same value,
 * same steps, same size checks and work charges in the same order (the values JSONata's exit
 * hook sees: each name's value, then the path's one-item sequence). Undefined when the path
 * leaves plain objects or ends on nothing, an array or null: JSONata decides those.
 */
function plainPath(expression: string, context: ExpressionContext, maxSteps: number, check: (value: unknown) => void): { value: unknown } | undefined {
  if (expression.length > 200 || !PLAIN_PATH.test(expression)) return undefined;
  const names = expression.split('.');
  if (names.some((name) => NOT_NAMES.has(name)) || names.length + 1 > maxSteps) return undefined;
  const values: unknown[] = [];
  let current: unknown = context;
  for (const name of names) {
    if (current === null || typeof current !== 'object' || Array.isArray(current) || !Object.hasOwn(current, name)) return undefined;
    current = (current as Record<string, unknown>)[name];
    values.push(current);
  }
  if (current === undefined || current === null || Array.isArray(current) || typeof current === 'function') return undefined;
  for (const value of values) check(value);
  check(Object.assign([current], { sequence: true }));
  return { value: current };
}

export async function evaluate(expression: string, context: ExpressionContext, limits: Partial<EvaluationLimits> = {}): Promise<unknown> {
  const { steps: maxSteps, depth, timeoutMs, sequenceLength, stringLength, work } = { ...EVALUATION_LIMITS, ...limits };
  if (PLAIN_PATH.test(expression)) {
    const pathMeter = work === undefined ? undefined : new WorkMeter(work);
    try {
      const plain = plainPath(expression, context, maxSteps, (value) => {
        checkSize(value, sequenceLength, stringLength);
        pathMeter?.charge(value);
      });
      if (plain) return plain.value;
    } catch (error) {
      if (error instanceof LimitSignal) throw new ExpressionLimitError(expression, error.limit, error.message);
      if (error instanceof WorkBudgetExceeded) throw new ExpressionLimitError(expression, 'steps', error.message);
      throw error;
    }
  }
  let compiled;
  try {
    compiled = jsonata(expression, { stack: depth, timeout: timeoutMs });
  } catch (error) {
    throw new ExpressionError(expression, messageOf(error));
  }
  const meter = work === undefined ? undefined : new WorkMeter(work);
  await meter?.weigh(compiled);
  let steps = 0;
  // jsonata calls this hook before evaluating every node of the expression tree.
  compiled.assign(ENTRY_HOOK as unknown as string, () => {
    steps++;
    if (steps > maxSteps) {
      throw new LimitSignal('steps', `the expression ran for more than ${maxSteps} evaluation steps; check for a non-terminating recursion or an oversized computation`);
    }
  });
  // …and this one with every value a node produced: sizes are capped step by step.
  compiled.assign(EXIT_HOOK as unknown as string, (_expr: unknown, _input: unknown, _env: unknown, result: unknown) => {
    checkSize(result, sequenceLength, stringLength);
    meter?.charge(result);
  });
  // A padding width is checked before the string is built: one call could otherwise allocate GBs.
  compiled.registerFunction('pad', (value: unknown, width: unknown, char?: unknown) => {
    if (value === undefined) return undefined;
    if (typeof width === 'number' && Math.abs(width) > stringLength) {
      throw new LimitSignal('string_length', `$pad to ${Math.abs(width)} characters exceeds the limit of ${stringLength}`);
    }
    return pad(String(value), Number(width), char === undefined ? ' ' : String(char));
  }, '<s-ns?:s>');
  let result: unknown;
  try {
    result = await compiled.evaluate(context);
  } catch (error) {
    if (error instanceof LimitSignal) throw new ExpressionLimitError(expression, error.limit, error.message);
    if (error instanceof WorkBudgetExceeded) throw new ExpressionLimitError(expression, 'steps', error.message);
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'D1011') throw new ExpressionLimitError(expression, 'depth', `the evaluation nested deeper than ${depth} levels (a non-terminating recursion?)`);
    if (code === 'D1012') throw new ExpressionLimitError(expression, 'cpu_time', `the evaluation ran for more than ${timeoutMs} ms`);
    throw new ExpressionError(expression, messageOf(error));
  }
  // JSONata yields undefined for a path that does not exist; a silent empty value hides bugs.
  if (result === undefined) throw new ExpressionError(expression, 'the path does not exist');
  return result;
}

function checkSize(value: unknown, sequenceLength: number, stringLength: number): void {
  if (typeof value === 'string' && value.length > stringLength) {
    throw new LimitSignal('string_length', `a string of ${value.length} characters exceeds the limit of ${stringLength}`);
  }
  if (Array.isArray(value) && value.length > sequenceLength) {
    throw new LimitSignal('sequence_length', `a sequence of ${value.length} items exceeds the limit of ${sequenceLength}`);
  }
}

/** JSONata's $pad: positive widths pad on the right, negative on the left, by code points. */
function pad(value: string, width: number, char: string): string {
  const fill = char === '' ? ' ' : char;
  const missing = Math.abs(Math.trunc(width)) - [...value].length;
  if (!(missing > 0)) return value;
  const padding = fill.repeat(Math.ceil(missing / [...fill].length) + 1);
  const cut = [...padding].slice(0, missing).join('');
  return width > 0 ? value + cut : cut + value;
}

/**
 * Renders "{{ expr }}" templates. A string that is exactly one template keeps the value's type
 * (so "{{ input.count }}" gives a number); otherwise values are stringified into the text.
 */
export async function renderTemplate(template: string, context: ExpressionContext, limits: Partial<EvaluationLimits> = {}): Promise<unknown> {
  const whole = /^\{\{([\s\S]*?)\}\}$/.exec(template.trim());
  if (whole && templateExpressions(template).length === 1) {
    return evaluate((whole[1] ?? '').trim(), context, limits);
  }
  let out = '';
  let last = 0;
  for (const match of template.matchAll(TEMPLATE)) {
    const value = await evaluate((match[1] ?? '').trim(), context, limits);
    out += template.slice(last, match.index) + (typeof value === 'string' ? value : JSON.stringify(value));
    last = match.index + match[0].length;
  }
  return out + template.slice(last);
}

/** Evaluates an expression, or renders every template inside a config value (objects, arrays). */
export async function renderValue(mode: 'expression' | 'template', value: unknown, context: ExpressionContext, limits: Partial<EvaluationLimits> = {}): Promise<unknown> {
  if (mode === 'expression') return evaluate(String(value), context, limits);
  const deep = async (v: unknown): Promise<unknown> => {
    if (typeof v === 'string') return renderTemplate(v, context, limits);
    if (Array.isArray(v)) return Promise.all(v.map(deep));
    if (v && typeof v === 'object') {
      const entries = await Promise.all(Object.entries(v).map(async ([k, x]) => [k, await deep(x)] as const));
      return Object.fromEntries(entries);
    }
    return v;
  };
  return deep(value);
}

// Expression-tree nodes that only navigate and combine the data they are given. Without
// function calls, lambdas, variables, ranges, sorts or regular expressions an evaluation cannot
// loop, and each step only walks down the data, so its cost is bounded by the sizes of the
// expression and the data (docs/decisions/016-expression-isolation.md).
const BOUNDED_NODES = new Set(['path', 'name', 'string', 'number', 'value', 'binary', 'unary', 'condition', 'block', 'filter', 'wildcard']);
const BOUNDED_MAX_LENGTH = 500;
const bounded = new Map<string, boolean>();

/** Limits for a bounded expression evaluated inside the workflow; over them it goes to the pool. */
export const INLINE_LIMITS: Partial<EvaluationLimits> = { steps: 10_000, sequenceLength: 10_000, stringLength: 1_000_000 };

function boundedTree(node: unknown): boolean {
  if (Array.isArray(node)) return node.every(boundedTree);
  if (!node || typeof node !== 'object') return true;
  const { type, value } = node as { type?: unknown; value?: unknown };
  if (type !== undefined) {
    if (typeof type !== 'string' || !BOUNDED_NODES.has(type)) return false;
    if (type === 'binary' && value === '..') return false;
  }
  return Object.entries(node).every(([key, child]) => key === 'value' || boundedTree(child));
}

/** `$sum`, `$string` …: a variable naming an allowed built-in (inline-budget.ts). */
function allowedFunction(node: unknown): boolean {
  const { type, value } = (node ?? {}) as { type?: unknown; value?: unknown };
  return type === 'variable' && typeof value === 'string' && INLINE_FUNCTIONS.has(value);
}

/**
 * The bounded nodes plus calls of allowed built-ins (`$sum(x)`, `x ~> $sum`) and the context
 * variables `$` and `$$`. Still no lambdas, bindings, other variables, ranges, sorts, regular
 * expressions, descendants, parents or transforms: nothing can loop or keep a value across items.
 */
function inlineTree(node: unknown): boolean {
  if (Array.isArray(node)) return node.every(inlineTree);
  if (!node || typeof node !== 'object') return true;
  const { type, value, procedure, rhs } = node as { type?: unknown; value?: unknown; procedure?: unknown; rhs?: unknown };
  let skip: string | undefined;
  if (type === 'function') {
    if (!allowedFunction(procedure)) return false;
    skip = 'procedure';
  } else if (type === 'apply') {
    if (!allowedFunction(rhs) && !((rhs as { type?: unknown } | undefined)?.type === 'function' && inlineTree(rhs))) return false;
    skip = 'rhs';
  } else if (type === 'variable') {
    return value === '' || value === '$';
  } else if (type !== undefined) {
    if (typeof type !== 'string' || !BOUNDED_NODES.has(type)) return false;
    if (type === 'binary' && value === '..') return false;
  }
  return Object.entries(node).every(([key, child]) => key === 'value' || key === skip || inlineTree(child));
}

/** True when an expression cannot run away: it only navigates and combines its input. */
export function isBoundedExpression(expression: string): boolean {
  if (expression.length > BOUNDED_MAX_LENGTH) return false;
  const known = bounded.get(expression);
  if (known !== undefined) return known;
  let result: boolean;
  try {
    result = boundedTree(jsonata(expression).ast());
  } catch {
    result = false; // a syntax error is reported by the evaluation itself
  }
  if (bounded.size >= PARSE_CACHE_SIZE) bounded.delete(bounded.keys().next().value as string);
  bounded.set(expression, result);
  return result;
}

/** True when every expression of a value (an expression, or templates anywhere inside) is bounded. */
export function isBoundedValue(mode: 'expression' | 'template', value: unknown): boolean {
  if (mode === 'expression') return isBoundedExpression(String(value));
  if (typeof value === 'string') return templateExpressions(value).every(isBoundedExpression);
  if (Array.isArray(value)) return value.every((v) => isBoundedValue(mode, v));
  if (value && typeof value === 'object') return Object.values(value).every((v) => isBoundedValue(mode, v));
  return true;
}

/**
 * Limits of an expression that calls built-ins, evaluated inside the workflow: the bounded
 * limits plus a work budget (inline-budget.ts) that keeps its CPU time to a few milliseconds.
 */
export const INLINE_COMPUTE_LIMITS: Partial<EvaluationLimits> = { ...INLINE_LIMITS, work: 500_000 };
const inline = new Map<string, boolean>();

/**
 * True when an expression may be evaluated inside the workflow under INLINE_COMPUTE_LIMITS:
 * paths, operators, literals, `$`, `$$` and calls of the built-ins in INLINE_FUNCTIONS
 * (docs/decisions/030-inline-compute.md).
 */
export function isInlineExpression(expression: string): boolean {
  if (expression.length > BOUNDED_MAX_LENGTH) return false;
  const known = inline.get(expression);
  if (known !== undefined) return known;
  let result: boolean;
  try {
    result = inlineTree(jsonata(expression).ast());
  } catch {
    result = false;
  }
  if (inline.size >= PARSE_CACHE_SIZE) inline.delete(inline.keys().next().value as string);
  inline.set(expression, result);
  return result;
}

/** True when every expression of a value (an expression, or templates anywhere inside) may be evaluated inline. */
export function isInlineValue(mode: 'expression' | 'template', value: unknown): boolean {
  if (mode === 'expression') return isInlineExpression(String(value));
  if (typeof value === 'string') return templateExpressions(value).every(isInlineExpression);
  if (Array.isArray(value)) return value.every((v) => isInlineValue(mode, v));
  if (value && typeof value === 'object') return Object.values(value).every((v) => isInlineValue(mode, v));
  return true;
}
