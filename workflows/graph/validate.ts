import { expressionProblem, templateExpressions } from './expressions.ts';
import { nodeTypes } from './registry.ts';
import { Graph } from './schema.ts';

export interface GraphProblem {
  path: string;
  message: string;
}

/** Every problem of a graph, each with the JSON path it concerns. An empty list means valid. */
export function validate(candidate: unknown): GraphProblem[] {
  const parsed = Graph.safeParse(candidate);
  if (!parsed.success) {
    return parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  }
  const graph = parsed.data;
  const problems: GraphProblem[] = [];
  const index = new Map<string, number>();
  graph.nodes.forEach((node, i) => {
    if (index.has(node.id)) problems.push({ path: `nodes.${i}.id`, message: `duplicate node id "${node.id}"` });
    else index.set(node.id, i);
    const definition = nodeTypes[node.type];
    const config = node.config as Record<string, unknown>;
    for (const field of definition.expressionFields) {
      const problem = typeof config[field] === 'string' ? expressionProblem(config[field]) : undefined;
      if (problem) problems.push({ path: `nodes.${i}.config.${field}`, message: `invalid expression: ${problem}` });
    }
    for (const field of definition.templateFields) {
      for (const [path, text] of strings(config[field], `nodes.${i}.config.${field}`)) {
        for (const expression of templateExpressions(text)) {
          const problem = expressionProblem(expression);
          if (problem) problems.push({ path, message: `invalid expression {{ ${expression} }}: ${problem}` });
        }
      }
    }
  });
  graph.edges.forEach((edge, i) => {
    for (const end of ['from', 'to'] as const) {
      if (!index.has(edge[end])) problems.push({ path: `edges.${i}.${end}`, message: `unknown node "${edge[end]}"` });
    }
    const from = graph.nodes[index.get(edge.from) ?? -1];
    if (from && edge.port !== undefined && !(nodeTypes[from.type].outputs as readonly string[]).includes(edge.port)) {
      problems.push({ path: `edges.${i}.port`, message: `node "${edge.from}" has no output port "${edge.port}"` });
    }
  });
  const cycle = findCycle(graph);
  if (cycle) problems.push({ path: 'edges', message: `cycle: ${cycle.join(' → ')}` });
  return problems;
}

function* strings(value: unknown, path: string): Generator<[string, string]> {
  if (typeof value === 'string') yield [path, value];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* strings(v, `${path}.${i}`);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) yield* strings(v, `${path}.${k}`);
}

/** Topological order of node ids (Kahn); throws on a cycle. Stable: ties keep graph order. */
export function topologicalOrder(graph: Graph): string[] {
  const incoming = new Map(graph.nodes.map((n) => [n.id, 0]));
  for (const e of graph.edges) incoming.set(e.to, (incoming.get(e.to) ?? 0) + 1);
  const ready = graph.nodes.filter((n) => incoming.get(n.id) === 0).map((n) => n.id);
  const order: string[] = [];
  while (ready.length > 0) {
    const id = ready.shift() as string;
    order.push(id);
    for (const e of graph.edges) {
      if (e.from !== id) continue;
      const left = (incoming.get(e.to) ?? 0) - 1;
      incoming.set(e.to, left);
      if (left === 0) ready.push(e.to);
    }
  }
  if (order.length !== graph.nodes.length) throw new Error(`cycle: ${(findCycle(graph) ?? []).join(' → ')}`);
  return order;
}

function findCycle(graph: Graph): string[] | undefined {
  const next = new Map<string, string[]>();
  for (const e of graph.edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const to of next.get(id) ?? []) {
      const found = visit(to);
      if (found) return found;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const node of graph.nodes) {
    const found = visit(node.id);
    if (found) return found;
  }
  return undefined;
}
