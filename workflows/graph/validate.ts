// Validation of a graph: every problem at once, each with the JSON path it concerns, so the
// designer can mark it and the API can return it. Pure and total: `validate` never throws,
// whatever it is given, and a graph it accepts parses with `Graph.parse`, has a topological
// order, and holds only expressions that parse and read steps that run before them.
import type { z } from 'zod';
import { expressionProblem, stepReferences, templateExpressions } from './expressions.ts';
import { checkJsonSchemaBounds } from './json-schema-bounds.ts';
import { MAX_DURATION_MS, MAX_RETRY_INTERVAL_MS, durationMs } from './durations.ts';
import { NODE_TYPES, nodeTypes, outputPorts, type NodeType } from './registry.ts';
import { Edge, Graph, LIMITS, Node, NodeId, OnError } from './schema.ts';
import { findCycles, push, topologicalOrder, type Cycle, type Link } from './topology.ts';

export { topologicalOrder };

export interface GraphProblem {
  path: string;
  message: string;
}

/** How deep inline sub-graphs of `map` nodes may nest (a map inside a map's sub-graph is 2). */
export const MAX_SUBGRAPH_DEPTH = 5;
/** How deep a config value (an HTTP body, a JSON schema …) may nest. */
export const MAX_VALUE_DEPTH = 64;
/** Values walked per validation, a guard against huge or self-sharing objects. */
const MAX_VALUES = 200_000;
/** Past this many nodes or edges only the limit is reported: the graph is not analysed further. */
const ANALYSIS_FACTOR = 4;

/**
 * Node ids that are property names of every JavaScript object: the interpreter keeps per-node
 * state in plain objects (`steps[id]`, `nodes[id]`), where these would hit the prototype.
 */
const RESERVED_IDS = new Set([
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toString',
  'toLocaleString',
  'valueOf',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

const KNOWN_TYPES = `known types: ${NODE_TYPES.join(', ')}`;

// The per-type node schemas of the discriminated union, and the fields every node has.
const nodeSchemas = new Map<string, z.ZodType>(Node.options.map((option) => [option.shape.type.value, option]));
const NodeBase = Node.options[0].omit({ type: true, config: true });

/** Every problem of a graph, each with the JSON path it concerns. An empty list means valid. */
export function validate(candidate: unknown): GraphProblem[] {
  try {
    const run: Run = { problems: [], values: 0, totalNodes: 0 };
    checkGraph(candidate, '', { depth: 0, run });
    if (run.problems.length === 0) {
      // Backstop: the checks above imply this parse succeeds; never let them drift apart.
      const parsed = Graph.safeParse(candidate);
      if (!parsed.success) return parsed.error.issues.map((issue) => ({ path: pathOf(issue.path), message: issueMessage(issue) }));
    }
    return dedupe(run.problems);
  } catch (error) {
    // Only hostile values get here (throwing getters, proxies): JSON never does.
    return [{ path: '', message: `the graph could not be validated: ${error instanceof Error ? error.message : String(error)}` }];
  }
}

/** Validates and parses (defaults applied, inline `map` sub-graphs parsed too). */
export function parseGraph(candidate: unknown): { graph: Graph } | { problems: GraphProblem[] } {
  const problems = validate(candidate);
  if (problems.length > 0) return { problems };
  return { graph: parseDeep(candidate) };
}

function parseDeep(candidate: unknown): Graph {
  const graph = Graph.parse(candidate);
  for (const node of graph.nodes) {
    const field = nodeTypes[node.type].subgraphField;
    const config = node.config as Record<string, unknown>;
    if (field !== undefined && config[field] !== undefined) config[field] = parseDeep(config[field]);
  }
  return graph;
}

/** The nodes with a path of edges to `nodeId` (its ancestors), without `nodeId` itself. */
export function upstreamOf(graph: Pick<Graph, 'edges'>, nodeId: string): Set<string> {
  const before = new Map<string, string[]>();
  for (const e of graph.edges) push(before, e.to, e.from);
  return ancestors(before, nodeId);
}

function ancestors(before: Map<string, string[]>, nodeId: string): Set<string> {
  const seen = new Set<string>();
  const queue = [nodeId];
  while (queue.length > 0) {
    for (const from of before.get(queue.pop() as string) ?? []) {
      if (!seen.has(from)) {
        seen.add(from);
        queue.push(from);
      }
    }
  }
  seen.delete(nodeId);
  return seen;
}

// ---------------------------------------------------------------------------------------------

interface Run {
  problems: GraphProblem[];
  /** Values walked so far (guard). */
  values: number;
  /** Nodes of the graph and all its inline sub-graphs so far. */
  totalNodes: number;
}

interface Scope {
  /** 0 for the run's graph, n inside n nested `map` sub-graphs (where `item` exists). */
  depth: number;
  run: Run;
}

interface Entry {
  index: number;
  raw: Record<string, unknown>;
  /** Set when the id is a valid node id. */
  id?: string;
  type?: NodeType;
  /** The parsed node (defaults applied) when it has no schema problem. */
  node?: Node;
  /** False when the config holds a value too deep, too large or circular (not walked further). */
  walkable?: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNodeType(value: string): value is NodeType {
  return Object.hasOwn(nodeTypes, value);
}

/** Durations past what a run can wait (and Temporal can hold): checked here, at save, not by the schema. */
function checkDurations(node: Node, path: string, report: (path: string, message: string) => void): void {
  const check = (value: string | undefined, at: string, max: number, what: string) => {
    if (value !== undefined && durationMs(value) > max) report(`${path}.${at}`, `${what} may be at most ${formatDays(max)} (this is ${value})`);
  };
  check(node.timeout, 'timeout', MAX_DURATION_MS, 'a node timeout');
  check(node.retry?.initialInterval, 'retry.initialInterval', MAX_RETRY_INTERVAL_MS, 'the first retry interval');
  const config = node.config as Record<string, unknown>;
  for (const { field, what } of nodeTypes[node.type].durationFields ?? []) {
    const value = config[field];
    check(typeof value === 'string' ? value : undefined, `config.${field}`, MAX_DURATION_MS, what);
  }
}

const formatDays = (ms: number) => `${ms / 86_400_000}d`;

function checkGraph(candidate: unknown, prefix: string, scope: Scope): void {
  const problems = scope.run.problems;
  const at = (path: string) => (prefix + path).replace(/\.$/, '');
  const report = (path: string, message: string) => problems.push({ path: at(path), message });

  if (!isRecord(candidate)) {
    report('', 'a graph must be an object with a "nodes" array and an "edges" array');
    return;
  }
  const rawNodes = candidate.nodes;
  const rawEdges = candidate.edges ?? [];
  if (!Array.isArray(rawNodes)) {
    report('nodes', rawNodes === undefined ? 'required: a graph needs a "nodes" array' : 'must be an array of nodes');
  } else if (rawNodes.length === 0) {
    report('nodes', 'a graph needs at least one node');
  } else if (rawNodes.length > LIMITS.nodes) {
    report('nodes', `a graph may have at most ${LIMITS.nodes} nodes (this one has ${rawNodes.length})`);
  }
  if (!Array.isArray(rawEdges)) report('edges', 'must be an array of edges');
  else if (rawEdges.length > LIMITS.edges) report('edges', `a graph may have at most ${LIMITS.edges} edges (this one has ${rawEdges.length})`);
  const nodeList: unknown[] = Array.isArray(rawNodes) ? rawNodes : [];
  const edgeList: unknown[] = Array.isArray(rawEdges) ? rawEdges : [];
  if (nodeList.length > LIMITS.nodes * ANALYSIS_FACTOR || edgeList.length > LIMITS.edges * ANALYSIS_FACTOR) return;

  if (scope.depth > 0) {
    // Sub-graphs count toward the limit of the whole; past it they are not analysed (a value may
    // share one sub-graph object many times over).
    const before = scope.run.totalNodes;
    if (before > LIMITS.nodes) return;
    scope.run.totalNodes += nodeList.length;
    if (scope.run.totalNodes > LIMITS.nodes) {
      report('', `the graph and its map sub-graphs may have at most ${LIMITS.nodes} nodes in all`);
      return;
    }
  } else {
    scope.run.totalNodes += nodeList.length;
  }

  // Nodes: schema (with a clear message for an unknown type), ids.
  const entries: Entry[] = [];
  const byId = new Map<string, Entry>();
  for (let i = 0; i < nodeList.length; i++) {
    const raw = nodeList[i];
    if (!isRecord(raw)) {
      report(`nodes.${i}`, 'a node must be an object with id, type and config');
      continue;
    }
    const entry: Entry = { index: i, raw };
    entries.push(entry);
    if (NodeId.safeParse(raw.id).success) entry.id = raw.id as string;
    const type = raw.type;
    let schema: z.ZodType | undefined;
    if (typeof type !== 'string') {
      report(`nodes.${i}.type`, `${type === undefined ? 'missing node type' : 'node type must be a string'}; ${KNOWN_TYPES}`);
    } else if (!isNodeType(type)) {
      report(`nodes.${i}.type`, `unknown node type "${type}"; ${KNOWN_TYPES}`);
    } else {
      entry.type = type;
      schema = nodeSchemas.get(type);
    }
    const parsed = (schema ?? NodeBase).safeParse(raw);
    if (parsed.success) {
      if (schema) {
        entry.node = parsed.data as Node;
        checkDurations(entry.node, `nodes.${i}`, report);
      }
    } else {
      for (const issue of parsed.error.issues) report(`nodes.${i}.${pathOf(issue.path)}`, issueMessage(issue));
    }
    if (entry.id !== undefined) {
      if (RESERVED_IDS.has(entry.id)) {
        report(`nodes.${i}.id`, `node id "${entry.id}" is reserved (a built-in property name of JavaScript objects)`);
      }
      if (byId.has(entry.id)) report(`nodes.${i}.id`, `duplicate node id "${entry.id}" (also nodes.${byId.get(entry.id)?.index})`);
      else byId.set(entry.id, entry);
    }
    if (entry.type) entry.walkable = checkValues(entry, `nodes.${i}.config`, report, scope.run);
    if (entry.type && entry.walkable && isRecord(raw.config)) {
      for (const field of nodeTypes[entry.type].jsonSchemaFields ?? []) {
        const schema = raw.config[field];
        if (!isRecord(schema)) continue; // absent, or a shape problem reported above
        for (const problem of checkJsonSchemaBounds(schema)) report([`nodes.${i}.config.${field}`, ...problem.path].join('.'), problem.message);
      }
    }
  }

  // Edges: schema, ends, ports, duplicates.
  const links: Link[] = [];
  const edgeKeys = new Map<string, number>();
  for (let j = 0; j < edgeList.length; j++) {
    const raw = edgeList[j];
    if (!isRecord(raw)) {
      report(`edges.${j}`, 'an edge must be an object with from, to and an optional port');
      continue;
    }
    const parsed = Edge.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) report(`edges.${j}.${pathOf(issue.path)}`, issueMessage(issue));
      continue;
    }
    const edge = parsed.data;
    const from = byId.get(edge.from);
    const to = byId.get(edge.to);
    if (!from) report(`edges.${j}.from`, `unknown node "${edge.from}"`);
    if (!to) report(`edges.${j}.to`, `unknown node "${edge.to}"`);
    if (!from || !to) continue;
    links.push({ index: j, from: edge.from, to: edge.to });
    const port = from.type ? checkPort(from, edge.port, `edges.${j}.port`, report) : edge.port;
    const key = `${edge.from}\u0000${port ?? ''}\u0000${edge.to}`;
    const first = edgeKeys.get(key);
    if (first === undefined) edgeKeys.set(key, j);
    else report(`edges.${j}`, `duplicate edge ${describeEdge(edge.from, edge.port, edge.to)} (same as edges.${first})`);
  }

  // Cycles, and the nodes they keep from ever running.
  const ids = [...byId.keys()];
  const cycles = findCycles(ids, links);
  reportCycles(ids, links, cycles, report);
  const before = new Map<string, string[]>();
  for (const link of links) push(before, link.to, link.from);
  if (cycles.length > 0) checkBlocked(ids, links, before, cycles, byId, report);

  // Expressions: syntax, length, and the steps they read.
  const upstream = new Map<string, Set<string>>();
  const upstreamOfId = (id: string) => {
    let set = upstream.get(id);
    if (!set) upstream.set(id, (set = ancestors(before, id)));
    return set;
  };
  for (const entry of entries) {
    if (!entry.type || !entry.walkable) continue;
    const self = entry.id ?? '';
    const check = (expression: string, path: string, kind: 'expression' | 'template') =>
      checkExpression(expression, path, kind, { self, known: byId, upstream: () => upstreamOfId(self), subgraph: scope.depth > 0 }, report);
    const config = entry.raw.config;
    if (!isRecord(config)) continue;
    const definition = nodeTypes[entry.type];
    const configPath = `nodes.${entry.index}.config`;
    for (const field of definition.expressionFields) {
      forEachAt(config, field, configPath, (value, path) => {
        if (typeof value === 'string') check(value, path, 'expression');
      });
    }
    for (const field of definition.templateFields) {
      forEachAt(config, field, configPath, (value, path) => forEachString(value, path, (text, at) => {
        for (const expression of templateExpressions(text)) check(expression, at, 'template');
      }));
    }
    const subgraph = definition.subgraphField;
    if (subgraph !== undefined && config[subgraph] !== undefined) {
      const path = `${configPath}.${subgraph}`;
      if (scope.depth + 1 > MAX_SUBGRAPH_DEPTH) report(path, `${entry.type} sub-graphs may be nested at most ${MAX_SUBGRAPH_DEPTH} levels deep`);
      else checkGraph(config[subgraph], `${at(path)}.`, { depth: scope.depth + 1, run: scope.run });
    }
  }
}

function describeEdge(from: string, port: string | undefined, to: string): string {
  return `${from}${port === undefined ? '' : `:${port}`} → ${to}`;
}

/**
 * Checks the port of an edge leaving `from`; returns the port the edge really uses (an omitted
 * port means the node's only port) for duplicate detection.
 */
function checkPort(from: Entry, port: string | undefined, path: string, report: (path: string, message: string) => void): string | undefined {
  const type = from.type as NodeType;
  const outputs = nodeTypes[type].outputs;
  // Dynamic ports (switch) are only known from a valid config; its problems are reported already.
  if (typeof outputs === 'function' && !from.node) return port;
  const ports = outputPorts(type, from.node?.config ?? {});
  const onError = from.node?.onError ?? OnError.safeParse(from.raw.onError ?? 'fail').data;
  const routes = onError === 'route';
  const all = routes ? [...ports, 'error'] : ports;
  const id = from.id as string;
  if (ports.length === 0 && port !== 'error') {
    report(path, `node "${id}" is an output node and has no outputs${routes ? ' (except "error", set port to "error" to route its errors)' : ''}`);
    return port;
  }
  if (port === undefined) {
    if (ports.length === 1) return ports[0];
    report(path, `node "${id}" has several output ports (${ports.join(', ')}): set the edge's port`);
    return port;
  }
  if (port === 'error' && !routes) {
    report(path, `node "${id}" has no output port "error": set its onError to "route" to route its errors`);
    return port;
  }
  if (!all.includes(port)) report(path, `node "${id}" has no output port "${port}" (its ports: ${all.join(', ')})`);
  return port;
}

/** Cycles reported per graph at most (each one found after breaking the ones before). */
const MAX_CYCLES = 20;

/**
 * Names the cycles: one per tangle of nodes, then, with the edges closing those removed, the
 * cycles left, until none is (so fixing every reported cycle really removes them all).
 */
function reportCycles(ids: string[], links: Link[], first: Cycle[], report: (path: string, message: string) => void): void {
  let cycles = first;
  let remaining = links;
  let count = 0;
  while (cycles.length > 0) {
    for (const cycle of cycles) {
      if (count++ === MAX_CYCLES) return;
      report(`edges.${cycle.edge}`, `cycle: ${cycle.path.join(' → ')}`);
    }
    const closing = new Set(cycles.map((c) => c.edge));
    remaining = remaining.filter((link) => !closing.has(link.index));
    cycles = findCycles(ids, remaining);
  }
}

/**
 * Unreachable nodes. A node runs once all its inputs have resolved, so a node on a cycle never
 * runs (reported as the cycle), and neither does any node after one: every node with an
 * ancestor on a cycle can never run, even when another of its inputs comes from a start node.
 * With no cycle every node is reachable: nodes without incoming edges start the run (several
 * start nodes are independent branches), and every other node follows from them.
 */
function checkBlocked(
  ids: string[],
  links: { from: string; to: string }[],
  before: Map<string, string[]>,
  cycles: Cycle[],
  byId: Map<string, Entry>,
  report: (path: string, message: string) => void,
): void {
  const onCycle = new Map<string, Cycle>();
  for (const cycle of cycles) for (const id of cycle.members) onCycle.set(id, cycle);
  const cyclic = new Set(onCycle.keys());
  const after = new Map<string, string[]>();
  for (const link of links) push(after, link.from, link.to);
  const blocked = new Set<string>();
  const queue = [...cyclic];
  while (queue.length > 0) {
    for (const to of after.get(queue.pop() as string) ?? []) {
      if (!cyclic.has(to) && !blocked.has(to)) {
        blocked.add(to);
        queue.push(to);
      }
    }
  }
  for (const id of ids) {
    if (!blocked.has(id)) continue;
    // Name the nearest cycle upstream.
    const seen = new Set([id]);
    const walk = [id];
    let cycle: Cycle | undefined;
    while (walk.length > 0 && !cycle) {
      for (const from of before.get(walk.shift() as string) ?? []) {
        cycle = onCycle.get(from);
        if (cycle) break;
        if (!seen.has(from)) {
          seen.add(from);
          walk.push(from);
        }
      }
    }
    report(`nodes.${byId.get(id)?.index}`, `node "${id}" is unreachable: it comes after the cycle ${(cycle?.path ?? []).join(' → ')} and can never run`);
  }
}

interface ExpressionScope {
  self: string;
  known: Map<string, Entry>;
  upstream: () => Set<string>;
  subgraph: boolean;
}

function shorten(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 3).trimEnd()}…` : flat;
}

function checkExpression(
  expression: string,
  path: string,
  kind: 'expression' | 'template',
  scope: ExpressionScope,
  report: (path: string, message: string) => void,
): void {
  const shown = kind === 'template' ? `expression {{ ${shorten(expression)} }}` : 'expression';
  if (expression.length > LIMITS.expressionLength) {
    report(path, `${shown} is longer than ${LIMITS.expressionLength} characters (${expression.length})`);
    return;
  }
  if (expression.trim() === '') {
    report(path, kind === 'template' ? 'empty template {{ }}' : 'empty expression');
    return;
  }
  const problem = expressionProblem(expression);
  if (problem !== undefined) {
    report(path, `invalid ${shown}: ${shorten(problem, 300)}`);
    return;
  }
  for (const reference of stepReferences(expression)) {
    const id = reference.id;
    if (scope.self === '' && reference.form !== 'bracket') continue; // the node's id has its own problem
    if (reference.form === 'bracket') {
      report(path, `${reference.text} does not read step "${id}" (in JSONata brackets filter): write steps.${id}`);
    } else if (!scope.known.has(id)) {
      const where = scope.subgraph ? ' in this sub-graph (a map sub-graph reads only its own steps, plus item and input)' : '';
      report(path, `${reference.text}: there is no node "${id}"${where}`);
    } else if (id === scope.self) {
      report(path, `${reference.text}: a node cannot read its own output`);
    } else if (!scope.upstream().has(id)) {
      report(path, `${reference.text}: node "${id}" is not upstream of "${scope.self}", so its output is not available here`);
    }
  }
}

/**
 * Calls `visit` with each value a definition's field names (types.ts): a config key, or a dotted
 * path where `*` is every item of an array or value of an object. Missing parts visit nothing.
 */
export function forEachAt(config: Record<string, unknown>, field: string, path: string, visit: (value: unknown, path: string) => void): void {
  const walk = (value: unknown, parts: string[], at: string): void => {
    if (parts.length === 0) return visit(value, at);
    const [part, ...rest] = parts as [string, ...string[]];
    if (part === '*') {
      if (Array.isArray(value)) value.forEach((item: unknown, i) => walk(item, rest, `${at}.${i}`));
      else if (isRecord(value)) for (const [key, item] of Object.entries(value)) walk(item, rest, `${at}.${key}`);
    } else if (isRecord(value) && Object.hasOwn(value, part)) {
      walk(value[part], rest, `${at}.${part}`);
    }
  };
  walk(config, field.split('.'), path);
}

/** Calls `visit` for every string inside a value (objects and arrays walked), with its path. */
function forEachString(value: unknown, path: string, visit: (text: string, path: string) => void, depth = 0): void {
  if (typeof value === 'string') visit(value, path);
  else if (depth >= MAX_VALUE_DEPTH) return;
  else if (Array.isArray(value)) value.forEach((v: unknown, i) => forEachString(v, `${path}.${i}`, visit, depth + 1));
  else if (isRecord(value)) for (const [k, v] of Object.entries(value)) forEachString(v, `${path}.${k}`, visit, depth + 1);
}

/**
 * Config values the interpreter walks must be trees of reasonable depth: reports values nested
 * deeper than MAX_VALUE_DEPTH and values that contain themselves. A map's `graph` is checked as
 * a graph instead.
 */
function checkValues(entry: Entry, path: string, report: (path: string, message: string) => void, run: Run): boolean {
  const config = entry.raw.config;
  if (!isRecord(config)) return true;
  const inside = new Set<object>([config]);
  const keys: string[] = []; // the path below `path`, joined only when reporting
  const here = () => [path, ...keys].join('.');
  const walk = (value: unknown): boolean => {
    if (++run.values > MAX_VALUES) {
      if (run.values === MAX_VALUES + 1) report(here(), `too large to validate (more than ${MAX_VALUES} values)`);
      return false;
    }
    if (typeof value !== 'object' || value === null) return true;
    if (inside.has(value)) {
      report(here(), 'circular reference: this value contains itself');
      return false;
    }
    if (keys.length > MAX_VALUE_DEPTH) {
      report(here(), `nested more than ${MAX_VALUE_DEPTH} levels deep`);
      return false;
    }
    inside.add(value);
    let ok = true;
    if (Array.isArray(value)) {
      for (let i = 0; ok && i < value.length; i++) {
        keys.push(String(i));
        ok = walk(value[i]);
        keys.pop();
      }
    } else {
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        keys.push(key);
        ok = walk((value as Record<string, unknown>)[key]);
        keys.pop();
        if (!ok) break;
      }
    }
    inside.delete(value);
    return ok;
  };
  for (const [key, value] of Object.entries(config)) {
    if (key === nodeTypes[entry.type as NodeType].subgraphField) continue;
    keys.push(key);
    const ok = walk(value);
    keys.pop();
    if (!ok) return false;
  }
  return true;
}

function pathOf(path: readonly PropertyKey[]): string {
  return path.map((part) => String(part)).join('.');
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) return `required (expected ${issue.expected})`;
  return issue.message;
}

function dedupe(problems: GraphProblem[]): GraphProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
