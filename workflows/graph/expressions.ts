// JSONata expressions and "{{ }}" templates. Pure: runs in the workflow sandbox, the api and web.
import jsonata from 'jsonata';

export interface ExpressionContext {
  input: unknown;
  steps: Record<string, { output: unknown; status: string }>;
  item?: unknown;
  run: { id: string; startedAt: string };
}

export class ExpressionError extends Error {
  readonly expression: string;
  constructor(expression: string, message: string) {
    super(`${message} (in expression \`${expression}\`)`);
    this.name = 'ExpressionError';
    this.expression = expression;
  }
}

const TEMPLATE = /\{\{([\s\S]*?)\}\}/g;

/** Parses an expression up front; returns the error message, or undefined when it parses. */
export function expressionProblem(expression: string): string | undefined {
  try {
    jsonata(expression);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The expressions inside a template string, in order. */
export function templateExpressions(template: string): string[] {
  return [...template.matchAll(TEMPLATE)].map((match) => (match[1] ?? '').trim());
}

export async function evaluate(expression: string, context: ExpressionContext): Promise<unknown> {
  let compiled;
  try {
    compiled = jsonata(expression);
  } catch (error) {
    throw new ExpressionError(expression, (error as Error).message);
  }
  let result: unknown;
  try {
    result = await compiled.evaluate(context);
  } catch (error) {
    throw new ExpressionError(expression, (error as Error).message);
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
