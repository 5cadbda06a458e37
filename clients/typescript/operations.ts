// Generated from contract/routes.ts by clients/typescript/generate.ts (npm run generate:client):
// do not edit. Every operation by its operationId: its method and path (a plain table, so the
// client loads no zod at run time) and, as types only, its request and answer schemas.
import type { z } from 'zod';
import type * as common from '../../contract/common.ts';
import type * as id from '../../contract/identity.ts';
import type * as pf from '../../contract/platform.ts';
import type * as runs from '../../contract/runs.ts';
import type * as nt from '../../contract/notifications.ts';
import type * as ops from '../../contract/ops.ts';

/** A query's fields as the api reads them (limit a number, not the text the URL carries), each optional. */
type QueryOf<S extends z.ZodType> = { [P in keyof z.input<S> & keyof z.output<S>]?: z.output<S>[P] };

export const OPERATIONS = {
  register: { method: 'POST', path: '/api/v1/auth/register' },
  verifyEmail: { method: 'POST', path: '/api/v1/auth/verify-email' },
  resendVerification: { method: 'POST', path: '/api/v1/auth/verify-email/resend' },
  login: { method: 'POST', path: '/api/v1/auth/login' },
  logout: { method: 'POST', path: '/api/v1/auth/logout' },
  requestPasswordReset: { method: 'POST', path: '/api/v1/auth/password-reset' },
  confirmPasswordReset: { method: 'POST', path: '/api/v1/auth/password-reset/confirm' },
  listAuthProviders: { method: 'GET', path: '/api/v1/auth/providers' },
  startOAuth: { method: 'GET', path: '/api/v1/auth/oauth/{provider}' },
  finishOAuth: { method: 'GET', path: '/api/v1/auth/oauth/{provider}/callback' },
  getMe: { method: 'GET', path: '/api/v1/me' },
  updateMe: { method: 'PATCH', path: '/api/v1/me' },
  changePassword: { method: 'POST', path: '/api/v1/me/password' },
  listMyLogins: { method: 'GET', path: '/api/v1/me/logins' },
  listMySessions: { method: 'GET', path: '/api/v1/me/sessions' },
  revokeMySession: { method: 'DELETE', path: '/api/v1/me/sessions/{sessionId}' },
  listTeams: { method: 'GET', path: '/api/v1/teams' },
  createTeam: { method: 'POST', path: '/api/v1/teams' },
  getTeam: { method: 'GET', path: '/api/v1/teams/{teamId}' },
  renameTeam: { method: 'PATCH', path: '/api/v1/teams/{teamId}' },
  listMembers: { method: 'GET', path: '/api/v1/teams/{teamId}/members' },
  changeMemberRole: { method: 'PATCH', path: '/api/v1/teams/{teamId}/members/{userId}' },
  removeMember: { method: 'DELETE', path: '/api/v1/teams/{teamId}/members/{userId}' },
  listInvitations: { method: 'GET', path: '/api/v1/teams/{teamId}/invitations' },
  invite: { method: 'POST', path: '/api/v1/teams/{teamId}/invitations' },
  withdrawInvitation: { method: 'DELETE', path: '/api/v1/teams/{teamId}/invitations/{invitationId}' },
  acceptInvitation: { method: 'POST', path: '/api/v1/invitations/{token}/accept' },
  getCurrentApiKey: { method: 'GET', path: '/api/v1/api-key' },
  listApiKeys: { method: 'GET', path: '/api/v1/teams/{teamId}/api-keys' },
  createApiKey: { method: 'POST', path: '/api/v1/teams/{teamId}/api-keys' },
  revokeApiKey: { method: 'DELETE', path: '/api/v1/teams/{teamId}/api-keys/{keyId}' },
  getUsage: { method: 'GET', path: '/api/v1/teams/{teamId}/usage' },
  adminListTeams: { method: 'GET', path: '/api/v1/admin/teams' },
  adminChangePlan: { method: 'PATCH', path: '/api/v1/admin/teams/{teamId}' },
  listCredentials: { method: 'GET', path: '/api/v1/teams/{teamId}/credentials' },
  createCredential: { method: 'POST', path: '/api/v1/teams/{teamId}/credentials' },
  setCredentialHosts: { method: 'PATCH', path: '/api/v1/teams/{teamId}/credentials/{credentialId}' },
  deleteCredential: { method: 'DELETE', path: '/api/v1/teams/{teamId}/credentials/{credentialId}' },
  listWorkflows: { method: 'GET', path: '/api/v1/teams/{teamId}/workflows' },
  createWorkflow: { method: 'POST', path: '/api/v1/teams/{teamId}/workflows' },
  getWorkflow: { method: 'GET', path: '/api/v1/teams/{teamId}/workflows/{id}' },
  updateWorkflow: { method: 'PUT', path: '/api/v1/teams/{teamId}/workflows/{id}' },
  deleteWorkflow: { method: 'DELETE', path: '/api/v1/teams/{teamId}/workflows/{id}' },
  listWorkflowVersions: { method: 'GET', path: '/api/v1/teams/{teamId}/workflows/{id}/versions' },
  getWorkflowVersion: { method: 'GET', path: '/api/v1/teams/{teamId}/workflows/{id}/versions/{version}' },
  listWebhooks: { method: 'GET', path: '/api/v1/teams/{teamId}/workflows/{id}/webhooks' },
  createWebhook: { method: 'POST', path: '/api/v1/teams/{teamId}/workflows/{id}/webhooks' },
  updateWebhook: { method: 'PATCH', path: '/api/v1/teams/{teamId}/workflows/{id}/webhooks/{webhookId}' },
  deleteWebhook: { method: 'DELETE', path: '/api/v1/teams/{teamId}/workflows/{id}/webhooks/{webhookId}' },
  listSchedules: { method: 'GET', path: '/api/v1/teams/{teamId}/workflows/{id}/schedules' },
  createSchedule: { method: 'POST', path: '/api/v1/teams/{teamId}/workflows/{id}/schedules' },
  updateSchedule: { method: 'PATCH', path: '/api/v1/teams/{teamId}/workflows/{id}/schedules/{scheduleId}' },
  deleteSchedule: { method: 'DELETE', path: '/api/v1/teams/{teamId}/workflows/{id}/schedules/{scheduleId}' },
  pauseSchedule: { method: 'POST', path: '/api/v1/teams/{teamId}/workflows/{id}/schedules/{scheduleId}/pause' },
  resumeSchedule: { method: 'POST', path: '/api/v1/teams/{teamId}/workflows/{id}/schedules/{scheduleId}/resume' },
  mcp: { method: 'POST', path: '/mcp' },
  mcpStream: { method: 'GET', path: '/mcp' },
  mcpEndSession: { method: 'DELETE', path: '/mcp' },
  listRemoteMcpTools: { method: 'POST', path: '/api/v1/teams/{teamId}/mcp/tools' },
  startRun: { method: 'POST', path: '/api/v1/teams/{teamId}/workflows/{id}/runs' },
  listRuns: { method: 'GET', path: '/api/v1/teams/{teamId}/runs' },
  getRun: { method: 'GET', path: '/api/v1/teams/{teamId}/runs/{runId}' },
  streamRunEvents: { method: 'GET', path: '/api/v1/teams/{teamId}/runs/{runId}/events' },
  getRunOutput: { method: 'GET', path: '/api/v1/teams/{teamId}/runs/{runId}/output' },
  getNodeOutput: { method: 'GET', path: '/api/v1/teams/{teamId}/runs/{runId}/nodes/{nodeId}/output' },
  decide: { method: 'POST', path: '/api/v1/teams/{teamId}/runs/{runId}/approvals/{nodeId}' },
  cancelRun: { method: 'POST', path: '/api/v1/teams/{teamId}/runs/{runId}/cancel' },
  rerun: { method: 'POST', path: '/api/v1/teams/{teamId}/runs/{runId}/rerun' },
  getQueue: { method: 'GET', path: '/api/v1/teams/{teamId}/queue' },
  getRunStats: { method: 'GET', path: '/api/v1/teams/{teamId}/stats' },
  listFailures: { method: 'GET', path: '/api/v1/teams/{teamId}/failures' },
  listNotificationChannels: { method: 'GET', path: '/api/v1/teams/{teamId}/notification-channels' },
  createNotificationChannel: { method: 'POST', path: '/api/v1/teams/{teamId}/notification-channels' },
  deleteNotificationChannel: { method: 'DELETE', path: '/api/v1/teams/{teamId}/notification-channels/{channelId}' },
  testNotificationChannel: { method: 'POST', path: '/api/v1/teams/{teamId}/notification-channels/{channelId}/test' },
  listNotificationDeliveries: { method: 'GET', path: '/api/v1/teams/{teamId}/notification-channels/{channelId}/deliveries' },
  healthz: { method: 'GET', path: '/healthz' },
  readyz: { method: 'GET', path: '/readyz' },
  metrics: { method: 'GET', path: '/metrics' },
  getOpenApiDocument: { method: 'GET', path: '/api/v1/openapi.json' },
  getApiReference: { method: 'GET', path: '/api/docs' },
  getApiReferenceAsset: { method: 'GET', path: '/api/docs/assets/{name}' },
  deliverWebhook: { method: 'POST', path: '/hooks/{webhookId}' },
  startHelloRun: { method: 'POST', path: '/api/v1/diagnostics/hello-runs' },
  getHelloRun: { method: 'GET', path: '/api/v1/diagnostics/hello-runs/{runId}' },
} as const satisfies Record<string, { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; path: string }>;

/** Requests (z.input: what a caller may send) and answers (z.infer: what the api sends; a union when it has several 2xx answers) per operation. */
export interface OperationTypes {
  register: { body: z.input<typeof id.RegisterRequest>; answer: z.infer<typeof common.Accepted> };
  verifyEmail: { body: z.input<typeof id.VerifyEmailRequest>; answer: z.infer<typeof id.UserAnswer> };
  resendVerification: { body: z.input<typeof id.EmailOnlyRequest>; answer: z.infer<typeof common.Accepted> };
  login: { body: z.input<typeof id.LoginRequest>; answer: z.infer<typeof id.SignedIn> };
  logout: { answer: void };
  requestPasswordReset: { body: z.input<typeof id.EmailOnlyRequest>; answer: z.infer<typeof common.Accepted> };
  confirmPasswordReset: { body: z.input<typeof id.PasswordResetConfirmRequest>; answer: z.infer<typeof id.PasswordChanged> };
  listAuthProviders: { answer: z.infer<typeof id.AuthProviders> };
  startOAuth: { query: QueryOf<typeof id.OAuthStartQuery>; answer: void };
  finishOAuth: { query: QueryOf<typeof id.OAuthCallbackQuery>; answer: z.infer<typeof id.SignedIn> };
  getMe: { answer: z.infer<typeof id.Me> };
  updateMe: { body: z.input<typeof id.UpdateProfileRequest>; answer: z.infer<typeof id.UserAnswer> };
  changePassword: { body: z.input<typeof id.ChangePasswordRequest>; answer: z.infer<typeof id.SignedIn> };
  listMyLogins: { query: QueryOf<typeof common.PageQuery>; answer: z.infer<typeof id.LoginEventPage> };
  listMySessions: { answer: z.infer<typeof id.SessionPage> };
  revokeMySession: { answer: void };
  listTeams: { answer: z.infer<typeof id.TeamPage> };
  createTeam: { body: z.input<typeof id.CreateTeamRequest>; answer: z.infer<typeof id.Team> };
  getTeam: { answer: z.infer<typeof id.TeamBrief> };
  renameTeam: { body: z.input<typeof id.UpdateTeamRequest>; answer: z.infer<typeof id.Team> };
  listMembers: { query: QueryOf<typeof common.PageQuery>; answer: z.infer<typeof id.MemberPage> };
  changeMemberRole: { body: z.input<typeof id.ChangeRoleRequest>; answer: z.infer<typeof id.Member> };
  removeMember: { answer: void };
  listInvitations: { query: QueryOf<typeof common.PageQuery>; answer: z.infer<typeof id.InvitationPage> };
  invite: { body: z.input<typeof id.InviteRequest>; answer: z.infer<typeof id.Invitation> };
  withdrawInvitation: { answer: void };
  acceptInvitation: { answer: z.infer<typeof id.JoinedTeam> };
  getCurrentApiKey: { answer: z.infer<typeof id.CurrentApiKey> };
  listApiKeys: { query: QueryOf<typeof common.PageQuery>; answer: z.infer<typeof id.ApiKeyPage> };
  createApiKey: { body: z.input<typeof id.CreateApiKeyRequest>; answer: z.infer<typeof id.CreatedApiKey> };
  revokeApiKey: { answer: void };
  getUsage: { answer: z.infer<typeof id.Usage> };
  adminListTeams: { query: QueryOf<typeof id.AdminTeamsQuery>; answer: z.infer<typeof id.AdminTeamPage> };
  adminChangePlan: { body: z.input<typeof id.ChangePlanRequest>; answer: z.infer<typeof id.AdminTeam> };
  listCredentials: { answer: z.infer<typeof pf.CredentialList> };
  createCredential: { body: z.input<typeof pf.CreateCredential>; answer: z.infer<typeof pf.Credential> };
  setCredentialHosts: { body: z.input<typeof pf.UpdateCredentialHosts>; answer: z.infer<typeof pf.Credential> };
  deleteCredential: { answer: void };
  listWorkflows: { query: QueryOf<typeof pf.ListWorkflowsQuery>; answer: z.infer<typeof pf.WorkflowListPage> };
  createWorkflow: { body: z.input<typeof pf.CreateWorkflowRequest>; answer: z.infer<typeof pf.Workflow> };
  getWorkflow: { answer: z.infer<typeof pf.Workflow> };
  updateWorkflow: { body: z.input<typeof pf.UpdateWorkflowRequest>; answer: z.infer<typeof pf.Workflow> };
  deleteWorkflow: { answer: void };
  listWorkflowVersions: { answer: z.infer<typeof pf.WorkflowVersionList> };
  getWorkflowVersion: { answer: z.infer<typeof pf.WorkflowAtVersion> };
  listWebhooks: { answer: z.infer<typeof pf.WebhookList> };
  createWebhook: { body: z.input<typeof pf.WebhookRequest> | undefined; answer: z.infer<typeof pf.CreatedWebhook> };
  updateWebhook: { body: z.input<typeof pf.WebhookRequest>; answer: z.infer<typeof pf.Webhook> };
  deleteWebhook: { answer: void };
  listSchedules: { answer: z.infer<typeof pf.ScheduleList> };
  createSchedule: { body: z.input<typeof pf.CreateScheduleRequest>; answer: z.infer<typeof pf.Schedule> };
  updateSchedule: { body: z.input<typeof pf.UpdateScheduleRequest>; answer: z.infer<typeof pf.Schedule> };
  deleteSchedule: { answer: void };
  pauseSchedule: { answer: z.infer<typeof pf.Schedule> };
  resumeSchedule: { answer: z.infer<typeof pf.Schedule> };
  mcp: { body: z.input<typeof pf.McpMessage>; answer: z.infer<typeof pf.McpMessage> | void };
  mcpStream: { answer: void };
  mcpEndSession: { answer: void };
  listRemoteMcpTools: { body: z.input<typeof pf.ListRemoteToolsRequest>; answer: z.infer<typeof pf.RemoteMcpTools> };
  startRun: { body: z.input<typeof runs.StartRunRequest> | undefined; answer: z.infer<typeof runs.RunStarted> };
  listRuns: { query: QueryOf<typeof runs.ListRunsQuery>; answer: z.infer<typeof runs.RunPage> };
  getRun: { answer: z.infer<typeof runs.Run> };
  streamRunEvents: { answer: z.infer<typeof runs.RunStreamMessage> };
  getRunOutput: { answer: z.infer<typeof runs.RunOutput> };
  getNodeOutput: { answer: z.infer<typeof runs.NodeOutput> };
  decide: { body: z.input<typeof runs.DecisionRequest>; answer: z.infer<typeof runs.Decided> };
  cancelRun: { answer: z.infer<typeof runs.RunCancelled> };
  rerun: { body: z.input<typeof runs.RerunRequest> | undefined; answer: z.infer<typeof runs.RunStarted> };
  getQueue: { answer: z.infer<typeof runs.Queue> };
  getRunStats: { query: QueryOf<typeof runs.StatsQuery>; answer: z.infer<typeof runs.RunStats> };
  listFailures: { query: QueryOf<typeof runs.FailuresQuery>; answer: z.infer<typeof runs.FailuresAnswer> };
  listNotificationChannels: { answer: z.infer<typeof nt.NotificationChannelPage> };
  createNotificationChannel: { body: z.input<typeof nt.CreateNotificationChannel>; answer: z.infer<typeof nt.CreatedNotificationChannel> };
  deleteNotificationChannel: { answer: void };
  testNotificationChannel: { answer: z.infer<typeof nt.TestDelivery> };
  listNotificationDeliveries: { query: QueryOf<typeof common.PageQuery>; answer: z.infer<typeof nt.NotificationDeliveryPage> };
  healthz: { answer: z.infer<typeof ops.Alive> };
  readyz: { answer: z.infer<typeof ops.Readiness> };
  metrics: { answer: void };
  getOpenApiDocument: { answer: unknown };
  getApiReference: { answer: void };
  getApiReferenceAsset: { answer: void };
  deliverWebhook: { query: QueryOf<typeof runs.HookQuery>; body: z.input<typeof runs.HookBody> | undefined; answer: z.infer<typeof runs.HookOutput> | z.infer<typeof runs.HookAnswer> };
  startHelloRun: { body: z.input<typeof ops.HelloRunRequest> | undefined; answer: z.infer<typeof ops.HelloRunStarted> };
  getHelloRun: { answer: z.infer<typeof ops.HelloRunState> };
}
