import type { z } from 'zod';

/** What every node type declares; the designer, the validator and the interpreter read it. */
export interface NodeTypeDefinition<C extends z.ZodType> {
  type: string;
  label: string;
  description: string;
  config: C;
  inputs: readonly string[];
  outputs: readonly string[];
  /** Config fields holding a bare JSONata expression. */
  expressionFields: readonly string[];
  /** Config fields whose strings may hold "{{ }}" templates (searched recursively). */
  templateFields: readonly string[];
}
