// Shapes of the API answers the web app reads: the API's own contract types (api/contract.ts,
// types only), so pages and server cannot drift apart.
import type { Role } from '../../../api/contract.ts';

export type {
  AdminTeamView,
  ApiKeyView,
  CredentialSummary,
  DayStats,
  FailureGroup,
  FailuresAnswer,
  InvitationView,
  LoginEventView,
  McpToolInfo,
  Me,
  MemberView,
  Page,
  QueueSummary,
  Role,
  RunDetail,
  RunStats,
  RunSummary,
  ScheduleView,
  SessionView,
  TeamView,
  UsageAnswer,
  UsageReport,
  UserView as User,
  WebhookView,
  WorkflowDetail,
  WorkflowListItem,
  WorkflowSummary,
  WorkflowVersionInfo,
} from '../../../api/contract.ts';
export type { GraphInput } from '../../../workflows/graph/schema.ts';
export type { NodeState, RunState } from '../../../workflows/interpreter/state.ts';

/** What a role may do in the web app (the API enforces the same table; this only hides controls). */
export function canEdit(role: Role): boolean {
  return role !== 'viewer';
}
export function canAdmin(role: Role): boolean {
  return role === 'owner' || role === 'admin';
}

/** `/t/<teamId>` plus a path: every team page's URL. */
export function teamPath(teamId: string, path = ''): string {
  return `/t/${encodeURIComponent(teamId)}${path}`;
}
