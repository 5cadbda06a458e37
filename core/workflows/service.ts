// Saved workflows: every save of a graph is a new immutable version; runs pin the version they
// started with. Graphs are validated with the engine's own `validate` (422 with every problem).
import { raw, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Orm } from '../db/orm.ts';
import { WorkflowDefinition, WorkflowVersion } from './entities.ts';
import { containsPattern } from '../db/sql.ts';
import { NotFoundError, UserError } from '../errors.ts';
import { newId } from '../ids.ts';
import { afterCursor, NEWEST_FIRST, toPage, type Page, type PageQuery } from '../pagination.ts';
import type { UsageService } from '../usage/service.ts';
import { Graph } from '../../workflows/graph/schema.ts';
import { validate } from '../../workflows/graph/validate.ts';
import { findSelfStarts, workflowReferences } from './references.ts';
import type { WorkflowTool } from './tool.ts';
import type { WorkflowSummary as WireWorkflowSummary } from '../../contract/index.ts';

/** The wire shape (contract/): what the api answers with. */
export type WorkflowSummary = WireWorkflowSummary;

/** A workflow offered as a tool (POST /mcp). */
export interface ToolWorkflow {
  workflowId: string;
  tool: WorkflowTool;
}

export interface WorkflowDetail extends WorkflowSummary {
  graph: Graph;
}

/** `?q=`: case-insensitive, in the name or the description (on SQLite, ASCII letters only fold case). */
function searchFilter(text: string): object {
  const pattern = containsPattern(text);
  return { [raw((a: string) => `(lower(${a}."name") like ? escape '\\' or lower(coalesce(${a}."description", '')) like ? escape '\\')`, [pattern, pattern])]: [] };
}

function summary(row: WorkflowDefinition): WorkflowSummary {
  return { id: row.id, name: row.name, description: row.description ?? null, version: row.latestVersion, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString(), tool: row.tool ?? null };
}

function toolNameTaken(name: string): UserError {
  return new UserError('tool_name_taken', `Another workflow of this team is already the tool "${name}"`, { status: 409, problems: [{ path: 'tool.name', message: `"${name}" is taken by another workflow of this team` }] });
}

/** The unique index of m013 refused a save: two workflows raced for one tool name. */
function isToolNameClash(error: unknown): boolean {
  return error instanceof UniqueConstraintViolationException && /tool_name/.test(error.message);
}

/** Parses and validates a graph; every problem comes back in one 422. */
export function requireValidGraph(candidate: unknown): Graph {
  const problems = validate(candidate);
  if (problems.length > 0) {
    throw new UserError('invalid_graph', `The graph has ${problems.length} problem${problems.length === 1 ? '' : 's'}`, {
      status: 422,
      problems: problems.map((p) => ({ path: p.path ? `graph.${p.path}` : 'graph', message: p.message })),
    });
  }
  return Graph.parse(candidate);
}

export type WorkflowService = ReturnType<typeof createWorkflowService>;

export function createWorkflowService(deps: { orm: Orm; usage: UsageService; onDelete?: (teamId: string, workflowId: string) => Promise<void> }) {
  const { orm, usage } = deps;

  async function find(teamId: string, id: string): Promise<WorkflowDefinition> {
    const row = await orm.em.fork().findOne(WorkflowDefinition, { id, teamId, deletedAt: null });
    if (!row) throw new NotFoundError('Workflow');
    return row;
  }

  async function version(workflowId: string, n: number): Promise<WorkflowVersion> {
    const row = await orm.em.fork().findOne(WorkflowVersion, { workflowId, version: n });
    if (!row) throw new NotFoundError(`Version ${n}`);
    return row;
  }

  /** 409 when another live workflow of the team carries this tool name (the index is the backstop for races). */
  async function requireFreeToolName(teamId: string, tool: WorkflowTool | null | undefined, ownId?: string): Promise<void> {
    if (!tool) return;
    const taken = await orm.em.fork().count(WorkflowDefinition, { teamId, toolName: tool.name, deletedAt: null, ...(ownId ? { id: { $ne: ownId } } : {}) });
    if (taken > 0) throw toolNameTaken(tool.name);
  }

  /** 422 when the graph, saved as `version` of workflow `id`, lets the workflow start itself. */
  async function requireNoSelfStart(teamId: string, id: string, version: number, graph: Graph): Promise<void> {
    const references = workflowReferences(graph);
    if (references.length === 0) return;
    const em = orm.em.fork();
    const found = await findSelfStarts(id, version, references, async (workflowId, pinned) => {
      const other = await em.findOne(WorkflowDefinition, { id: workflowId, teamId, deletedAt: null });
      if (!other) return undefined;
      const stored = await em.findOne(WorkflowVersion, { workflowId, version: pinned ?? other.latestVersion });
      return stored ? workflowReferences(stored.graph) : undefined;
    });
    if (found.length === 0) return;
    const problems = found.map((f) => ({ path: f.path, message: `workflow ${id} can start itself: ${f.chain.join(' → ')}` }));
    throw new UserError('invalid_graph', `${problems[0]?.message.replace(/^w/, 'W')}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, { status: 422, problems });
  }

  return {
    find,

    async create(teamId: string, actor: string, input: { name: string; description?: string; graph: unknown; tool?: WorkflowTool | null }): Promise<WorkflowDetail> {
      const graph = requireValidGraph(input.graph);
      await requireFreeToolName(teamId, input.tool);
      const em = orm.em.fork();
      await usage.checkWorkflowCount(teamId, await em.count(WorkflowDefinition, { teamId, deletedAt: null }));
      await usage.checkGraphSize(teamId, graph.nodes.length);
      const now = new Date();
      const id = newId('wf');
      const tool = input.tool ?? null;
      const row = em.create(WorkflowDefinition, { id, teamId, name: input.name, description: input.description ?? null, latestVersion: 1, createdAt: now, updatedAt: now, deletedAt: null, tool, toolName: tool?.name ?? null });
      em.create(WorkflowVersion, { workflowId: id, version: 1, graph, createdAt: now, createdBy: actor });
      try {
        await em.flush();
      } catch (error) {
        if (isToolNameClash(error) && tool) throw toolNameTaken(tool.name);
        throw error;
      }
      return { ...summary(row), graph };
    },

    async list(teamId: string, page: PageQuery & { search?: string }): Promise<Page<WorkflowSummary>> {
      const where = { teamId, deletedAt: null, ...(page.search ? { $and: [searchFilter(page.search)] } : {}), ...afterCursor(page.cursor) };
      const rows = await orm.em.fork().find(WorkflowDefinition, where, { orderBy: NEWEST_FIRST, limit: page.limit + 1 });
      return toPage(rows, page.limit, (row) => summary(row));
    },

    async get(teamId: string, id: string): Promise<WorkflowDetail> {
      const row = await find(teamId, id);
      const v = await version(id, row.latestVersion);
      return { ...summary(row), graph: v.graph as Graph };
    },

    async getVersion(teamId: string, id: string, n: number): Promise<WorkflowDetail & { createdBy: string | null }> {
      const row = await find(teamId, id);
      const v = await version(id, n);
      return { ...summary(row), version: n, graph: v.graph as Graph, createdAt: v.createdAt.toISOString(), createdBy: v.createdBy ?? null };
    },

    async listVersions(teamId: string, id: string): Promise<{ version: number; createdAt: string; createdBy: string | null }[]> {
      await find(teamId, id);
      const rows = await orm.em.fork().find(WorkflowVersion, { workflowId: id }, { orderBy: { version: 'desc' }, fields: ['version', 'createdAt', 'createdBy'] });
      return rows.map((r) => ({ version: r.version, createdAt: r.createdAt.toISOString(), createdBy: r.createdBy ?? null }));
    },

    /** The team's workflows that are tools, by tool name: `limit` of them after the name `after`. */
    async listTools(teamId: string, page: { after?: string; limit: number }): Promise<ToolWorkflow[]> {
      const toolName = page.after === undefined ? { $ne: null } : { $gt: page.after };
      const rows = await orm.em.fork().find(WorkflowDefinition, { teamId, deletedAt: null, toolName }, { orderBy: { toolName: 'asc' }, fields: ['id', 'tool'], limit: page.limit });
      return rows.flatMap((row) => (row.tool ? [{ workflowId: row.id, tool: row.tool }] : []));
    },

    /** The workflow that is the tool `name` in the team, if any. */
    async findTool(teamId: string, name: string): Promise<ToolWorkflow | undefined> {
      const row = await orm.em.fork().findOne(WorkflowDefinition, { teamId, deletedAt: null, toolName: name }, { fields: ['id', 'tool'] });
      return row?.tool ? { workflowId: row.id, tool: row.tool } : undefined;
    },

    /** A new version when a graph is given; name/description/tool changes alone keep the version. */
    async update(teamId: string, id: string, actor: string, input: { name?: string; description?: string; graph?: unknown; tool?: WorkflowTool | null }): Promise<WorkflowDetail> {
      const graph = input.graph === undefined ? undefined : requireValidGraph(input.graph);
      if (graph) await usage.checkGraphSize(teamId, graph.nodes.length);
      const em = orm.em.fork();
      const row = await em.findOne(WorkflowDefinition, { id, teamId, deletedAt: null });
      if (!row) throw new NotFoundError('Workflow');
      if (graph) await requireNoSelfStart(teamId, id, row.latestVersion + 1, graph);
      await requireFreeToolName(teamId, input.tool, id);
      const now = new Date();
      if (input.name !== undefined) row.name = input.name;
      if (input.description !== undefined) row.description = input.description;
      if (input.tool !== undefined) {
        row.tool = input.tool;
        row.toolName = input.tool?.name ?? null;
      }
      row.updatedAt = now;
      if (graph) {
        row.latestVersion += 1;
        em.create(WorkflowVersion, { workflowId: id, version: row.latestVersion, graph, createdAt: now, createdBy: actor });
      }
      try {
        await em.flush();
      } catch (error) {
        if (isToolNameClash(error) && input.tool) throw toolNameTaken(input.tool.name);
        // Two saves raced for the same version number: the later one must reload and retry.
        if (error instanceof UniqueConstraintViolationException) throw new UserError('conflict', 'The workflow was saved by someone else at the same time; reload and save again', { status: 409 });
        throw error;
      }
      const latest = await version(id, row.latestVersion);
      return { ...summary(row), graph: latest.graph as Graph };
    },

    async delete(teamId: string, id: string): Promise<void> {
      const em = orm.em.fork();
      const row = await em.findOne(WorkflowDefinition, { id, teamId, deletedAt: null });
      if (!row) throw new NotFoundError('Workflow');
      row.deletedAt = new Date();
      await em.flush();
      await deps.onDelete?.(teamId, id);
    },
  };
}
