// The executor table: one executor per node type (executors/<type>.ts). `satisfies` makes the
// compiler demand one for every type in the registry (docs/decisions/038-node-type-as-one-unit.md).
import type { NodeType } from '../../graph/registry.ts';
import type { Node } from '../../graph/schema.ts';
import type { GraphExecution, NodeResult } from '../engine.ts';
import type { Executor, RunRuntime } from '../node-runtime.ts';
import { agent } from './agent.ts';
import { ai } from './ai.ts';
import { approval } from './approval.ts';
import { condition } from './condition.ts';
import { delay } from './delay.ts';
import { http } from './http.ts';
import { map } from './map.ts';
import { merge } from './merge.ts';
import { output } from './output.ts';
import { subworkflow } from './subworkflow.ts';
import { switchNode } from './switch.ts';
import { transform } from './transform.ts';

export const executors = {
  http,
  ai,
  agent,
  transform,
  condition,
  switch: switchNode,
  merge,
  delay,
  approval,
  map,
  subworkflow,
  output,
} satisfies { [T in NodeType]: Executor<T> };

export function executeNode(node: Node, execution: GraphExecution, runtime: RunRuntime): Promise<NodeResult> {
  // The cast is safe: `node.type` selects the executor written for exactly that node type.
  const executor = executors[node.type] as Executor<NodeType>;
  return executor(node as never, execution, runtime);
}
