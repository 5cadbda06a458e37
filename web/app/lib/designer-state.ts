// The designer's editing model: the graph being drawn, the selection, and undo/redo history.
// A pure reducer (no React, no DOM) so the logic that lives in the browser is tested directly.
import dagre from '@dagrejs/dagre';
import type { GraphInput, GraphSettings, NodeInput } from '../../../workflows/graph/schema.ts';
import type { GraphProblem } from '../../../workflows/graph/validate.ts';
import { nodeTypes, outputPorts, type NodeType } from '../../../workflows/graph/registry.ts';

export type DesignNode = NodeInput;
export interface DesignEdge {
  from: string;
  port?: string;
  to: string;
}
export interface DesignGraph {
  nodes: DesignNode[];
  edges: DesignEdge[];
  /** Per-run limits set through the API: kept as they are when the designer saves. */
  settings?: GraphSettings;
}

export interface DesignerState {
  graph: DesignGraph;
  past: DesignGraph[];
  future: DesignGraph[];
  selectedNodeId: string | null;
  /** True once the graph differs from the last saved (or loaded) one. */
  dirty: boolean;
  /** The graph when the current drag began: the drop makes one undo step back to it. */
  dragOrigin: DesignGraph | null;
}

export type DesignerAction =
  | { type: 'load'; graph: DesignGraph }
  | { type: 'saved' }
  | { type: 'addNode'; nodeType: NodeType; position: { x: number; y: number } }
  | { type: 'moveNodes'; moves: { id: string; position: { x: number; y: number } }[]; record: boolean }
  | { type: 'connect'; from: string; port?: string; to: string }
  /** One undo step for what one key press removes: nodes (with their edges) and edges. */
  | { type: 'delete'; nodeIds: string[]; edges?: DesignEdge[] }
  | { type: 'updateNode'; id: string; patch: Partial<Omit<DesignNode, 'id' | 'type'>> }
  | { type: 'renameNode'; id: string; newId: string }
  | { type: 'select'; id: string | null }
  | { type: 'autoLayout' }
  | { type: 'undo' }
  | { type: 'redo' };

/** Enough history for a long editing session, bounded so memory stays small. */
const HISTORY_LIMIT = 100;

export function initialState(graph: DesignGraph): DesignerState {
  return { graph: normalize(graph), past: [], future: [], selectedNodeId: null, dirty: false, dragOrigin: null };
}

function normalize(graph: DesignGraph): DesignGraph {
  return { nodes: graph.nodes ?? [], edges: graph.edges ?? [], ...(graph.settings ? { settings: graph.settings } : {}) };
}

/** A new graph in history: what undo returns to is the graph before this change. */
function commit(state: DesignerState, graph: DesignGraph, selectedNodeId = state.selectedNodeId): DesignerState {
  return { graph, past: [...state.past, state.graph].slice(-HISTORY_LIMIT), future: [], selectedNodeId, dirty: true, dragOrigin: null };
}

export function designerReducer(state: DesignerState, action: DesignerAction): DesignerState {
  const { graph } = state;
  switch (action.type) {
    case 'load':
      return initialState(action.graph);
    case 'saved':
      return { ...state, dirty: false };
    case 'addNode': {
      const id = nextNodeId(graph, action.nodeType);
      const node = { id, type: action.nodeType, config: defaultConfig(action.nodeType), position: action.position } as DesignNode;
      return commit(state, { ...graph, nodes: [...graph.nodes, node] }, id);
    }
    case 'moveNodes': {
      const moves = new Map(action.moves.map((move) => [move.id, move.position]));
      const nodes = graph.nodes.map((node) => (moves.has(node.id) ? { ...node, position: moves.get(node.id)! } : node));
      // Intermediate drag positions are not history: the drop (record) is one undo step back to
      // where the drag began.
      if (!action.record) return { ...state, graph: { ...graph, nodes }, dragOrigin: state.dragOrigin ?? graph };
      return commit({ ...state, graph: state.dragOrigin ?? graph }, { ...graph, nodes });
    }
    case 'connect': {
      if (action.from === action.to) return state;
      const port = action.port && action.port !== 'out' ? action.port : undefined;
      const exists = graph.edges.some((edge) => edge.from === action.from && edge.to === action.to && (edge.port ?? 'out') === (port ?? 'out'));
      if (exists) return state;
      const edge: DesignEdge = port ? { from: action.from, port, to: action.to } : { from: action.from, to: action.to };
      return commit(state, { ...graph, edges: [...graph.edges, edge] });
    }
    case 'delete': {
      const ids = new Set(action.nodeIds);
      const keys = new Set((action.edges ?? []).map(edgeKey));
      const nodes = graph.nodes.filter((node) => !ids.has(node.id));
      const edges = graph.edges.filter((edge) => !ids.has(edge.from) && !ids.has(edge.to) && !keys.has(edgeKey(edge)));
      if (nodes.length === graph.nodes.length && edges.length === graph.edges.length) return state;
      return commit(state, { ...graph, nodes, edges }, state.selectedNodeId && ids.has(state.selectedNodeId) ? null : state.selectedNodeId);
    }
    case 'updateNode': {
      const nodes = graph.nodes.map((node) => (node.id === action.id ? ({ ...node, ...action.patch } as DesignNode) : node));
      return commit(state, { ...graph, nodes });
    }
    case 'renameNode': {
      const newId = action.newId.trim();
      if (newId === action.id || !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(newId) || graph.nodes.some((node) => node.id === newId)) return state;
      const rename = (id: string) => (id === action.id ? newId : id);
      return commit(
        state,
        {
          ...graph,
          nodes: graph.nodes.map((node) => (node.id === action.id ? { ...node, id: newId } : node)),
          edges: graph.edges.map((edge) => ({ ...edge, from: rename(edge.from), to: rename(edge.to) })),
        },
        state.selectedNodeId === action.id ? newId : state.selectedNodeId,
      );
    }
    case 'select':
      return { ...state, selectedNodeId: action.id };
    case 'autoLayout':
      return commit(state, autoLayout(graph));
    case 'undo': {
      const previous = state.past.at(-1);
      if (!previous) return state;
      return { ...state, graph: previous, past: state.past.slice(0, -1), future: [state.graph, ...state.future], dirty: true, selectedNodeId: keepSelection(previous, state.selectedNodeId) };
    }
    case 'redo': {
      const next = state.future[0];
      if (!next) return state;
      return { ...state, graph: next, past: [...state.past, state.graph], future: state.future.slice(1), dirty: true, selectedNodeId: keepSelection(next, state.selectedNodeId) };
    }
    default: {
      const exhaustive: never = action;
      return exhaustive;
    }
  }
}

function keepSelection(graph: DesignGraph, id: string | null): string | null {
  return id && graph.nodes.some((node) => node.id === id) ? id : null;
}

export function edgeKey(edge: DesignEdge): string {
  return `${edge.from}:${edge.port ?? 'out'}->${edge.to}`;
}

/** "http_1", "http_2" …: the first free id for a type. */
export function nextNodeId(graph: DesignGraph, type: string): string {
  const taken = new Set(graph.nodes.map((node) => node.id));
  for (let n = 1; ; n++) if (!taken.has(`${type}_${n}`)) return `${type}_${n}`;
}

/** The config a new node starts with: its type's `defaults` (they validate: tests/workflows/graph/registry.test.ts), a fresh copy. */
export function defaultConfig(type: NodeType): Record<string, unknown> {
  return JSON.parse(JSON.stringify(nodeTypes[type].defaults)) as Record<string, unknown>;
}

/** Output ports a node shows: its type's ports for its config, plus "error" when errors are routed. */
export function portsOf(node: DesignNode): string[] {
  let ports: string[];
  try {
    ports = outputPorts(node.type, node.config);
  } catch {
    ports = []; // a config too broken to derive ports from (switch without cases)
  }
  return node.onError === 'route' ? [...ports, 'error'] : ports;
}

export function isNodeType(value: string): value is NodeType {
  return Object.hasOwn(nodeTypes, value);
}

/** Left-to-right layered layout (dagre): sources on the left, each rank a column. */
export function autoLayout(graph: DesignGraph): DesignGraph {
  const layout = new dagre.graphlib.Graph();
  layout.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 80 });
  layout.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) layout.setNode(node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const edge of graph.edges) if (layout.hasNode(edge.from) && layout.hasNode(edge.to)) layout.setEdge(edge.from, edge.to);
  dagre.layout(layout);
  return {
    ...graph,
    nodes: graph.nodes.map((node) => {
      const placed = layout.node(node.id);
      return { ...node, position: { x: Math.round(placed.x - NODE_WIDTH / 2), y: Math.round(placed.y - NODE_HEIGHT / 2) } };
    }),
  };
}

export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 72;

/** Problems from validate() grouped by the node they concern; the rest are graph-level. */
export function problemsByNode(graph: DesignGraph, problems: GraphProblem[]): { byNode: Map<string, GraphProblem[]>; general: GraphProblem[] } {
  const byNode = new Map<string, GraphProblem[]>();
  const general: GraphProblem[] = [];
  for (const problem of problems) {
    const match = /^(?:graph\.)?(nodes|edges)\.(\d+)(?:\.|$)/.exec(problem.path);
    const index = match ? Number(match[2]) : -1;
    const nodeId = match?.[1] === 'nodes' ? graph.nodes[index]?.id : match?.[1] === 'edges' ? graph.edges[index]?.from : undefined;
    if (nodeId === undefined) {
      general.push(problem);
      continue;
    }
    const list = byNode.get(nodeId) ?? [];
    list.push(problem);
    byNode.set(nodeId, list);
  }
  return { byNode, general };
}

/** The graph to save: GraphInput as the API takes it. */
export function toGraphInput(graph: DesignGraph): GraphInput {
  return { nodes: graph.nodes, edges: graph.edges, ...(graph.settings ? { settings: graph.settings } : {}) };
}
