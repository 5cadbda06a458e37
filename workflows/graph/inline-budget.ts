// The work budget of an expression evaluated inside the workflow (docs/decisions/030-inline-compute.md).
// Pure and deterministic: every count depends on the expression and the data alone, never on time.
import jsonata from 'jsonata';

/**
 * Built-ins an inline expression may call: each costs time linear in the size of its arguments
 * and returns a value no larger than linear in them. No regular expressions (none can be written
 * without a regex literal, which the inline check refuses), no functions taking functions, no
 * clock or randomness, nothing quadratic ($distinct, $sort), nothing that builds a value from a
 * number alone ($pad, $formatNumber), nothing that parses code ($eval).
 */
export const INLINE_FUNCTIONS: ReadonlySet<string> = new Set([
  'sum', 'count', 'max', 'min', 'average',
  'string', 'number', 'boolean', 'not', 'exists', 'type',
  'keys', 'lookup', 'merge', 'append', 'spread', 'reverse', 'zip',
  'uppercase', 'lowercase', 'trim', 'length', 'substring', 'substringBefore', 'substringAfter', 'contains', 'split', 'join',
  'round', 'floor', 'ceil', 'abs',
]);

/** An inline evaluation that would go over its budget: the expression goes to the pool instead. */
export class WorkBudgetExceeded extends Error {}

/**
 * A value's size in work units: one per value, key or item, plus one per 64 characters of a
 * string. The walk stops as soon as it passes `cap`, so measuring costs no more than the budget.
 */
export function sizeUnits(value: unknown, cap: number): number {
  let units = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && units <= cap) {
    const v = stack.pop();
    units += 1;
    if (typeof v === 'string') {
      units += v.length >> 6;
    } else if (Array.isArray(v)) {
      units += v.length;
      if (units > cap) break;
      for (const item of v) stack.push(item);
    } else if (v !== null && typeof v === 'object') {
      for (const key in v) {
        units += 1 + (key.length >> 6);
        if (units > cap) break;
        stack.push((v as Record<string, unknown>)[key]);
      }
    }
  }
  return units;
}

interface JsonataFunction {
  _jsonata_function: true;
  implementation: (...args: unknown[]) => unknown;
  signature?: unknown;
}

/** Built-ins much slower per unit than the rest, and how many units each unit of their arguments costs on top. */
const WEIGHTS: Record<string, number> = { string: 8 };

let builtins: Promise<[string, JsonataFunction][]> | undefined;

/** JSONata's own definitions of the weighted built-ins, read once (lazily: most workflows never need them). */
function weightedBuiltins(): Promise<[string, JsonataFunction][]> {
  const names = Object.keys(WEIGHTS);
  builtins ??= (jsonata(`[${names.map((n) => `$${n}`).join(', ')}]`).evaluate({}) as Promise<JsonataFunction[]>).then((fns) => names.map((n, i) => [n, fns[i] as JsonataFunction]));
  return builtins;
}

/**
 * Meters the work of one evaluation: every step is charged one unit plus the size of the value it
 * produced, and a weighted built-in the size of its arguments times its weight, before it runs.
 *
 * Why this bounds the CPU: without lambdas, variables, parent references, regular expressions
 * or ranges, each step costs time linear in the values it reads, which are the data it is given
 * or the results of its own sub-steps, and each allowed built-in time linear in its arguments.
 * Every one of those values was produced by a step (and charged) or is a value of the context
 * the step produced when it read it (and charged too). So the total time is linear in the charge,
 * which stops the evaluation as soon as it passes the budget.
 */
export class WorkMeter {
  private spent = 0;
  readonly budget: number;
  constructor(budget: number) {
    this.budget = budget;
  }

  // Sizes of values measured whole: paths read the same context objects again and again.
  private readonly sizes = new WeakMap<object, number>();

  charge(value: unknown, weight = 1): void {
    this.spent += 1 + weight * this.size(value, Math.ceil((this.budget - this.spent) / weight));
    if (this.spent > this.budget) throw new WorkBudgetExceeded(`the evaluation would take more than ${this.budget} units of work inside the workflow`);
  }

  private size(value: unknown, cap: number): number {
    if (value === null || typeof value !== 'object') return sizeUnits(value, cap);
    const known = this.sizes.get(value);
    if (known !== undefined) return known;
    const units = sizeUnits(value, cap);
    // JSONata still appends to the sequences it builds; other values are complete when produced.
    if (units <= cap && !(value as { sequence?: unknown }).sequence) this.sizes.set(value, units);
    return units;
  }

  /** Puts the weighted built-ins on a compiled expression, charging their arguments before they run. */
  async weigh(compiled: ReturnType<typeof jsonata>): Promise<void> {
    for (const [name, original] of await weightedBuiltins()) {
      const weight = WEIGHTS[name] as number;
      const charge = (args: unknown[]) => args.forEach((arg) => this.charge(arg, weight));
      const charged: JsonataFunction = {
        _jsonata_function: true,
        signature: original.signature,
        // JSONata passes its focus as `this`; the built-in may read it.
        implementation(this: unknown, ...args: unknown[]) {
          charge(args);
          return original.implementation.apply(this, args);
        },
      };
      compiled.assign(name, charged);
    }
  }
}
