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
 * Guards that stop a runaway expression (infinite recursion, a huge computation) with an error
 * instead of hanging the run. `steps` and `depth` are deterministic (the same expression over the
 * same data fails the same way on replay); inside a Temporal workflow the wall clock does not move
 * during an evaluation, so `timeoutMs` only ever fires outside it (api previews, activities).
 * The step budget keeps an evaluation well under Temporal's 2 s deadlock detector.
 */
export const EVALUATION_LIMITS = { steps: 250_000, depth: 10_000, timeoutMs: 1_000 } as const;

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

/** Parses an expression up front; returns the error message, or undefined when it parses. */
export function expressionProblem(expression: string): string | undefined {
  try {
    jsonata(expression);
    return undefined;
  } catch (error) {
    return messageOf(error);
  }
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
  const root = String.raw`(?<![\w$.\`])(?:\$\$?\s*\.\s*)?steps`;
  for (const match of masked.matchAll(new RegExp(String.raw`${root}\s*\.\s*(?:([A-Za-z_]\w*)|\`([^\`]*)\`)`, 'g'))) {
    add({ id: match[1] ?? match[2] ?? '', text: expression.slice(match.index, match.index + match[0].length), form: 'dot' });
  }
  const quoted = String.raw`(["'])( *)\1`;
  for (const form of ['bracket', 'lookup'] as const) {
    const pattern =
      form === 'bracket'
        ? new RegExp(String.raw`${root}\s*\[\s*${quoted}\s*\]`, 'dg')
        : new RegExp(String.raw`\$lookup\s*\(\s*(?:\$\$?\s*\.\s*)?steps\s*,\s*${quoted}\s*\)`, 'dg');
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

export async function evaluate(expression: string, context: ExpressionContext): Promise<unknown> {
  let compiled;
  try {
    compiled = jsonata(expression, { stack: EVALUATION_LIMITS.depth, timeout: EVALUATION_LIMITS.timeoutMs });
  } catch (error) {
    throw new ExpressionError(expression, messageOf(error));
  }
  let steps = 0;
  // jsonata calls this hook before evaluating every node of the expression tree.
  compiled.assign(ENTRY_HOOK as unknown as string, () => {
    steps++;
    if (steps > EVALUATION_LIMITS.steps) {
      throw new Error(`the expression ran for more than ${EVALUATION_LIMITS.steps} evaluation steps; check for a non-terminating recursion or an oversized computation`);
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
export async function renderTemplate(template: string, context: ExpressionContext): Promise<unknown> {
  const whole = /^\{\{([\s\S]*?)\}\}$/.exec(template.trim());
  if (whole && templateExpressions(template).length === 1) {
    return evaluate((whole[1] ?? '').trim(), context);
  }
  let out = '';
  let last = 0;
  for (const match of template.matchAll(TEMPLATE)) {
    const value = await evaluate((match[1] ?? '').trim(), context);
    out += template.slice(last, match.index) + (typeof value === 'string' ? value : JSON.stringify(value));
    last = match.index + match[0].length;
  }
  return out + template.slice(last);
}
