// trellis workflows list|export|apply|diff: a team's workflows as reviewable files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TeamClient, WorkflowListItem } from '../../typescript/index.ts';
import { EXIT, summarize, table, UsageError, type Io } from '../output.ts';
import {
  changesBetween, diffGraphs, fileNameFor, fileOf, loadWorkflowFiles, normalizeGraph, serialize,
  type FileFormat, type GraphDiff,
} from '../workflow-files.ts';

/** The team's workflows by name; a name held twice cannot be matched to a file. */
async function byName(team: TeamClient): Promise<Map<string, WorkflowListItem[]>> {
  const map = new Map<string, WorkflowListItem[]>();
  for await (const workflow of team.workflows.all()) map.set(workflow.name, [...(map.get(workflow.name) ?? []), workflow]);
  return map;
}

function single(name: string, matches: WorkflowListItem[] | undefined): WorkflowListItem | undefined {
  if (!matches || matches.length === 0) return undefined;
  if (matches.length > 1) throw new UsageError(`the team has ${matches.length} workflows named "${name}" (${matches.map((m) => m.id).join(', ')}): rename all but one so files can be matched by name`);
  return matches[0];
}

/** A workflow given by id (wf_…) or by its exact name. */
export async function resolveWorkflow(team: TeamClient, ref: string): Promise<string> {
  if (/^wf_[A-Za-z0-9]+$/.test(ref)) return ref;
  const found = single(ref, (await byName(team)).get(ref));
  if (!found) throw new UsageError(`no workflow named "${ref}" in team ${team.teamId}`);
  return found.id;
}

export async function listWorkflows(team: TeamClient, io: Io, options: { json?: boolean }): Promise<number> {
  const items: WorkflowListItem[] = [];
  for await (const workflow of team.workflows.all()) items.push(workflow);
  if (options.json) {
    io.out(JSON.stringify(items, null, 2));
    return EXIT.ok;
  }
  if (items.length === 0) {
    io.out('no workflows');
    return EXIT.ok;
  }
  const rows = [['ID', 'NAME', 'VERSION', 'LAST RUN', 'UPDATED'], ...items.map((w) => [w.id, w.name, `v${w.version}`, w.lastRun ? `${w.lastRun.status} ${w.lastRun.startedAt}` : '-', w.updatedAt])];
  for (const line of table(rows)) io.out(line);
  return EXIT.ok;
}

export async function exportWorkflows(team: TeamClient, io: Io, options: { out: string; format: FileFormat }): Promise<number> {
  const out = resolve(options.out);
  mkdirSync(out, { recursive: true });
  const taken = new Set<string>();
  let count = 0;
  for await (const summary of team.workflows.all()) {
    const detail = await team.workflows.get(summary.id);
    const name = fileNameFor(detail.name, options.format, taken);
    writeFileSync(join(out, name), serialize(fileOf(detail), options.format));
    io.out(`exported ${detail.name} (v${detail.version}) -> ${join(options.out, name)}`);
    count++;
  }
  io.out(`${count} workflow${count === 1 ? '' : 's'} exported to ${options.out}`);
  return EXIT.ok;
}

export async function applyWorkflows(team: TeamClient, io: Io, paths: string[], options: { dryRun?: boolean }): Promise<number> {
  const files = loadWorkflowFiles(paths);
  const remote = await byName(team);
  const counts = { created: 0, updated: 0, unchanged: 0 };
  const verb = options.dryRun ? 'would be ' : '';
  for (const { path, file } of files) {
    const existing = single(file.name, remote.get(file.name));
    if (!existing) {
      if (!options.dryRun) {
        const created = await team.workflows.create({ name: file.name, ...(file.description ? { description: file.description } : {}), graph: file.graph, ...(file.tool ? { tool: file.tool } : {}) });
        io.out(`created   ${file.name} (${created.id}, v${created.version}) from ${path}`);
      } else io.out(`${verb}created   ${file.name} from ${path}`);
      counts.created++;
      continue;
    }
    const detail = await team.workflows.get(existing.id);
    const changes = changesBetween(file, fileOf(detail));
    if (!changes.graph && !changes.description && !changes.tool) {
      io.out(`unchanged ${file.name} (v${detail.version})`);
      counts.unchanged++;
      continue;
    }
    const what = [changes.graph && 'graph', changes.description && 'description', changes.tool && 'tool settings'].filter(Boolean).join(', ');
    if (!options.dryRun) {
      // Only a changed graph is sent: it alone makes a new version.
      const updated = await team.workflows.update(existing.id, {
        ...(changes.graph ? { graph: file.graph } : {}),
        ...(changes.description ? { description: file.description ?? '' } : {}),
        ...(changes.tool ? { tool: file.tool } : {}),
      });
      io.out(`updated   ${file.name} (${what}; ${changes.graph ? `v${detail.version} -> v${updated.version}` : `still v${updated.version}`})`);
    } else io.out(`${verb}updated   ${file.name} (${what})`);
    counts.updated++;
  }
  io.out(`${counts.created} ${verb}created, ${counts.updated} ${verb}updated, ${counts.unchanged} unchanged`);
  return EXIT.ok;
}

export async function diffWorkflows(team: TeamClient, io: Io, paths: string[]): Promise<number> {
  const files = loadWorkflowFiles(paths);
  const remote = await byName(team);
  let differs = false;
  for (const { file } of files) {
    const existing = single(file.name, remote.get(file.name));
    if (!existing) {
      differs = true;
      io.out(`+ ${file.name}: new workflow (${file.graph.nodes.length} nodes)`);
      continue;
    }
    const detail = await team.workflows.get(existing.id);
    const theirs = fileOf(detail);
    const changes = changesBetween(file, theirs);
    if (!changes.graph && !changes.description && !changes.tool) continue;
    differs = true;
    io.out(`~ ${file.name} (${existing.id}, v${detail.version})`);
    if (changes.description) io.out(`    description: ${summarize(theirs.description)} -> ${summarize(file.description)}`);
    if (changes.tool) io.out(`    tool settings: ${summarize(theirs.tool)} -> ${summarize(file.tool)}`);
    if (changes.graph) printGraphDiff(diffGraphs(normalizeGraph(theirs.graph), normalizeGraph(file.graph)), io);
  }
  if (!differs) io.out(`no differences (${files.length} workflow${files.length === 1 ? '' : 's'})`);
  return differs ? EXIT.failed : EXIT.ok;
}

function printGraphDiff(diff: GraphDiff, io: Io): void {
  for (const node of diff.nodes) {
    const type = node.type ? ` (${node.type})` : '';
    if (node.change === 'added') io.out(`    + node ${node.id}${type}`);
    else if (node.change === 'removed') io.out(`    - node ${node.id}${type}`);
    else {
      io.out(`    ~ node ${node.id}${type}`);
      for (const field of node.fields ?? []) io.out(`        ${field.path}: ${summarize(field.before, 60) || '(none)'} -> ${summarize(field.after, 60) || '(none)'}`);
    }
  }
  for (const edge of diff.edges) io.out(`    ${edge.change === 'added' ? '+' : '-'} edge ${edge.edge}`);
  if (diff.settings) io.out('    ~ graph settings');
  if (diff.reordered) io.out('    ~ node order');
}
