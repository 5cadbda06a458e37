// Shapes of the API answers the web app reads: the wire contract's types (contract/, types
// only), under the names the pages use, so pages and server cannot drift apart.
import type { Role } from '../../../contract/index.ts';

export type {
  AdminTeam as AdminTeamView,
  ApiKey as ApiKeyView,
  Credential as CredentialSummary,
  Invitation as InvitationView,
  McpToolInfo,
  Me,
  Member as MemberView,
  NotificationChannel as NotificationChannelView,
  NotificationDelivery as NotificationDeliveryView,
  NotificationEvent,
  ChannelType,
  PlanName,
  Queue as QueueSummary,
  Role,
  Run as RunDetail,
  Scope,
  RunStatus,
  RunStreamData,
  RunStreamEventName,
  Schedule as ScheduleView,
  Team as TeamView,
  Webhook as WebhookView,
  WorkflowVersion as WorkflowVersionInfo,
} from '../../../contract/index.ts';
export type { GraphInput } from '../../../workflows/graph/schema.ts';
export type { NodeState } from '../../../workflows/interpreter/state.ts';

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
