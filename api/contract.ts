// The shapes the REST API answers with (docs/api.md), for clients in this repository — the
// web app imports these types (never code) so it cannot drift from what the server sends. Each
// type is the one the producing service or route declares.
export type { Role, Scope } from '../core/permissions.ts';
export type { UserView } from '../core/auth/service.ts';
export type { LoginEventView } from '../core/auth/login-events.ts';
export type { TeamView, MemberView, InvitationView } from '../core/teams/service.ts';
export type { ApiKeyView } from '../core/keys/service.ts';
export type { CredentialSummary } from '../core/credentials/service.ts';
export type { NotificationChannelView, DeliveryView as NotificationDeliveryView } from '../core/notifications/channels.ts';
export type { WorkflowSummary, WorkflowDetail } from '../core/workflows/service.ts';
export type { WorkflowTool } from '../core/workflows/tool.ts';
/** POST …/mcp/tools answers `{ tools: McpToolInfo[] }` (a remote MCP server's tools). */
export type { McpToolInfo } from '../activities/mcp-client.ts';
export type { WebhookView } from '../core/webhooks/service.ts';
export type { ScheduleView } from '../core/schedules/service.ts';
export type { RunSummary, RunDetail } from '../core/runs/service.ts';
export type { QueueSummary } from '../core/runs/queue.ts';
export type { UsageReport } from '../core/usage/service.ts';
export type { RunStats, DayStats, LastRun } from '../core/runs/stats.ts';
export type { FailureGroup } from '../core/failures/service.ts';
export type { PlanLimits } from '../core/plans.ts';
export type { AdminTeamView } from '../core/admin/service.ts';
export type { SessionView } from './routes/me.ts';

import type { UserView } from '../core/auth/service.ts';
import type { TeamView } from '../core/teams/service.ts';

/** GET /api/v1/me */
export interface Me {
  user: UserView;
  teams: TeamView[];
  /** May use /api/v1/admin (docs/decisions/035-instance-admin.md). */
  instanceAdmin: boolean;
}

/** Every list: `?limit=&cursor=` → `{items, nextCursor}`. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

import type { WorkflowSummary } from '../core/workflows/service.ts';
import type { LastRun } from '../core/runs/stats.ts';
import type { FailureGroup } from '../core/failures/service.ts';

/** GET …/workflows: each workflow with its newest root run. */
export type WorkflowListItem = WorkflowSummary & { lastRun: LastRun | null };

/** GET …/failures */
export interface FailuresAnswer {
  since: string;
  items: FailureGroup[];
}

/** GET …/workflows/{id}/versions */
export interface WorkflowVersionInfo {
  version: number;
  createdAt: string;
  createdBy: string | null;
}

/** GET …/usage: the report plus how often the AI response cache answered (null: unknown). */
export interface UsageAnswer {
  aiCache: { hits: number; misses: number; hitRatio: number | null } | null;
}
