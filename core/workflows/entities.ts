// The entities of workflows: the saved workflow and its immutable versions (graphs).
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A saved workflow; its graphs live in immutable versions. */
export const WorkflowDefinition = defineEntity({
  name: 'WorkflowDefinition',
  tableName: 'workflow',
  properties: {
    id: p.string().primary(),
    teamId: p.string().index(),
    name: p.string(),
    description: p.text().nullable(),
    latestVersion: p.integer(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    deletedAt: p.datetime().nullable(),
    /** Tool settings (core/workflows/tool.ts): offered to MCP clients and agents; null: not a tool. */
    tool: p.json<{ name: string; description: string; inputSchema: Record<string, unknown> }>().nullable(),
    /** tool.name again, unique per team among workflows not deleted (m013's index). */
    toolName: p.string().nullable(),
  },
});
export type WorkflowDefinition = InferEntity<typeof WorkflowDefinition>;

export const WorkflowVersion = defineEntity({
  name: 'WorkflowVersion',
  tableName: 'workflow_version',
  properties: {
    workflowId: p.string().primary(),
    version: p.integer().primary(),
    graph: p.json<unknown>(),
    createdAt: p.datetime(),
    createdBy: p.string().nullable(),
  },
});
export type WorkflowVersion = InferEntity<typeof WorkflowVersion>;
