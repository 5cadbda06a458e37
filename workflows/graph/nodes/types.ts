// The format of a node type: one definition per type (workflows/graph/nodes/<type>.ts) plus one
// executor (workflows/interpreter/executors/<type>.ts); everything else is derived from the
// registry (docs/decisions/038-node-type-as-one-unit.md). Definitions import zod as a type only:
// the schema side passes the zod namespace to `config`, so workflow code can import the
// registry without building schemas (docs/decisions/030-inline-compute.md).
import type { z } from 'zod';

/** The zod namespace, injected into `config` builders. */
export type Zod = typeof z;

/**
 * What a node does to its run: `action` calls an activity (its `timeouts` apply), `compute`
 * evaluates in the workflow, `wait` waits for time or a person (not counted against the run's
 * concurrency cap), `child` starts or runs sub-graphs, `output` sets the run's result.
 */
export type NodeKind = 'action' | 'compute' | 'wait' | 'child' | 'output';

/** What every node type declares; the designer, the validator, the docs and the interpreter read it. */
export interface NodeTypeDefinition<C extends z.ZodType> {
  type: string;
  label: string;
  /** Help text shown in the designer's palette and side panel. */
  description: string;
  kind: NodeKind;
  /** Builds the config schema; called once, lazily, by workflows/graph/configs.ts. */
  config: (z: Zod) => C;
  /** Output ports. A function when they depend on the config (switch cases). */
  outputs: readonly string[] | ((config: z.infer<C>) => string[]);
  /** The designer's starting config; must pass validation (tests/workflows/graph/registry.test.ts). */
  defaults: Record<string, unknown>;
  /** Activity time-outs of `action` nodes when the node sets none (Temporal duration strings). */
  timeouts?: { timeout: string; heartbeat?: string };
  /**
   * Config fields holding a bare JSONata expression. A field is a name or a dotted path into the
   * config, where `*` stands for every item of an array (or value of an object): `cases.*.expression`.
   */
  expressionFields: readonly string[];
  /** Config fields (names or paths, as above) whose strings may hold "{{ }}" templates (searched recursively). */
  templateFields: readonly string[];
  /** Duration fields of the config bounded at save (MAX_DURATION_MS); `what` names it in the problem. */
  durationFields?: readonly { field: string; what: string }[];
  /** Config fields holding a JSON Schema the user wrote, checked against the bounded subset (json-schema-bounds.ts). */
  jsonSchemaFields?: readonly string[];
  /** A config field holding an inline sub-graph: validated as a graph (nested), parsed with the graph. */
  subgraphField?: string;
  /**
   * The executor parses graphs (an inline sub-graph, or a saved workflow's graph for a child run):
   * runs with such a node load the graph schemas first (interpreter/node-runtime.ts loadGraphSchema).
   */
  parsesGraphs?: boolean;
  /**
   * The node may wait for a person's decision (the `decide` update): while it does, its state's
   * `waiting` says what is asked and which form fields the answer carries.
   */
  asksDecisions?: boolean;
}

/** Declares a node type (an identity function that keeps the config's schema type). */
export function defineNode<C extends z.ZodType>(definition: NodeTypeDefinition<C>): NodeTypeDefinition<C> {
  return definition;
}

/** The config type (defaults applied) of a node type definition. */
export type ConfigOf<D> = D extends NodeTypeDefinition<infer C> ? z.infer<C> : never;

/** Durations as people write them: "500ms", "30s", "5m", "2h", "1d". */
export const DURATION = /^\d+(\.\d+)?(ms|s|m|h|d)$/;
