// Limits on the shape of JSON that clients send. JSON.parse takes nesting of any depth, but
// JSON.stringify, structuredClone, zod and the Temporal payload converter recurse: a body of
// 100,000 nested arrays (200 KB) overflows the stack where it is used, long after it was accepted.
// Both checks below are loops, never recursion, so they cannot overflow themselves.

/** Deepest nesting of arrays and objects accepted in a request body or a run input. */
export const MAX_JSON_DEPTH = 256;

/**
 * One pass over a JSON text (before it is parsed): its deepest nesting, and whether a string
 * holds a NUL character (`\u0000`), which SQLite takes for the end of a statement and PostgreSQL
 * refuses in text.
 */
export function scanJsonText(text: Buffer): { depth: number; nul: boolean } {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  let nul = false;
  for (let i = 0; i < text.length; i++) {
    const byte = text[i];
    if (inString) {
      if (byte === 0x5c) {
        // The escape \u0000; the escaped character is skipped, so \\u0000 (a backslash, then text) is not one.
        if (text[i + 1] === 0x75 && text.toString('latin1', i + 2, i + 6) === '0000') nul = true;
        i++;
      } else if (byte === 0x22) {
        inString = false;
      }
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x5b || byte === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (byte === 0x5d || byte === 0x7d) {
      depth--;
    }
  }
  return { depth: deepest, nul };
}

/** The deepest nesting of arrays and objects in a value (a plain loop: any depth is safe to measure). */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (item === null || typeof item !== 'object' || seen.has(item)) continue;
    seen.add(item);
    const level = depth + 1;
    if (level > deepest) deepest = level;
    // Past the limit the exact depth does not matter.
    if (level > MAX_JSON_DEPTH) return level;
    for (const child of Array.isArray(item) ? item : Object.values(item)) stack.push([child, level]);
  }
  return deepest;
}
