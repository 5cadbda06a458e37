// @lane unit
// The designer's editing model: add, connect, delete, rename, drag, undo/redo, and how
// validation problems land on nodes.
import { validate } from '../../workflows/graph/validate.ts';
import { designerReducer, initialState, portsOf, problemsByNode, toGraphInput, type DesignGraph, type DesignerAction, type DesignerState } from '../../web/app/lib/designer-state.ts';

const empty: DesignGraph = { nodes: [], edges: [] };
const run = (state: DesignerState, ...actions: DesignerAction[]) => actions.reduce(designerReducer, state);
const at = { x: 0, y: 0 };

describe('designer state', () => {
  it('adds nodes with unique ids, selects the new one, and makes a valid graph once connected', () => {
    const state = run(initialState(empty), { type: 'addNode', nodeType: 'http', position: at }, { type: 'addNode', nodeType: 'http', position: at }, { type: 'addNode', nodeType: 'output', position: at });
    expect(state.graph.nodes.map((n) => n.id)).toEqual(['http_1', 'http_2', 'output_1']);
    expect(state.selectedNodeId).toBe('output_1');
    expect(state.dirty).toBe(true);
    const connected = run(state, { type: 'connect', from: 'http_1', port: 'out', to: 'http_2' }, { type: 'connect', from: 'http_2', to: 'output_1' });
    expect(connected.graph.edges).toEqual([{ from: 'http_1', to: 'http_2' }, { from: 'http_2', to: 'output_1' }]);
    expect(validate(toGraphInput(connected.graph))).toEqual([]);
  });

  it('keeps ports of branching nodes on their edges and ignores duplicate and self connections', () => {
    let state = run(initialState(empty), { type: 'addNode', nodeType: 'condition', position: at }, { type: 'addNode', nodeType: 'output', position: at });
    state = run(state, { type: 'connect', from: 'condition_1', port: 'true', to: 'output_1' }, { type: 'connect', from: 'condition_1', port: 'true', to: 'output_1' }, { type: 'connect', from: 'output_1', to: 'output_1' });
    expect(state.graph.edges).toEqual([{ from: 'condition_1', port: 'true', to: 'output_1' }]);
    expect(portsOf(state.graph.nodes[0]!)).toEqual(['true', 'false']);
    const routed = run(state, { type: 'updateNode', id: 'condition_1', patch: { onError: 'route' } });
    expect(portsOf(routed.graph.nodes[0]!)).toEqual(['true', 'false', 'error']);
  });

  it('deleting a node removes its edges; undo brings both back and redo removes them again', () => {
    const built = run(initialState(empty), { type: 'addNode', nodeType: 'transform', position: at }, { type: 'addNode', nodeType: 'output', position: at }, { type: 'connect', from: 'transform_1', to: 'output_1' });
    const deleted = run(built, { type: 'delete', nodeIds: ['transform_1'] });
    expect(deleted.graph.nodes.map((n) => n.id)).toEqual(['output_1']);
    expect(deleted.graph.edges).toEqual([]);
    const undone = run(deleted, { type: 'undo' });
    expect(undone.graph).toEqual(built.graph);
    const redone = run(undone, { type: 'redo' });
    expect(redone.graph).toEqual(deleted.graph);
    // A node and an edge removed by one key press are one undo step.
    const both = run(run(built, { type: 'addNode', nodeType: 'delay', position: at }), { type: 'delete', nodeIds: ['delay_1'], edges: [{ from: 'transform_1', to: 'output_1' }] });
    expect(both.graph.edges).toEqual([]);
    expect(run(both, { type: 'undo' }).graph.edges).toEqual([{ from: 'transform_1', to: 'output_1' }]);
    expect(run(both, { type: 'undo' }).graph.nodes.map((n) => n.id)).toContain('delay_1');
    // A new edit after undo drops the redo branch.
    const branched = run(undone, { type: 'addNode', nodeType: 'delay', position: at });
    expect(branched.future).toEqual([]);
    expect(run(branched, { type: 'redo' }).graph).toEqual(branched.graph);
  });

  it('a whole drag is one undo step back to where it began', () => {
    const placed = run(initialState(empty), { type: 'addNode', nodeType: 'output', position: { x: 10, y: 10 } });
    const dragged = run(
      placed,
      { type: 'moveNodes', moves: [{ id: 'output_1', position: { x: 20, y: 20 } }], record: false },
      { type: 'moveNodes', moves: [{ id: 'output_1', position: { x: 30, y: 30 } }], record: false },
      { type: 'moveNodes', moves: [{ id: 'output_1', position: { x: 40, y: 40 } }], record: true },
    );
    expect(dragged.graph.nodes[0]!.position).toEqual({ x: 40, y: 40 });
    expect(dragged.past).toHaveLength(placed.past.length + 1);
    expect(run(dragged, { type: 'undo' }).graph.nodes[0]!.position).toEqual({ x: 10, y: 10 });
  });

  it('renames a node and its edges, refusing invalid or taken ids', () => {
    const built = run(initialState(empty), { type: 'addNode', nodeType: 'transform', position: at }, { type: 'addNode', nodeType: 'output', position: at }, { type: 'connect', from: 'transform_1', to: 'output_1' });
    const renamed = run(built, { type: 'renameNode', id: 'transform_1', newId: 'shape' });
    expect(renamed.graph.edges).toEqual([{ from: 'shape', to: 'output_1' }]);
    expect(run(renamed, { type: 'renameNode', id: 'shape', newId: 'output_1' })).toBe(renamed);
    expect(run(renamed, { type: 'renameNode', id: 'shape', newId: '9 bad' })).toBe(renamed);
  });

  it('auto-layout places nodes left to right along the edges', () => {
    const built = run(initialState(empty), { type: 'addNode', nodeType: 'http', position: at }, { type: 'addNode', nodeType: 'transform', position: at }, { type: 'addNode', nodeType: 'output', position: at }, { type: 'connect', from: 'http_1', to: 'transform_1' }, { type: 'connect', from: 'transform_1', to: 'output_1' }, { type: 'autoLayout' });
    const x = Object.fromEntries(built.graph.nodes.map((n) => [n.id, n.position!.x]));
    expect(x.http_1!).toBeLessThan(x.transform_1!);
    expect(x.transform_1!).toBeLessThan(x.output_1!);
  });

  it('maps validation problems to the nodes they concern, edge problems to the edge source', () => {
    const graph: DesignGraph = {
      nodes: [
        { id: 'check', type: 'condition', config: { expression: 'input.x >' } },
        { id: 'done', type: 'output', config: { value: 1 } },
      ],
      edges: [{ from: 'check', port: 'maybe', to: 'done' }],
    };
    const { byNode, general } = problemsByNode(graph, validate(graph));
    expect(byNode.get('check')!.map((p) => p.path).sort()).toEqual(['edges.0.port', 'nodes.0.config.expression']);
    expect(byNode.has('done')).toBe(false);
    expect(general).toEqual([]);
    expect(problemsByNode(graph, [{ path: '', message: 'whole graph' }]).general).toHaveLength(1);
  });
});
