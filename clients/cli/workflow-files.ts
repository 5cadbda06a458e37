// Workflows as files (trellis workflows export|apply|diff): one file per workflow holding its name,
// description, tool settings and graph, with a stable key order so a review diff shows only what
// changed; comparison ignores key order, and node-level changes are listed by node id.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { Workflow, WorkflowToolSettings } from '../typescript/index.ts';
import { Graph } from '../../workflows/graph/schema.ts';
import { UsageError } from './output.ts';

export type FileFormat = 'json' | 'yaml';

export interface WorkflowFile {
  name: string;
  description: string | null;
  tool: WorkflowToolSettings | null;
  graph: Graphish;
}

/** The parts of a graph the CLI reads; the api validates the rest. */
export interface Graphish {
  nodes: { id: string; type?: string; [key: string]: unknown }[];
  edges?: { from: string; to: string; port?: string }[];
  settings?: unknown;
  [key: string]: unknown;
}

const EXTENSIONS: Record<string, FileFormat> = { '.json': 'json', '.yaml': 'yaml', '.yml': 'yaml' };

export function fileOf(workflow: Pick<Workflow, 'name' | 'description' | 'graph'> & { tool?: WorkflowToolSettings | null }): WorkflowFile {
  return { name: workflow.name, description: workflow.description ?? null, tool: workflow.tool ?? null, graph: workflow.graph as unknown as Graphish };
}

/** Keys first in this order at the top, in a node and in an edge; every other key sorted. */
const FIRST_KEYS = ['name', 'description', 'tool', 'graph', 'nodes', 'edges', 'settings', 'id', 'type', 'label', 'from', 'port', 'to'];

/** The same value with its object keys in a stable order (arrays keep theirs: node order is the author's). */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined);
  keys.sort((a, b) => {
    const ia = FIRST_KEYS.indexOf(a);
    const ib = FIRST_KEYS.indexOf(b);
    if (ia !== -1 || ib !== -1) return (ia === -1 ? Infinity : ia) - (ib === -1 ? Infinity : ib);
    return a < b ? -1 : a > b ? 1 : 0;
  });
  return Object.fromEntries(keys.map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
}

export function serialize(file: WorkflowFile, format: FileFormat): string {
  const value = canonical(file);
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringifyYaml(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** A file name from the workflow's name: lower-case words joined by dashes. */
export function fileNameFor(name: string, format: FileFormat, taken: Set<string>): string {
  const slug = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'workflow';
  const extension = format === 'json' ? '.json' : '.yaml';
  let candidate = `${slug}${extension}`;
  for (let n = 2; taken.has(candidate); n++) candidate = `${slug}-${n}${extension}`;
  taken.add(candidate);
  return candidate;
}

export interface LoadedFile {
  path: string;
  file: WorkflowFile;
}

/** Reads workflow files: each path a file, or a folder whose .json/.yaml/.yml files are read (sorted by name). */
export function loadWorkflowFiles(paths: string[]): LoadedFile[] {
  if (paths.length === 0) throw new UsageError('name at least one workflow file or folder');
  const files: string[] = [];
  for (const path of paths) {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw new UsageError(`${path}: no such file or folder`);
    }
    if (stat.isDirectory()) {
      const inFolder = readdirSync(path).filter((f) => EXTENSIONS[extname(f).toLowerCase()]).sort();
      if (inFolder.length === 0) throw new UsageError(`${path}: no .json, .yaml or .yml files`);
      files.push(...inFolder.map((f) => join(path, f)));
    } else files.push(path);
  }
  const loaded = files.map((path) => ({ path, file: parseWorkflowFile(path, readFileSync(path, 'utf8')) }));
  const byName = new Map<string, string>();
  for (const { path, file } of loaded) {
    const other = byName.get(file.name);
    if (other) throw new UsageError(`${other} and ${path} both define the workflow "${file.name}"`);
    byName.set(file.name, path);
  }
  return loaded;
}

export function parseWorkflowFile(path: string, text: string): WorkflowFile {
  const format = EXTENSIONS[extname(path).toLowerCase()] ?? (text.trimStart().startsWith('{') ? 'json' : 'yaml');
  let value: unknown;
  try {
    value = format === 'json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new UsageError(`${path}: not valid ${format.toUpperCase()} (${(error as Error).message.split('\n')[0]})`);
  }
  const problems: string[] = [];
  const record = (value ?? {}) as Record<string, unknown>;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) problems.push('must be an object with name and graph');
  else {
    if (typeof record.name !== 'string' || record.name.trim() === '') problems.push('name: must be a non-empty string');
    if (record.description !== undefined && record.description !== null && typeof record.description !== 'string') problems.push('description: must be a string or null');
    if (record.tool !== undefined && record.tool !== null && (typeof record.tool !== 'object' || Array.isArray(record.tool))) problems.push('tool: must be an object or null');
    const graph = record.graph as Record<string, unknown> | undefined;
    if (typeof graph !== 'object' || graph === null || !Array.isArray(graph.nodes)) problems.push('graph: must be an object with nodes[]');
    else if (!(graph.nodes as unknown[]).every((n) => typeof n === 'object' && n !== null && typeof (n as { id?: unknown }).id === 'string')) problems.push('graph.nodes: every node needs a string id');
  }
  if (problems.length > 0) throw new UsageError(`${path}: ${problems.join('; ')}`);
  return {
    name: (record.name as string).trim(),
    description: (record.description as string | null | undefined) ?? null,
    tool: (record.tool as WorkflowToolSettings | null | undefined) ?? null,
    graph: record.graph as Graphish,
  };
}

/** Deep equality that ignores key order (and keys whose value is undefined). */
export function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** An empty description and none are the same thing (the api cannot store null once one was set). */
const text = (value: string | null | undefined) => value || null;

export interface WorkflowChanges {
  graph: boolean;
  description: boolean;
  tool: boolean;
}

/**
 * The graph as the api stores it: defaults filled in (onError, edges, config defaults), unknown
 * keys dropped. A hand-written file that leaves defaults out then equals what applying it saved.
 * A graph the schema refuses is compared as written (applying it answers 422 with its problems).
 */
export function normalizeGraph(graph: Graphish): Graphish {
  const parsed = Graph.safeParse(graph);
  return parsed.success ? (parsed.data as unknown as Graphish) : graph;
}

export function changesBetween(file: WorkflowFile, remote: WorkflowFile): WorkflowChanges {
  return { graph: !same(normalizeGraph(file.graph), normalizeGraph(remote.graph)), description: text(file.description) !== text(remote.description), tool: !same(file.tool, remote.tool) };
}

export interface NodeChange {
  id: string;
  change: 'added' | 'removed' | 'changed';
  type?: string;
  /** For a changed node: each field that differs, as a path under the node. */
  fields?: { path: string; before: unknown; after: unknown }[];
}

export interface GraphDiff {
  nodes: NodeChange[];
  edges: { change: 'added' | 'removed'; edge: string }[];
  settings: boolean;
  /** True when nothing differs but the order of the nodes. */
  reordered: boolean;
}

const edgeKey = (e: { from: string; to: string; port?: string }) => `${e.from}${e.port ? `:${e.port}` : ''} -> ${e.to}`;

/** Node-level differences from `before` (the instance) to `after` (the file). */
export function diffGraphs(before: Graphish, after: Graphish): GraphDiff {
  const beforeNodes = new Map(before.nodes.map((n) => [n.id, n]));
  const afterNodes = new Map(after.nodes.map((n) => [n.id, n]));
  const nodes: NodeChange[] = [];
  for (const [id, node] of afterNodes) {
    const old = beforeNodes.get(id);
    if (!old) nodes.push({ id, change: 'added', type: node.type });
    else {
      const fields = fieldChanges(old, node, '');
      if (fields.length > 0) nodes.push({ id, change: 'changed', type: node.type, fields });
    }
  }
  for (const [id, node] of beforeNodes) if (!afterNodes.has(id)) nodes.push({ id, change: 'removed', type: node.type });
  const beforeEdges = new Set((before.edges ?? []).map(edgeKey));
  const afterEdges = new Set((after.edges ?? []).map(edgeKey));
  const edges = [
    ...[...afterEdges].filter((e) => !beforeEdges.has(e)).map((edge) => ({ change: 'added' as const, edge })),
    ...[...beforeEdges].filter((e) => !afterEdges.has(e)).map((edge) => ({ change: 'removed' as const, edge })),
  ];
  const settings = !same(before.settings, after.settings);
  const reordered = nodes.length === 0 && edges.length === 0 && !settings && !same(before, after);
  return { nodes, edges, settings, reordered };
}

function fieldChanges(before: unknown, after: unknown, path: string): { path: string; before: unknown; after: unknown }[] {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => fieldChanges(before[k], after[k], path ? `${path}.${k}` : k));
  }
  return same(before, after) ? [] : [{ path, before, after }];
}

export function graphDiffIsEmpty(diff: GraphDiff): boolean {
  return diff.nodes.length === 0 && diff.edges.length === 0 && !diff.settings && !diff.reordered;
}
