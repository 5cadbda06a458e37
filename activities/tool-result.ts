// What a tool call gives back to the model: capped, so one chatty endpoint or MCP server cannot
// fill the context window (and the run history) with megabytes. A result over the cap becomes its
// first bytes as text, with a note saying it was cut, so the model knows it did not see it all.

export const MAX_TOOL_RESULT_BYTES = 64 * 1024;

/** The value itself when its JSON fits in `maxBytes`; else its text cut to `maxBytes` plus a note. */
export function capToolResult(value: unknown, maxBytes = MAX_TOOL_RESULT_BYTES): unknown {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
  const bytes = Buffer.from(text);
  if (bytes.length <= maxBytes) return value;
  // Cut on a character boundary: a split UTF-8 sequence would decode to a replacement character.
  let end = Math.min(maxBytes, bytes.length);
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return `${bytes.subarray(0, end).toString('utf8')}\n[cut: the result was ${bytes.length} bytes; only the first ${end} are shown]`;
}
