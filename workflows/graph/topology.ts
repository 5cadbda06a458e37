// Graph order and cycles: pure and free of zod, so the workflow can import it without building
// the graph schemas (docs/decisions/030-inline-compute.md); validate.ts uses it too.
import type { Graph } from './schema.ts';

/** Topological order of node ids (Kahn); throws on a cycle. Stable: ties keep graph order. */
export function topologicalOrder(graph: Graph): string[] {
  const incoming = new Map(graph.nodes.map((n) => [n.id, 0]));
  for (const e of graph.edges) incoming.set(e.to, (incoming.get(e.to) ?? 0) + 1);
  const ready = graph.nodes.filter((n) => incoming.get(n.id) === 0).map((n) => n.id);
  const outgoing = new Map<string, string[]>();
  for (const e of graph.edges) push(outgoing, e.from, e.to);
  const order: string[] = [];
  while (ready.length > 0) {
    const id = ready.shift() as string;
    order.push(id);
    for (const to of outgoing.get(id) ?? []) {
      const left = (incoming.get(to) ?? 0) - 1;
      incoming.set(to, left);
      if (left === 0) ready.push(to);
    }
  }
  if (order.length !== graph.nodes.length) {
    const cycle = findCycles(
      graph.nodes.map((n) => n.id),
      graph.edges.map((e, index) => ({ ...e, index })),
    )[0];
    throw new Error(`cycle: ${(cycle?.path ?? []).join(' → ')}`);
  }
  return order;
}

export interface Link {
  from: string;
  to: string;
  index: number;
}

export interface Cycle {
  path: string[];
  /** Index of the edge that closes it. */
  edge: number;
  members: Set<string>;
}

/** One named cycle per strongly connected component that has one (Tarjan, iterative). */
export function findCycles(ids: string[], edges: readonly Link[]): Cycle[] {
  const known = new Set(ids);
  const next = new Map<string, { to: string; edge: number }[]>();
  for (const e of edges) {
    if (known.has(e.from) && known.has(e.to)) push(next, e.from, { to: e.to, edge: e.index });
  }
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const root of ids) {
    if (order.has(root)) continue;
    const work: { id: string; child: number }[] = [{ id: root, child: 0 }];
    order.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { id: string; child: number };
      const out = next.get(frame.id) ?? [];
      if (frame.child < out.length) {
        const to = (out[frame.child++] as { to: string }).to;
        if (!order.has(to)) {
          order.set(to, counter);
          low.set(to, counter++);
          stack.push(to);
          onStack.add(to);
          work.push({ id: to, child: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.id, Math.min(low.get(frame.id) as number, order.get(to) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id) as number, low.get(frame.id) as number));
      if (low.get(frame.id) === order.get(frame.id)) {
        const component: string[] = [];
        let id: string;
        do {
          id = stack.pop() as string;
          onStack.delete(id);
          component.push(id);
        } while (id !== frame.id);
        components.push(component);
      }
    }
  }
  const position = new Map(ids.map((id, i) => [id, i]));
  const cycles: Cycle[] = [];
  for (const component of components) {
    const members = new Set(component);
    const start = component.reduce((a, b) => ((position.get(a) as number) <= (position.get(b) as number) ? a : b));
    // Shortest way back to `start` inside the component (breadth first).
    const parent = new Map<string, string>();
    const queue = [start];
    const visited = new Set<string>();
    let closing: { from: string; edge: number } | undefined;
    while (queue.length > 0 && !closing) {
      const id = queue.shift() as string;
      for (const { to, edge } of next.get(id) ?? []) {
        if (to === start) {
          closing = { from: id, edge };
          break;
        }
        if (members.has(to) && !visited.has(to)) {
          visited.add(to);
          parent.set(to, id);
          queue.push(to);
        }
      }
    }
    if (!closing) continue; // a single node without a self-loop
    const path = [start];
    for (let id = closing.from; id !== start; id = parent.get(id) as string) path.splice(1, 0, id);
    path.push(start);
    cycles.push({ path, edge: closing.edge, members });
  }
  return cycles.sort((a, b) => a.edge - b.edge);
}

export function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
