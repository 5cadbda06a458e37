// A runner process: evaluates the expressions and templates of runs, one request at a time.
// It holds nothing of value, so the pool kills it when an evaluation overruns its CPU deadline
// or its memory ceiling, and starts another (see pool.ts and docs/decisions/016-expression-isolation.md).
import { ExpressionError, ExpressionLimitError, renderValue, type ExpressionLimit } from '../../workflows/graph/expressions.ts';
import type { EvaluationReply, EvaluationRequest } from './protocol.ts';

async function handle(request: EvaluationRequest): Promise<EvaluationReply> {
  try {
    const result = await renderValue(request.mode, request.value, request.context, request.limits);
    const json = JSON.stringify(result) ?? 'null';
    if (json.length > request.limits.outputBytes) {
      return { id: request.id, ok: false, limit: 'output_bytes', message: `expression_limit (output_bytes): the result of ${json.length} bytes exceeds the limit of ${request.limits.outputBytes}` };
    }
    return { id: request.id, ok: true, json };
  } catch (error) {
    if (error instanceof ExpressionLimitError) return { id: request.id, ok: false, limit: error.limit, message: error.message, expression: error.expression };
    if (error instanceof ExpressionError) return { id: request.id, ok: false, message: error.message, expression: error.expression };
    // A RangeError from a built-in ("Invalid string length", a blown stack) is still the
    // expression's doing: name the limit it hit.
    const message = error instanceof Error ? error.message : String(error);
    const limit = error instanceof RangeError ? rangeLimit(message) : undefined;
    return { id: request.id, ok: false, ...(limit ? { limit } : {}), message };
  }
}

function rangeLimit(message: string): ExpressionLimit {
  if (/call stack/i.test(message)) return 'depth';
  if (/array length/i.test(message)) return 'sequence_length';
  return 'string_length';
}

process.on('message', (request: EvaluationRequest) => {
  void handle(request).then((reply) => process.send?.(reply));
});
// The worker went away (even by SIGKILL): a runner never outlives it.
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
