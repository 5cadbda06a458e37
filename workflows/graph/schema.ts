import { z } from 'zod';
import { OutputConfig } from './nodes/output.ts';
import { TransformConfig } from './nodes/transform.ts';

export const NodeId = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must start with a letter or _ and hold only letters, digits and _ (max 64)');

const nodeBase = {
  id: NodeId,
  label: z.string().max(200).optional(),
  position: z.object({ x: z.number(), y: z.number() }).optional(),
};

export const Node = z.discriminatedUnion('type', [
  z.object({ ...nodeBase, type: z.literal('transform'), config: TransformConfig }),
  z.object({ ...nodeBase, type: z.literal('output'), config: OutputConfig }),
]);
export type Node = z.infer<typeof Node>;

export const Edge = z.object({
  from: NodeId,
  port: z.string().optional(),
  to: NodeId,
});
export type Edge = z.infer<typeof Edge>;

export const Graph = z.object({
  nodes: z.array(Node).min(1, 'a graph needs at least one node'),
  edges: z.array(Edge).default([]),
});
export type Graph = z.infer<typeof Graph>;
