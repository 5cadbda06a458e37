import { z } from 'zod';
import { configSchema, type ConfigSchemaOf } from './configs.ts';
import { duration, onError, retryPolicy } from './nodes/common.ts';
import { NODE_TYPES, type NodeType } from './registry.ts';

export const Duration = duration(z);
export const RetryPolicy = retryPolicy(z);
export const OnError = onError(z);

/** Limits that keep one graph from hurting the service (plans may lower them). */
export const LIMITS = { nodes: 500, edges: 2_000, expressionLength: 10_000 } as const;

export const NodeId = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must start with a letter or _ and hold only letters, digits and _ (max 64)');

const nodeBase = {
  id: NodeId,
  label: z.string().max(200).optional(),
  position: z.object({ x: z.number(), y: z.number() }).optional(),
  retry: RetryPolicy.optional(),
  timeout: Duration.optional(),
  onError: OnError.default('fail'),
};

/** The schema of one node of type T: the fields every node has, its type, its config. */
type NodeSchemaOf<T extends NodeType> = z.ZodObject<typeof nodeBase & { type: z.ZodLiteral<T>; config: ConfigSchemaOf<T> }>;
type AnyNodeSchema = { [T in NodeType]: NodeSchemaOf<T> }[NodeType];

const nodeSchema = <T extends NodeType>(type: T): NodeSchemaOf<T> =>
  z.object({ ...nodeBase, type: z.literal(type), config: configSchema(type) }) as unknown as NodeSchemaOf<T>;

/** A node of any registered type (the registry is the one list of types). */
export const Node = z.discriminatedUnion('type', NODE_TYPES.map(nodeSchema) as [AnyNodeSchema, ...AnyNodeSchema[]]);
export type Node = z.infer<typeof Node>;
export type NodeInput = z.input<typeof Node>;

export const Edge = z.object({
  from: NodeId,
  /** Output port of `from`; omitted means the node's only port ("out") — or, for every type, "error" when onError is "route". */
  port: z.string().optional().describe('Output port of `from`; omitted: its only port ("out"), or "error" when onError is "route"'),
  to: NodeId,
});
export type Edge = z.infer<typeof Edge>;

/** Per-run limits a graph sets for itself; over one, an AI node fails instead of calling the model. */
export const GraphSettings = z
  .object({
    /** AI tokens (prompt + completion) one run may use, all its AI nodes together. */
    maxAiTokens: z.number().int().positive().max(1_000_000_000).optional(),
    /** US dollars of AI spend one run may use (priced as the usage page shows it). */
    maxCostUsd: z.number().positive().max(1_000_000).optional(),
  })
  .strict();
export type GraphSettings = z.infer<typeof GraphSettings>;

export const Graph = z.object({
  nodes: z.array(Node).min(1, 'a graph needs at least one node').max(LIMITS.nodes, `a graph may have at most ${LIMITS.nodes} nodes`),
  edges: z.array(Edge).max(LIMITS.edges).default([]),
  settings: GraphSettings.optional(),
});
export type Graph = z.infer<typeof Graph>;
/** A graph as people write it (defaults not yet applied). */
export type GraphInput = z.input<typeof Graph>;
