// The scheduler: runs the nodes of one graph as their inputs resolve, independent branches in
// parallel, with skip propagation, merge joins, a concurrency cap and fail-fast cancellation.
// Deterministic: it only reacts to Temporal-driven promise resolutions, in topological order.
import { CancellationScope, condition, isCancellation } from '@temporalio/workflow';
import type { ExpressionContext } from '../graph/expressions.ts';
import { kindOf, outputPorts } from '../graph/registry.ts';
import type { Edge, Graph, Node } from '../graph/schema.ts';
import { topologicalOrder } from '../graph/topology.ts';
import { isBlobRef, type NodeError, type NodeState, type RunState } from './state.ts';

/** What an executor returns: the node's output and the ports it takes. */
export interface NodeResult {
  output: unknown;
  ports?: string[];
}

export type NodeExecutor = (node: Node, execution: GraphExecution) => Promise<NodeResult>;

export interface ExecutionOptions {
  graph: Graph;
  /** Expression context without `steps` (input, run, item). */
  context: Omit<ExpressionContext, 'steps'>;
  /** The state object the query exposes; node entries are created for every node. */
  nodes: RunState['nodes'];
  execute: NodeExecutor;
  /** Classifies an executor failure. */
  describeError: (error: unknown) => NodeError;
  maxConcurrency: number;
  /** Nodes already finished (rerun seed, or state carried over continue-as-new). */
  finished?: Record<string, NodeState>;
  /** Asked when nothing is in flight; true pauses the execution (for continue-as-new). */
  shouldPause?: () => boolean;
  /** Where this execution sits: "" for the run's graph, "mapNode[3]" for a map item's sub-graph. */
  path?: string;
  /** Map item index (0 otherwise); part of the HTTP idempotency key. */
  iteration?: number;
  /** Told about every node state change (live events); executors call `reportChange` for theirs. */
  onChange?: (nodeId: string, state: NodeState, node?: Node) => void;
}

export type ExecutionOutcome =
  | { kind: 'completed' }
  | { kind: 'failed'; nodeId: string; error: NodeError }
  | { kind: 'paused' };

type EdgeState = 'pending' | 'active' | 'dead';

export class GraphExecution {
  readonly graph: Graph;
  readonly nodes: RunState['nodes'];
  readonly context: ExpressionContext;
  readonly iteration: number;
  private readonly path: string;
  private readonly options: ExecutionOptions;
  private readonly byId: Map<string, Node>;
  private readonly order: string[];
  private readonly incoming = new Map<string, number[]>();
  private readonly outgoing = new Map<string, number[]>();
  private readonly edgeStates: EdgeState[];
  private readonly running = new Map<string, { scope: CancellationScope; waiting: boolean }>();
  private readonly cancelRequested = new Set<string>();
  private failure: { nodeId: string; error: NodeError } | undefined;
  private dirty = false;

  constructor(options: ExecutionOptions) {
    this.options = options;
    this.graph = options.graph;
    this.nodes = options.nodes;
    this.context = { ...options.context, steps: {} };
    this.path = options.path ?? '';
    this.iteration = options.iteration ?? 0;
    this.byId = new Map(options.graph.nodes.map((n) => [n.id, n]));
    this.order = topologicalOrder(options.graph);
    this.edgeStates = options.graph.edges.map(() => 'pending');
    options.graph.edges.forEach((edge, i) => {
      this.incoming.set(edge.to, [...(this.incoming.get(edge.to) ?? []), i]);
      this.outgoing.set(edge.from, [...(this.outgoing.get(edge.from) ?? []), i]);
    });
    for (const node of options.graph.nodes) {
      this.nodes[node.id] ??= { status: 'pending', attempts: 0 };
    }
  }

  /** A node's id qualified by where this execution sits (unique across map items). */
  pathOf(nodeId: string): string {
    return this.path ? `${this.path}.${nodeId}` : nodeId;
  }

  /** Executors report in-flight changes (waiting for approval, map progress) through this. */
  reportChange(nodeId: string) {
    const state = this.nodes[nodeId];
    if (state) this.options.onChange?.(this.pathOf(nodeId), state, this.byId.get(nodeId));
  }

  node(id: string): Node | undefined {
    return this.byId.get(id);
  }

  /** Incoming edges of a node that carry a value (their source ran and took that port). */
  activeInputs(nodeId: string): Edge[] {
    return (this.incoming.get(nodeId) ?? []).filter((i) => this.edgeStates[i] === 'active').map((i) => this.graph.edges[i] as Edge);
  }

  isInFlight(): boolean {
    return this.running.size > 0;
  }

  /** Waiting or running nodes can be cancelled; pending ones are marked so they never start. */
  cancelNode(nodeId: string): boolean {
    const state = this.nodes[nodeId];
    if (!state) return false;
    const running = this.running.get(nodeId);
    if (running) {
      this.cancelRequested.add(nodeId);
      running.scope.cancel();
      return true;
    }
    if (state.status === 'pending') {
      this.finish(nodeId, { status: 'cancelled', attempts: 0, error: { message: 'cancelled before it started', kind: 'cancelled' } }, []);
      this.dirty = true;
      return true;
    }
    return false;
  }

  async run(): Promise<ExecutionOutcome> {
    for (const [id, state] of Object.entries(this.options.finished ?? {})) {
      if (this.byId.has(id) && state.status !== 'pending' && state.status !== 'running' && state.status !== 'waiting') {
        this.finish(id, state, state.ports ?? []);
      }
    }
    for (;;) {
      if (!this.failure) this.startReady();
      if (this.running.size === 0) break;
      this.dirty = false;
      await condition(() => this.dirty);
      if (this.failure) this.cancelAll();
      if (!this.failure && this.running.size === 0 && this.hasReady() && this.options.shouldPause?.()) {
        return { kind: 'paused' };
      }
    }
    // Whatever never became ready was on a path not taken, or behind the failure.
    for (const id of this.order) {
      const state = this.nodes[id] as NodeState;
      if (state.status === 'pending') state.status = 'skipped';
    }
    return this.failure ? { kind: 'failed', ...this.failure } : { kind: 'completed' };
  }

  private cancelAll() {
    for (const { scope } of this.running.values()) scope.cancel();
  }

  private hasReady(): boolean {
    return this.order.some((id) => this.readiness(id) === 'ready');
  }

  private readiness(id: string): 'ready' | 'skip' | 'wait' {
    const state = this.nodes[id] as NodeState;
    if (state.status !== 'pending') return 'wait';
    const edges = (this.incoming.get(id) ?? []).map((i) => this.edgeStates[i]);
    if (edges.length === 0) return 'ready';
    const node = this.byId.get(id) as Node;
    const anyActive = edges.includes('active');
    // merge "any" goes on with the first branch; everything else waits for all its inputs.
    if (node.type === 'merge' && node.config.mode === 'any' && anyActive) return 'ready';
    if (edges.includes('pending')) return 'wait';
    return anyActive ? 'ready' : 'skip';
  }

  /** Starts every ready node (up to the cap) and skips the ones whose inputs are all dead. */
  private startReady() {
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const id of this.order) {
        const verdict = this.readiness(id);
        if (verdict === 'skip') {
          this.finish(id, { status: 'skipped', attempts: 0 }, []);
          progressed = true;
        } else if (verdict === 'ready') {
          const node = this.byId.get(id) as Node;
          // Nodes of kind 'wait' (approvals, delays) wait without using a worker: they do not count against the cap.
          const waiting = kindOf(node.type) === 'wait';
          if (!waiting && this.busySlots() >= this.options.maxConcurrency) continue;
          this.start(node, waiting);
        }
      }
    }
  }

  private busySlots(): number {
    let busy = 0;
    for (const entry of this.running.values()) if (!entry.waiting) busy++;
    return busy;
  }

  private start(node: Node, waiting: boolean) {
    const state = this.nodes[node.id] as NodeState;
    state.status = 'running';
    state.startedAt = new Date().toISOString();
    const scope = new CancellationScope();
    this.running.set(node.id, { scope, waiting });
    this.options.onChange?.(this.pathOf(node.id), state, node);
    scope
      .run(() => this.options.execute(node, this))
      .then(
        (result) => {
          const ref = isBlobRef(result.output) ? result.output : undefined;
          const done: NodeState = { ...state, status: 'succeeded', endedAt: new Date().toISOString() };
          if (ref) done.outputRef = ref;
          else done.output = result.output;
          this.finish(node.id, done, result.ports ?? this.defaultPorts(node));
        },
        (error: unknown) => this.fail(node, error),
      )
      .finally(() => {
        this.running.delete(node.id);
        this.dirty = true;
      });
  }

  private fail(node: Node, error: unknown) {
    const state = this.nodes[node.id] as NodeState;
    const endedAt = new Date().toISOString();
    if (isCancellation(error) || this.cancelRequested.has(node.id)) {
      const message = this.cancelRequested.has(node.id) ? 'cancelled' : this.failure ? `cancelled because node "${this.failure.nodeId}" failed` : 'cancelled with the run';
      this.finish(node.id, { ...state, status: 'cancelled', endedAt, waiting: undefined, error: { message, kind: 'cancelled' } }, []);
      return;
    }
    const described = this.options.describeError(error);
    const failed: NodeState = { ...state, status: 'failed', endedAt, waiting: undefined, error: described };
    switch (node.onError) {
      case 'continue': {
        // Downstream goes on (through the node's only port; a branching node has no answer).
        const ports = this.defaultPorts(node);
        this.finish(node.id, { ...failed, output: { error: described } }, ports.length === 1 ? ports : []);
        return;
      }
      case 'route':
        this.finish(node.id, { ...failed, output: { error: described } }, ['error']);
        return;
      case 'fail':
        this.finish(node.id, failed, []);
        this.failure ??= { nodeId: node.id, error: described };
        return;
      default: {
        const exhaustive: never = node.onError;
        throw new Error(`unknown onError ${String(exhaustive)}`);
      }
    }
  }

  private defaultPorts(node: Node): string[] {
    return outputPorts(node.type, node.config);
  }

  /** Records a final state and resolves the node's outgoing edges. */
  private finish(id: string, state: NodeState, ports: string[]) {
    const taken = state.status === 'succeeded' || state.status === 'failed' ? ports : [];
    this.nodes[id] = { ...state, ports: taken };
    this.options.onChange?.(this.pathOf(id), this.nodes[id] as NodeState, this.byId.get(id));
    if (state.status === 'succeeded' || (state.status === 'failed' && taken.length > 0)) {
      this.context.steps[id] = { output: state.outputRef ?? state.output, status: state.status };
    }
    for (const i of this.outgoing.get(id) ?? []) {
      const edge = this.graph.edges[i] as Edge;
      const port = edge.port ?? this.defaultPorts(this.byId.get(id) as Node)[0] ?? 'out';
      this.edgeStates[i] = taken.includes(port) ? 'active' : 'dead';
    }
  }
}
