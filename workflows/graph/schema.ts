import { z } from 'zod';
import { AiConfig } from './nodes/ai.ts';
import { ApprovalConfig } from './nodes/approval.ts';
import { Duration, OnError, RetryPolicy } from './nodes/common.ts';
import { ConditionConfig } from './nodes/condition.ts';
import { DelayConfig } from './nodes/delay.ts';
import { HttpConfig } from './nodes/http.ts';
import { MapConfig } from './nodes/map.ts';
import { MergeConfig } from './nodes/merge.ts';
import { OutputConfig } from './nodes/output.ts';
import { SubworkflowConfig } from './nodes/subworkflow.ts';
import { SwitchConfig } from './nodes/switch.ts';
import { TransformConfig } from './nodes/transform.ts';

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

export const Node = z.discriminatedUnion('type', [
  z.object({ ...nodeBase, type: z.literal('http'), config: HttpConfig }),
  z.object({ ...nodeBase, type: z.literal('ai'), config: AiConfig }),
  z.object({ ...nodeBase, type: z.literal('transform'), config: TransformConfig }),
  z.object({ ...nodeBase, type: z.literal('condition'), config: ConditionConfig }),
  z.object({ ...nodeBase, type: z.literal('switch'), config: SwitchConfig }),
  z.object({ ...nodeBase, type: z.literal('merge'), config: MergeConfig }),
  z.object({ ...nodeBase, type: z.literal('delay'), config: DelayConfig }),
  z.object({ ...nodeBase, type: z.literal('approval'), config: ApprovalConfig }),
  z.object({ ...nodeBase, type: z.literal('map'), config: MapConfig }),
  z.object({ ...nodeBase, type: z.literal('subworkflow'), config: SubworkflowConfig }),
  z.object({ ...nodeBase, type: z.literal('output'), config: OutputConfig }),
]);
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
