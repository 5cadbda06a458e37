// JSONata expressions and "{{ }}" templates. Pure: runs in the workflow sandbox, the api and web.
import jsonata from 'jsonata';

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
 * Guards that stop a runaway expression (infinite recursion, which JSONata runs as a loop when it
 * is a tail call, or a huge computation) with an error instead of hanging the run.
 * - `steps`: evaluation steps (nodes of the expression tree visited). Deterministic: the same
 *   expression over the same data fails the same way on replay. Inside Temporal's sandbox JSONata
 *   manages roughly 150-250k steps a second on a small machine, so 100k keeps one evaluation
 *   well under the 2 s deadlock detector; filtering a few thousand items takes ~20k.
 * - `depth`: nesting of the evaluation (non-tail recursion), deterministic too.
 * - `timeoutMs`: wall clock, a backstop outside workflows (api previews, activities); inside a
 *   workflow the clock does not move during an evaluation, so it never fires there.
 * Callers outside the sandbox (activities) may pass larger limits to `evaluate`.
 */
export const EVALUATION_LIMITS = { steps: 100_000, depth: 10_000, timeoutMs: 5_000 } as const;
export interface EvaluationLimits {
  steps: number;
  depth: number;
  timeoutMs: number;
}

const ENTRY_HOOK = Symbol.for('jsonata.__evaluate_entry');

export class ExpressionError extends Error {
  readonly expression: string;
  constructor(expression: string, message: string) {
    super(`${message} (in expression \`${expression}\`)`);
    this.name = 'ExpressionError';
    this.expression = expression;
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
    problem = messageOf(error);
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

export async function evaluate(expression: string, context: ExpressionContext, limits: Partial<EvaluationLimits> = {}): Promise<unknown> {
  const { steps: maxSteps, depth, timeoutMs } = { ...EVALUATION_LIMITS, ...limits };
  let compiled;
  try {
    compiled = jsonata(expression, { stack: depth, timeout: timeoutMs });
  } catch (error) {
    throw new ExpressionError(expression, messageOf(error));
  }
  let steps = 0;
  // jsonata calls this hook before evaluating every node of the expression tree.
  compiled.assign(ENTRY_HOOK as unknown as string, () => {
    steps++;
    if (steps > maxSteps) {
      throw new Error(`the expression ran for more than ${maxSteps} evaluation steps; check for a non-terminating recursion or an oversized computation`);
    }
  });
  let result: unknown;
  try {
    result = await compiled.evaluate(context);
  } catch (error) {
    throw new ExpressionError(expression, messageOf(error));
  }
  // JSONata yields undefined for a path that does not exist; a silent empty value hides bugs.
  if (result === undefined) throw new ExpressionError(expression, 'the path does not exist');
  return result;
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
