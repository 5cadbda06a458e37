import type { z } from 'zod';

/** What every node type declares; the designer, the validator and the interpreter read it. */
export interface NodeTypeDefinition<C extends z.ZodType> {
  type: string;
  label: string;
  /** Help text shown in the designer's palette and side panel. */
  description: string;
  config: C;
  /** Output ports. A function when they depend on the config (switch cases). */
  outputs: readonly string[] | ((config: z.infer<C>) => string[]);
  /** Config fields holding a bare JSONata expression. */
  expressionFields: readonly string[];
  /** Config fields whose strings may hold "{{ }}" templates (searched recursively). */
  templateFields: readonly string[];
}

/** Durations as people write them: "500ms", "30s", "5m", "2h", "1d". */
export const DURATION = /^\d+(\.\d+)?(ms|s|m|h|d)$/;
