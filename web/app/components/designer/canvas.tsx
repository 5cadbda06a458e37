// The graph on a React Flow canvas, shared by the designer (editable) and the run view
// (read-only, nodes coloured by live status). Graph nodes become flow nodes with one input
// handle and one output handle per port; edges carry their port as the source handle.
import {
  Background, Controls, Handle, Position, ReactFlow, useReactFlow, useStoreApi, useUpdateNodeInternals,
  type Connection, type Edge, type Node, type NodeChange, type NodeProps, type EdgeChange,
} from '@xyflow/react';
import { memo, useCallback, useEffect, useMemo, useState, type DragEvent } from 'react';
import type { GraphProblem } from '../../../../workflows/graph/validate.ts';
import type { NodeStatus } from '../../../../workflows/interpreter/state.ts';
import { edgeKey, isNodeType, NODE_HEIGHT, NODE_WIDTH, portsOf, type DesignEdge, type DesignGraph, type DesignNode } from '../../lib/designer-state.ts';
import { cx } from '../ui.tsx';

export interface FlowNodeData extends Record<string, unknown> {
  node: DesignNode;
  ports: string[];
  problems: GraphProblem[];
  status?: NodeStatus;
  /** AI tokens or map progress, shown under the label while a run is live. */
  activity?: string;
}
export type FlowNode = Node<FlowNodeData, 'trellis'>;

const statusRing: Record<NodeStatus, string> = {
  pending: 'border-slate-300 dark:border-slate-700',
  running: 'border-blue-500 ring-2 ring-blue-300 dark:ring-blue-800 animate-pulse',
  succeeded: 'border-green-600 bg-green-50 dark:bg-green-950',
  failed: 'border-red-600 bg-red-50 dark:bg-red-950',
  skipped: 'border-slate-300 opacity-60 border-dashed dark:border-slate-700',
  waiting: 'border-amber-500 bg-amber-50 ring-2 ring-amber-300 dark:bg-amber-950 dark:ring-amber-800',
  cancelled: 'border-slate-500 bg-slate-100 dark:bg-slate-800',
};

const portColour: Record<string, string> = { error: '!bg-red-500', false: '!bg-slate-500', rejected: '!bg-red-400', timed_out: '!bg-amber-500', true: '!bg-green-600', approved: '!bg-green-600' };

export const TrellisNode = memo(function TrellisNode({ data, selected }: NodeProps<FlowNode>) {
  const { node, ports, problems, status, activity } = data;
  const invalid = problems.length > 0;
  return (
    <div
      data-testid={`node-${node.id}`}
      data-status={status ?? ''}
      data-invalid={invalid ? 'true' : 'false'}
      style={{ width: NODE_WIDTH, minHeight: NODE_HEIGHT }}
      className={cx(
        'rounded-lg border-2 bg-white px-3 py-2 text-left shadow-sm dark:bg-slate-900',
        status ? statusRing[status] : 'border-slate-300 dark:border-slate-700',
        invalid && 'border-red-500! ring-2 ring-red-300 dark:ring-red-900',
        selected && 'outline-2 outline-offset-2 outline-brand-500',
      )}
      title={invalid ? problems.map((p) => p.message).join('\n') : undefined}
    >
      <Handle type="target" position={Position.Left} id="in" className="!h-3 !w-3 !bg-slate-400" />
      <div className="flex items-center justify-between gap-2">
        <span className="text-[10px] font-semibold tracking-wide text-slate-500 uppercase">{node.type}</span>
        {status && <span className="text-[10px] font-medium text-slate-600 dark:text-slate-300">{status}</span>}
      </div>
      <div className="truncate text-sm font-medium">{node.label || node.id}</div>
      {invalid && (
        <div className="mt-1 truncate text-xs text-red-600 dark:text-red-400" role="note">
          ⚠ {problems[0]!.message}
          {problems.length > 1 ? ` (+${problems.length - 1})` : ''}
        </div>
      )}
      {activity && <div className="mt-1 line-clamp-2 text-xs text-slate-600 dark:text-slate-400">{activity}</div>}
      {ports.map((port, index) => (
        <Handle
          key={port}
          type="source"
          position={Position.Right}
          id={port}
          style={{ top: `${((index + 1) / (ports.length + 1)) * 100}%` }}
          className={cx('!h-3 !w-3 !bg-brand-500', portColour[port])}
          title={port}
        >
          {ports.length > 1 && <span className="pointer-events-none absolute left-3 -translate-y-1/2 text-[10px] text-slate-500">{port}</span>}
        </Handle>
      ))}
    </div>
  );
});

const nodeTypesMap = { trellis: TrellisNode };

type Size = { width: number; height: number };

export function toFlowNodes(graph: DesignGraph, options: { problems?: Map<string, GraphProblem[]>; statuses?: Record<string, NodeStatus | undefined>; activity?: Record<string, string | undefined>; selectedId?: string | null; sizes?: Record<string, Size> }): FlowNode[] {
  return graph.nodes.map((node, index) => ({
    id: node.id,
    type: 'trellis',
    position: node.position ?? { x: index * (NODE_WIDTH + 60), y: 0 },
    ...(options.sizes?.[node.id] ? { measured: options.sizes[node.id] } : {}),
    selected: node.id === options.selectedId,
    data: { node, ports: portsOf(node), problems: options.problems?.get(node.id) ?? [], status: options.statuses?.[node.id], activity: options.activity?.[node.id] },
  }));
}

export function toFlowEdges(graph: DesignGraph, taken?: Set<string>): Edge[] {
  return graph.edges.map((edge) => {
    const port = edge.port ?? 'out';
    const key = edgeKey(edge);
    return {
      id: key,
      source: edge.from,
      sourceHandle: port,
      target: edge.to,
      targetHandle: 'in',
      animated: taken?.has(key),
      data: { edge },
      className: port === 'error' ? 'stroke-red-500' : undefined,
    };
  });
}

export interface CanvasProps {
  graph: DesignGraph;
  problems?: Map<string, GraphProblem[]>;
  statuses?: Record<string, NodeStatus | undefined>;
  activity?: Record<string, string | undefined>;
  takenEdges?: Set<string>;
  selectedId?: string | null;
  readOnly?: boolean;
  onSelect?: (id: string | null) => void;
  onMove?: (moves: { id: string; position: { x: number; y: number } }[], done: boolean) => void;
  onConnect?: (edge: DesignEdge) => void;
  onDelete?: (removed: { nodeIds: string[]; edges: DesignEdge[] }) => void;
  onDropType?: (type: string, position: { x: number; y: number }) => void;
  /** Changing this number fits the whole graph into view (after auto-layout). */
  fitSignal?: number;
}

/** Must render inside a <ReactFlowProvider> (drop positions need the viewport). */
export function Canvas(props: CanvasProps) {
  const { graph, readOnly } = props;
  const flow = useReactFlow();
  // React Flow hides a node (visibility: hidden) until it has measured it, and a node object
  // without `measured` makes it forget the measurement. Rebuilding the objects on every live
  // status change without it hid every node each time, and when such an object landed in the
  // same render as the re-measurement the node was never measured again: hidden for good (the
  // browser suite saw a "succeeded" node that never became visible). So every object handed over
  // carries the size React Flow reported for it.
  const [sizes, setSizes] = useState<Record<string, Size>>({});
  const nodes = useMemo(() => toFlowNodes(graph, { ...props, sizes }), [graph, props.problems, props.statuses, props.activity, props.selectedId, sizes]);
  const store = useStoreApi<FlowNode>();
  const updateNodeInternals = useUpdateNodeInternals();
  useEffect(() => {
    // Backstop for that race on a first measurement: a node with a size but no handle positions
    // (edges attach to handles) is measured again.
    const stale = [...store.getState().nodeLookup.values()].filter((n) => !n.hidden && n.measured.width && !n.internals.handleBounds).map((n) => n.id);
    if (stale.length > 0) updateNodeInternals(stale);
  }, [nodes, store, updateNodeInternals]);
  const edges = useMemo(() => toFlowEdges(graph, props.takenEdges), [graph, props.takenEdges]);
  useEffect(() => {
    // After the new positions have rendered.
    if (props.fitSignal) requestAnimationFrame(() => void flow.fitView({ padding: 0.2, maxZoom: 1.2 }));
  }, [props.fitSignal, flow]);
  useEffect(() => {
    // A read-only graph (run view) keeps fitting its box when the window changes size (a phone
    // turned, a window resized); the designer keeps the user's own zoom.
    if (!readOnly) return;
    const onResize = () => void flow.fitView({ padding: 0.2, maxZoom: 1.2 });
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, [readOnly, flow]);

  const onNodesChange = useCallback(
    (changes: NodeChange<FlowNode>[]) => {
      const moves: { id: string; position: { x: number; y: number } }[] = [];
      const measured: Record<string, Size> = {};
      let done = false;
      for (const change of changes) {
        if (change.type === 'dimensions' && change.dimensions) {
          measured[change.id] = { width: change.dimensions.width, height: change.dimensions.height };
        } else if (change.type === 'position' && change.position) {
          moves.push({ id: change.id, position: change.position });
          if (!change.dragging) done = true;
        } else if (change.type === 'position' && change.dragging === false) {
          done = true;
        } else if (change.type === 'select' && change.selected) {
          props.onSelect?.(change.id);
        }
      }
      if (Object.keys(measured).length > 0) {
        setSizes((current) =>
          Object.entries(measured).every(([id, size]) => current[id]?.width === size.width && current[id]?.height === size.height) ? current : { ...current, ...measured },
        );
      }
      if (moves.length > 0 || done) props.onMove?.(moves, done);
    },
    [props],
  );

  const onEdgesChange = useCallback((_changes: EdgeChange[]) => {
    // Edge deletions arrive through onEdgesDelete; selection needs no state of ours.
  }, []);

  const onDrop = useCallback(
    (event: DragEvent) => {
      event.preventDefault();
      const type = event.dataTransfer.getData('application/x-trellis-node');
      if (!type || !isNodeType(type)) return;
      const position = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      props.onDropType?.(type, { x: Math.round(position.x - NODE_WIDTH / 2), y: Math.round(position.y - NODE_HEIGHT / 2) });
    },
    [flow, props],
  );

  return (
    <ReactFlow<FlowNode>
      nodes={nodes}
      edges={edges}
      nodeTypes={nodeTypesMap}
      onNodesChange={onNodesChange}
      onEdgesChange={onEdgesChange}
      onConnect={(connection: Connection) => props.onConnect?.({ from: connection.source, port: connection.sourceHandle ?? undefined, to: connection.target })}
      onDelete={({ nodes: removedNodes, edges: removedEdges }) =>
        props.onDelete?.({ nodeIds: removedNodes.map((n) => n.id), edges: removedEdges.map((edge) => (edge.data as { edge: DesignEdge }).edge) })
      }
      onPaneClick={() => props.onSelect?.(null)}
      onNodeClick={(_event, node) => props.onSelect?.(node.id)}
      onDrop={onDrop}
      onDragOver={(event) => {
        event.preventDefault();
        event.dataTransfer.dropEffect = 'move';
      }}
      nodesDraggable={!readOnly}
      nodesConnectable={!readOnly}
      elementsSelectable
      deleteKeyCode={readOnly ? null : ['Delete', 'Backspace']}
      fitView
      fitViewOptions={{ padding: 0.2, maxZoom: 1.2 }}
      minZoom={0.2}
      proOptions={{ hideAttribution: true }}
    >
      <Background />
      <Controls showInteractive={false} />
    </ReactFlow>
  );
}
