import { DualMigration } from './dialect.ts';

/**
 * Workflows as tools (docs/decisions/037-mcp-server-and-workflow-tools.md): a workflow may carry
 * tool settings `{name, description, inputSchema}`, offered to MCP clients and agents. The name
 * is copied to its own column so a unique index, not a read-then-write, keeps it unique in a team
 * among workflows not deleted.
 */
export class M013WorkflowTools extends DualMigration {
  override name = 'm013-workflow-tools';
  readonly sql = {
    sqlite: [
      'alter table `workflow` add column `tool` json null',
      'alter table `workflow` add column `tool_name` text null',
      'create unique index `workflow_team_id_tool_name_unique` on `workflow` (`team_id`, `tool_name`) where `deleted_at` is null',
    ],
    postgresql: [
      'alter table "workflow" add column "tool" jsonb null',
      'alter table "workflow" add column "tool_name" varchar(255) null',
      'create unique index "workflow_team_id_tool_name_unique" on "workflow" ("team_id", "tool_name") where "deleted_at" is null',
    ],
  };
}
