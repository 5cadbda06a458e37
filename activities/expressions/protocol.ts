// Messages between the expression pool (in the worker) and its runner processes.
import type { EvaluationLimits, ExpressionContext, ExpressionLimit } from '../../workflows/graph/expressions.ts';

export interface RunnerLimits extends EvaluationLimits {
  /** The serialized result may not be larger than this. */
  outputBytes: number;
}

export interface EvaluationRequest {
  id: number;
  mode: 'expression' | 'template';
  value: unknown;
  context: ExpressionContext;
  limits: RunnerLimits;
}

export type EvaluationReply =
  | { id: number; ok: true; json: string }
  | { id: number; ok: false; message: string; expression?: string; limit?: ExpressionLimit };
