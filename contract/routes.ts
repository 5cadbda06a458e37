// THE route table: every HTTP operation of the api with its request and answers. The OpenAPI
// document is generated from it (contract/openapi.ts), and tests check what the routes answer
// against it (tests/support/contract.ts). A route that is not here is not part of the API.
import type { z } from 'zod';
import { Accepted, PageQuery, Problem } from './common.ts';
import * as id from './identity.ts';
import * as pf from './platform.ts';
import * as runs from './runs.ts';
import * as nt from './notifications.ts';
import * as ops from './ops.ts';
import { MAX_CHANNELS_PER_TEAM } from './notifications.ts';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** public: no credentials; user: a session (cookie or bearer token) or a team API key (trk_…). */
export type Security = 'public' | 'user';
export interface ResponseSpec {
  description: string;
  /** JSON answer; absent: no body (204, 302) or a non-JSON one (contentType). */
  schema?: z.ZodType;
  contentType?: string;
  example?: unknown;
}
export interface HeaderSpec {
  name: string;
  description: string;
  required?: boolean;
  pattern?: string;
}
export interface RouteSpec {
  method: Method;
  /** OpenAPI style: /api/v1/teams/{teamId} */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  security: Security;
  query?: z.ZodObject;
  headers?: HeaderSpec[];
  body?: { schema: z.ZodType; required?: boolean; example: unknown; contentType?: string };
  responses: Record<number, ResponseSpec>;
  /** Served only when TRELLIS_DIAGNOSTICS is on (never in production). */
  diagnostics?: boolean;
}

/** What each path parameter is. */
export const PATH_PARAMS: Record<string, string> = {
  teamId: 'a team the caller belongs to (404 for any other team)',
  id: 'workflow id',
  runId: 'run id',
  nodeId: 'node id in the run\'s graph',
  version: 'version number',
  webhookId: 'webhook id',
  scheduleId: 'schedule id',
  credentialId: 'credential id',
  channelId: 'notification channel id',
  keyId: 'API key id',
  userId: 'member (user id)',
  invitationId: 'invitation id',
  sessionId: 'session id',
  token: 'the token from the emailed link',
  provider: 'google or github',
  name: 'file name',
};

const problem = (description: string): ResponseSpec => ({ description, schema: Problem, contentType: 'application/problem+json' });
const rateLimited = problem('rate limited: Retry-After says when to retry');
const signedIn = { 401: problem('no or invalid credentials: unauthenticated, invalid_session, invalid_api_key, api_key_expired'), 429: rateLimited };
const team = {
  ...signedIn,
  403: problem('the role or API key scope does not allow this'),
  404: problem('not found (also for teams and resources of other teams)'),
  429: problem('rate limited or over a plan quota (code says which): Retry-After says when to retry'),
};
const invalid = problem('invalid_request: problems names each field');
const malformed = problem('a malformed request (e.g. a NUL byte in the URL)');
const ok = (description: string, schema?: z.ZodType, example?: unknown): ResponseSpec => ({ description, ...(schema ? { schema } : {}), ...(example !== undefined ? { example } : {}) });

const exampleGraph = {
  nodes: [
    { id: 'greet', type: 'transform', config: { expression: '"Hello, " & input.name' } },
    { id: 'done', type: 'output', config: { value: '{{ steps.greet.output }}' } },
  ],
  edges: [{ from: 'greet', to: 'done' }],
};

const auth: RouteSpec[] = [
  { method: 'post', path: '/api/v1/auth/register', operationId: 'register', tag: 'auth', security: 'public',
    summary: 'Create an account: emails a verification link (and creates a personal team)',
    description: 'For an address that already has an account, emails its owner instead; the answer is the same (always 202).',
    body: { schema: id.RegisterRequest, example: { email: 'ada@example.com', password: 'correct horse battery staple', name: 'Ada' } },
    responses: { 202: ok('accepted', Accepted), 400: problem('invalid input or weak_password'), 429: rateLimited } },
  { method: 'post', path: '/api/v1/auth/verify-email', operationId: 'verifyEmail', tag: 'auth', security: 'public', summary: 'Confirm the email address with the emailed token',
    body: { schema: id.VerifyEmailRequest, example: { token: 'vt_8hq2m4k9x7' } }, responses: { 200: ok('verified', id.UserAnswer), 400: problem('invalid_token'), 429: rateLimited } },
  { method: 'post', path: '/api/v1/auth/verify-email/resend', operationId: 'resendVerification', tag: 'auth', security: 'public', summary: 'Send a new verification link (always 202)',
    body: { schema: id.EmailOnlyRequest, example: { email: 'ada@example.com' } }, responses: { 202: ok('accepted', Accepted), 400: invalid, 429: rateLimited } },
  { method: 'post', path: '/api/v1/auth/login', operationId: 'login', tag: 'auth', security: 'public', summary: 'Sign in with email and password; sets the trellis_session cookie',
    description: 'Failed sign-ins are throttled per account (a back-off that doubles with each failure after a few; not applied on a network the account signed in from recently) and per client network (IPv4 address, IPv6 /64).',
    body: { schema: id.LoginRequest, example: { email: 'ada@example.com', password: 'correct horse battery staple' } },
    responses: { 200: ok('signed in', id.SignedIn), 400: invalid, 401: problem('invalid_credentials (the same whether or not the email exists)'), 403: problem('email_not_verified'),
      429: problem('rate_limited_account, rate_limited_network or rate_limited_ip; Retry-After says when to retry') } },
  { method: 'post', path: '/api/v1/auth/logout', operationId: 'logout', tag: 'auth', security: 'user', summary: 'Revoke the current session', responses: { 204: ok('signed out'), ...signedIn } },
  { method: 'post', path: '/api/v1/auth/password-reset', operationId: 'requestPasswordReset', tag: 'auth', security: 'public', summary: 'Email a password reset link (always 202)',
    body: { schema: id.EmailOnlyRequest, example: { email: 'ada@example.com' } }, responses: { 202: ok('accepted', Accepted), 400: invalid, 429: rateLimited } },
  { method: 'post', path: '/api/v1/auth/password-reset/confirm', operationId: 'confirmPasswordReset', tag: 'auth', security: 'public', summary: 'Set a new password with the emailed token; revokes every session',
    body: { schema: id.PasswordResetConfirmRequest, example: { token: 'rt_5n2p8d4w1z', password: 'a new long passphrase' } },
    responses: { 200: ok('password changed', id.PasswordChanged), 400: problem('invalid_token or weak_password'), 429: rateLimited } },
  { method: 'get', path: '/api/v1/auth/providers', operationId: 'listAuthProviders', tag: 'auth', security: 'public', summary: 'Sign-in methods this server offers',
    responses: { 200: ok('sign-in methods', id.AuthProviders, { password: true, google: false, github: true }), 429: rateLimited } },
  { method: 'get', path: '/api/v1/auth/oauth/{provider}', operationId: 'startOAuth', tag: 'auth', security: 'public', summary: 'Start signing in with Google or GitHub (state + PKCE)',
    query: id.OAuthStartQuery,
    responses: { 302: ok('redirect to the provider'), 404: problem('unknown or unconfigured provider'), 429: rateLimited } },
];
auth.push(
  { method: 'get', path: '/api/v1/auth/oauth/{provider}/callback', operationId: 'finishOAuth', tag: 'auth', security: 'public', summary: 'Provider callback: signs in (linking by verified email or creating the user)',
    description: 'Browsers are redirected to the web app (or to /login?error=<code>); clients sending Accept: application/json get the session as JSON.',
    query: id.OAuthCallbackQuery,
    responses: { 200: ok('signed in (JSON clients)', id.SignedIn), 302: ok('signed in: redirect to the web app'), 400: problem('oauth_state_mismatch'), 401: problem('oauth_failed / oauth_denied'),
      403: problem('oauth_email_unverified'), 429: rateLimited, 502: problem('provider unreachable') } },
);

const me: RouteSpec[] = [
  { method: 'get', path: '/api/v1/me', operationId: 'getMe', tag: 'me', security: 'user', summary: 'The signed-in user and their teams',
    responses: { 200: ok('me', id.Me), ...signedIn, 403: problem('API keys have no "me"') } },
  { method: 'patch', path: '/api/v1/me', operationId: 'updateMe', tag: 'me', security: 'user', summary: 'Update the profile',
    body: { schema: id.UpdateProfileRequest, example: { name: 'Ada Lovelace', timezone: 'Europe/London', locale: 'en-GB' } }, responses: { 200: ok('updated', id.UserAnswer), 400: invalid, ...signedIn } },
  { method: 'post', path: '/api/v1/me/password', operationId: 'changePassword', tag: 'me', security: 'user', summary: 'Change the password: revokes every session and returns a new one',
    body: { schema: id.ChangePasswordRequest, example: { currentPassword: 'correct horse battery staple', newPassword: 'a new long passphrase' } },
    responses: { 200: ok('changed', id.SignedIn), 400: problem('weak_password'), 403: problem('wrong_password'), ...signedIn } },
  { method: 'get', path: '/api/v1/me/logins', operationId: 'listMyLogins', tag: 'me', security: 'user', summary: 'Login history: every attempt (time, IP, user agent, method, success, reason)',
    query: PageQuery, responses: { 200: ok('a page', id.LoginEventPage), ...signedIn } },
  { method: 'get', path: '/api/v1/me/sessions', operationId: 'listMySessions', tag: 'me', security: 'user', summary: 'Active sessions', responses: { 200: ok('sessions', id.SessionPage), ...signedIn } },
  { method: 'delete', path: '/api/v1/me/sessions/{sessionId}', operationId: 'revokeMySession', tag: 'me', security: 'user', summary: 'Revoke one of my sessions',
    responses: { 204: ok('revoked'), ...signedIn, 404: problem('no such session') } },
];

const teams: RouteSpec[] = [
  { method: 'get', path: '/api/v1/teams', operationId: 'listTeams', tag: 'teams', security: 'user', summary: 'My teams', responses: { 200: ok('teams', id.TeamPage), ...signedIn } },
  { method: 'post', path: '/api/v1/teams', operationId: 'createTeam', tag: 'teams', security: 'user', summary: 'Create a team (the creator is owner)',
    body: { schema: id.CreateTeamRequest, example: { name: 'Growth' } }, responses: { 201: ok('created', id.Team), 400: invalid, ...signedIn } },
  { method: 'get', path: '/api/v1/teams/{teamId}', operationId: 'getTeam', tag: 'teams', security: 'user', summary: 'A team', responses: { 200: ok('team', id.TeamBrief), ...team } },
  { method: 'patch', path: '/api/v1/teams/{teamId}', operationId: 'renameTeam', tag: 'teams', security: 'user', summary: 'Rename a team (admin)',
    body: { schema: id.UpdateTeamRequest, example: { name: 'Growth EU' } }, responses: { 200: ok('team', id.Team), 400: invalid, ...team } },
  { method: 'get', path: '/api/v1/teams/{teamId}/members', operationId: 'listMembers', tag: 'teams', security: 'user', summary: 'Members and their roles', query: PageQuery, responses: { 200: ok('a page', id.MemberPage), ...team } },
  { method: 'patch', path: '/api/v1/teams/{teamId}/members/{userId}', operationId: 'changeMemberRole', tag: 'teams', security: 'user',
    summary: "Change a member's role (admin; only owners grant or take the owner role; never the last owner)",
    body: { schema: id.ChangeRoleRequest, example: { role: 'editor' } }, responses: { 200: ok('member', id.Member), 400: invalid, ...team, 409: problem('last_owner') } },
  { method: 'delete', path: '/api/v1/teams/{teamId}/members/{userId}', operationId: 'removeMember', tag: 'teams', security: 'user', summary: 'Remove a member (admin), or leave (yourself); never the last owner',
    responses: { 204: ok('removed'), ...team, 409: problem('last_owner') } },
  { method: 'get', path: '/api/v1/teams/{teamId}/invitations', operationId: 'listInvitations', tag: 'teams', security: 'user', summary: 'Pending invitations (admin)', query: PageQuery, responses: { 200: ok('a page', id.InvitationPage), ...team } },
  { method: 'post', path: '/api/v1/teams/{teamId}/invitations', operationId: 'invite', tag: 'teams', security: 'user', summary: 'Invite by email with a role (admin); the link is emailed, valid 7 days',
    body: { schema: id.InviteRequest, example: { email: 'grace@example.com', role: 'editor' } }, responses: { 201: ok('invited', id.Invitation), 400: invalid, ...team, 409: problem('already_member') } },
  { method: 'delete', path: '/api/v1/teams/{teamId}/invitations/{invitationId}', operationId: 'withdrawInvitation', tag: 'teams', security: 'user', summary: 'Withdraw an invitation (admin)', responses: { 204: ok('withdrawn'), ...team } },
  { method: 'post', path: '/api/v1/invitations/{token}/accept', operationId: 'acceptInvitation', tag: 'teams', security: 'user', summary: 'Accept an invitation (signed in with the invited, verified email)',
    responses: { 200: ok('joined', id.JoinedTeam), 400: problem('invalid_token'), 403: problem('invitation_email_mismatch or email_not_verified'), ...signedIn } },
  { method: 'get', path: '/api/v1/api-key', operationId: 'getCurrentApiKey', tag: 'api-keys', security: 'user', summary: 'The API key of this request and its team (API keys only)',
    responses: { 200: ok('the key, without its secret', id.CurrentApiKey), ...signedIn, 403: problem('api_key_required: a session, not an API key') } },
  { method: 'get', path: '/api/v1/teams/{teamId}/api-keys', operationId: 'listApiKeys', tag: 'api-keys', security: 'user', summary: 'API keys of the team, without secrets (admin)', query: PageQuery, responses: { 200: ok('a page', id.ApiKeyPage), ...team } },
  { method: 'post', path: '/api/v1/teams/{teamId}/api-keys', operationId: 'createApiKey', tag: 'api-keys', security: 'user', summary: 'Create an API key (admin); the key is in this answer only',
    description: 'expiresAt: after now and at most 365 days ahead; 90 days when absent. The key is revoked when its creator leaves the team or loses the admin role.',
    body: { schema: id.CreateApiKeyRequest, example: { name: 'CI deploys', scopes: ['workflows:read', 'workflows:write', 'runs:write'] } },
    responses: { 201: ok('created', id.CreatedApiKey), 400: problem('invalid input; invalid_expiry'), ...team } },
  { method: 'delete', path: '/api/v1/teams/{teamId}/api-keys/{keyId}', operationId: 'revokeApiKey', tag: 'api-keys', security: 'user', summary: 'Revoke an API key (refused from the next request on)', responses: { 204: ok('revoked'), ...team } },
  { method: 'get', path: '/api/v1/teams/{teamId}/usage', operationId: 'getUsage', tag: 'usage', security: 'user', summary: "This month's usage (runs, node executions, AI tokens, cost) and the plan's limits", responses: { 200: ok('usage', id.Usage), ...team } },
  { method: 'get', path: '/api/v1/admin/teams', operationId: 'adminListTeams', tag: 'admin', security: 'user', summary: "Every team with this month's usage and its plan (instance admin)", query: id.AdminTeamsQuery,
    responses: { 200: ok('a page', id.AdminTeamPage), 400: problem('invalid_query'), ...signedIn, 403: problem('instance_admin_required') } },
  { method: 'patch', path: '/api/v1/admin/teams/{teamId}', operationId: 'adminChangePlan', tag: 'admin', security: 'user', summary: 'Move a team to another plan (instance admin)',
    body: { schema: id.ChangePlanRequest, example: { plan: 'pro' } }, responses: { 200: ok('changed', id.AdminTeam), 400: invalid, ...signedIn, 403: problem('instance_admin_required'), 404: problem('no such team') } },
];

const wf = '/api/v1/teams/{teamId}/workflows';
const platform: RouteSpec[] = [
  { method: 'get', path: '/api/v1/teams/{teamId}/credentials', operationId: 'listCredentials', tag: 'credentials', security: 'user', summary: 'List credentials (no secrets)', responses: { 200: ok('credentials', pf.CredentialList), ...team } },
  { method: 'post', path: '/api/v1/teams/{teamId}/credentials', operationId: 'createCredential', tag: 'credentials', security: 'user',
    summary: 'Store a credential (sealed at rest, never returned); http_* types name the hosts it may be sent to (allowedHosts)',
    body: { schema: pf.CreateCredential, example: { name: 'GitHub', type: 'http_bearer', data: { token: 'ghp_…' }, allowedHosts: ['api.github.com'] } },
    responses: { 201: ok('stored', pf.Credential), 400: problem('invalid data or allowed hosts'), ...team, 409: problem('name taken') } },
  { method: 'patch', path: '/api/v1/teams/{teamId}/credentials/{credentialId}', operationId: 'setCredentialHosts', tag: 'credentials', security: 'user', summary: 'Set the hosts an http credential may be sent to (team admins)',
    body: { schema: pf.UpdateCredentialHosts, example: { allowedHosts: ['api.github.com', '*.githubusercontent.com'] } }, responses: { 200: ok('updated', pf.Credential), 400: problem('invalid allowed hosts, or an openai credential'), ...team } },
  { method: 'delete', path: '/api/v1/teams/{teamId}/credentials/{credentialId}', operationId: 'deleteCredential', tag: 'credentials', security: 'user', summary: 'Delete a credential', responses: { 204: ok('deleted'), ...team } },
  { method: 'get', path: wf, operationId: 'listWorkflows', tag: 'workflows', security: 'user', summary: 'List workflows, each with its last run; q: case-insensitive search in names and descriptions',
    query: pf.ListWorkflowsQuery, responses: { 200: ok('a page', pf.WorkflowListPage), 400: invalid, ...team } },
  { method: 'post', path: wf, operationId: 'createWorkflow', tag: 'workflows', security: 'user', summary: 'Create a workflow (version 1)',
    body: { schema: pf.CreateWorkflowRequest, example: { name: 'Greeter', description: 'Says hello', graph: exampleGraph } },
    responses: { 201: ok('created', pf.Workflow), 400: invalid, ...team, 409: problem('tool_name_taken'), 422: problem('invalid graph: problems lists each {path, message}') } },
  { method: 'get', path: `${wf}/{id}`, operationId: 'getWorkflow', tag: 'workflows', security: 'user', summary: 'The latest version of a workflow', responses: { 200: ok('workflow', pf.Workflow), ...team } },
  { method: 'put', path: `${wf}/{id}`, operationId: 'updateWorkflow', tag: 'workflows', security: 'user', summary: 'Save: a new graph makes version n+1',
    body: { schema: pf.UpdateWorkflowRequest, example: { name: 'Greeter', graph: exampleGraph } },
    responses: { 200: ok('saved', pf.Workflow), 400: invalid, ...team, 409: problem('saved concurrently, or tool_name_taken'), 422: problem('invalid graph, or one through which the workflow can start itself') } },
  { method: 'delete', path: `${wf}/{id}`, operationId: 'deleteWorkflow', tag: 'workflows', security: 'user', summary: 'Delete a workflow, its webhooks and schedules', responses: { 204: ok('deleted'), ...team } },
  { method: 'get', path: `${wf}/{id}/versions`, operationId: 'listWorkflowVersions', tag: 'workflows', security: 'user', summary: 'Version history', responses: { 200: ok('versions', pf.WorkflowVersionList), ...team } },
  { method: 'get', path: `${wf}/{id}/versions/{version}`, operationId: 'getWorkflowVersion', tag: 'workflows', security: 'user', summary: 'One version, read-only', responses: { 200: ok('the workflow at that version', pf.WorkflowAtVersion), 400: invalid, ...team } },
  { method: 'get', path: `${wf}/{id}/webhooks`, operationId: 'listWebhooks', tag: 'webhooks', security: 'user', summary: 'List webhooks (no secrets)', responses: { 200: ok('webhooks', pf.WebhookList), ...team } },
  { method: 'post', path: `${wf}/{id}/webhooks`, operationId: 'createWebhook', tag: 'webhooks', security: 'user', summary: 'Create a signed webhook (the secret is shown once)',
    body: { schema: pf.WebhookRequest, required: false, example: { priority: 2 } }, responses: { 201: ok('created', pf.CreatedWebhook), 400: invalid, ...team } },
  { method: 'patch', path: `${wf}/{id}/webhooks/{webhookId}`, operationId: 'updateWebhook', tag: 'webhooks', security: 'user', summary: 'Change the priority of the runs a webhook starts',
    body: { schema: pf.WebhookRequest, example: { priority: 1 } }, responses: { 200: ok('updated', pf.Webhook), 400: invalid, ...team } },
  { method: 'delete', path: `${wf}/{id}/webhooks/{webhookId}`, operationId: 'deleteWebhook', tag: 'webhooks', security: 'user', summary: 'Delete a webhook', responses: { 204: ok('deleted'), ...team } },
  { method: 'get', path: `${wf}/{id}/schedules`, operationId: 'listSchedules', tag: 'schedules', security: 'user', summary: 'List schedules with their next 5 fire times', responses: { 200: ok('schedules', pf.ScheduleList), ...team } },
  { method: 'post', path: `${wf}/{id}/schedules`, operationId: 'createSchedule', tag: 'schedules', security: 'user', summary: 'Create a cron schedule (overlapping runs are skipped)',
    body: { schema: pf.CreateScheduleRequest, example: { cron: '0 9 * * 1-5', timezone: 'Europe/Paris', input: { name: 'team' }, priority: 3 } },
    responses: { 201: ok('created', pf.Schedule), 400: problem('invalid cron or time zone'), ...team, 403: problem("quota_schedules: the plan's schedules per team are all used; or the role does not allow this") } },
  { method: 'patch', path: `${wf}/{id}/schedules/{scheduleId}`, operationId: 'updateSchedule', tag: 'schedules', security: 'user', summary: 'Change the priority of the runs a schedule starts, or pin (null: unpin) a version',
    body: { schema: pf.UpdateScheduleRequest, example: { priority: 2, version: null } }, responses: { 200: ok('updated', pf.Schedule), 400: invalid, ...team } },
  { method: 'delete', path: `${wf}/{id}/schedules/{scheduleId}`, operationId: 'deleteSchedule', tag: 'schedules', security: 'user', summary: 'Delete a schedule', responses: { 204: ok('deleted'), ...team } },
  { method: 'post', path: `${wf}/{id}/schedules/{scheduleId}/pause`, operationId: 'pauseSchedule', tag: 'schedules', security: 'user', summary: 'Pause a schedule', responses: { 200: ok('paused', pf.Schedule), ...team } },
  { method: 'post', path: `${wf}/{id}/schedules/{scheduleId}/resume`, operationId: 'resumeSchedule', tag: 'schedules', security: 'user', summary: 'Resume a schedule', responses: { 200: ok('resumed', pf.Schedule), ...team } },
  // Trellis as an MCP server (api/routes/mcp.ts, ADR 037) and the designer's "list tools" of a remote one.
  { method: 'post', path: '/mcp', operationId: 'mcp', tag: 'mcp', security: 'user', summary: 'Trellis as an MCP server (Streamable HTTP, JSON-RPC 2.0, stateless): API keys with runs:write only',
    description: [
      '`initialize`, `tools/list` (the key\'s team\'s workflows with tool settings) and `tools/call` (checks the arguments against the tool\'s input schema, starts a run with trigger `mcp` and answers with its output; `isError` with the run\'s error; its id and web URL when it outlasts `TRELLIS_MCP_WAIT_MS`).',
      'A session (cookie or token) is refused with 401: send `Authorization: Bearer trk_…`.',
    ].join('\n'),
    body: { schema: pf.McpMessage, example: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'greet', arguments: { name: 'Ada' } } } },
    responses: { 200: ok('the JSON-RPC answer (or a batch\'s answers)', pf.McpMessage), 202: ok('a notification or response was accepted'), 400: problem('mcp_batch_too_large: a batch holds more than 10 messages or more than one tools/call'),
      401: problem('api_key_required or invalid_api_key (WWW-Authenticate: Bearer)'), 403: problem('insufficient_scope: the key lacks runs:write'),
      429: problem('rate limited (per key, per team plan), or mcp_calls_limit: too many requests in progress for the key or team (TRELLIS_MCP_CALLS_PER_KEY/_PER_TEAM)') } },
  { method: 'get', path: '/mcp', operationId: 'mcpStream', tag: 'mcp', security: 'public', summary: 'No server-to-client stream: the MCP server is stateless', responses: { 405: ok('method not allowed (Allow: POST)') } },
  { method: 'delete', path: '/mcp', operationId: 'mcpEndSession', tag: 'mcp', security: 'public', summary: 'No session to end: the MCP server is stateless', responses: { 405: ok('method not allowed (Allow: POST)') } },
  { method: 'post', path: '/api/v1/teams/{teamId}/mcp/tools', operationId: 'listRemoteMcpTools', tag: 'mcp', security: 'user',
    summary: "A remote MCP server's tools (the designer's \"list tools\"): SSRF-guarded like the http node; a credential (http_bearer, http_header) goes to its bound hosts only",
    body: { schema: pf.ListRemoteToolsRequest, example: { url: 'https://mcp.example.com/mcp', credentialId: 'cred_4k2j9x' } },
    responses: {
      200: ok('its tools', pf.RemoteMcpTools),
      400: problem('invalid_request; credential_not_found, credential_type_mismatch, credential_host_not_allowed; mcp_destination_refused (a private or refused address)'), ...team,
      502: problem('mcp_server_error: the server answered with an error, could not be reached, or is not MCP'), 504: problem('mcp_timeout') } },
];

const rt = '/api/v1/teams/{teamId}/runs';
const runRoutes: RouteSpec[] = [
  { method: 'post', path: `${wf}/{id}/runs`, operationId: 'startRun', tag: 'runs', security: 'user', summary: 'Start a run (queued when the plan\'s concurrent runs are all busy)',
    headers: [{ name: 'Idempotency-Key', description: 'the same key returns the same run (at most 200 characters)' }],
    body: { schema: runs.StartRunRequest, required: false, example: { input: { name: 'Ada' }, priority: 2 } },
    responses: { 202: ok('queued or started', runs.RunStarted, { runId: 'run_6f1c…', status: 'running' }), 400: invalid, ...team } },
  { method: 'get', path: rt, operationId: 'listRuns', tag: 'runs', security: 'user', summary: 'List runs, newest first', query: runs.ListRunsQuery, responses: { 200: ok('a page', runs.RunPage), 400: invalid, ...team } },
  { method: 'get', path: `${rt}/{runId}`, operationId: 'getRun', tag: 'runs', security: 'user', summary: 'A run with its node states (live while it runs)', responses: { 200: ok('run', runs.Run), ...team } },
  { method: 'get', path: `${rt}/{runId}/events`, operationId: 'streamRunEvents', tag: 'runs', security: 'user',
    summary: 'Live events (Server-Sent Events)',
    description: 'Events, each `data:` a JSON object: `snapshot` (a Run), `node` (NodeEvent), `token` (TokenEvent), `run` (RunEndEvent: final; the stream then closes), `reconnect` (ReconnectEvent: the stream reached its maximum lifetime; EventSource reconnects and gets a fresh snapshot).',
    responses: { 200: { description: 'the event stream', contentType: 'text/event-stream', schema: runs.RunStreamMessage }, ...team, 429: problem('sse_limit: too many streams open for this user/API key or team; or rate limited') } },
  { method: 'get', path: `${rt}/{runId}/output`, operationId: 'getRunOutput', tag: 'runs', security: 'user', summary: "The run's whole output, loaded from blob storage when large", responses: { 200: ok('output', runs.RunOutput), ...team } },
  { method: 'get', path: `${rt}/{runId}/nodes/{nodeId}/output`, operationId: 'getNodeOutput', tag: 'runs', security: 'user', summary: "A node's whole output, loaded from blob storage when large", responses: { 200: ok('output', runs.NodeOutput), ...team } },
  { method: 'post', path: `${rt}/{runId}/approvals/{nodeId}`, operationId: 'decide', tag: 'runs', security: 'user', summary: 'Approve or reject a waiting approval node (or an agent tool call that requires approval)',
    body: { schema: runs.DecisionRequest, example: { decision: 'approve', comment: 'ship it', data: { channel: 'blog' } } },
    responses: { 200: ok('decided', runs.Decided), 400: invalid, ...team, 409: problem('node_not_waiting'), 422: problem("invalid_form_data: the data does not match the node's form"), 503: problem('run_busy: try again in a few seconds') } },
  { method: 'post', path: `${rt}/{runId}/cancel`, operationId: 'cancelRun', tag: 'runs', security: 'user', summary: 'Cancel a run (a queued one at once)', responses: { 202: ok('cancelled or cancelling', runs.RunCancelled), ...team } },
  { method: 'post', path: `${rt}/{runId}/rerun`, operationId: 'rerun', tag: 'runs', security: 'user', summary: 'Start a new run of the same version and input; from a node, reusing the outputs upstream of it',
    body: { schema: runs.RerunRequest, required: false, example: { fromNode: 'review' } }, responses: { 202: ok('started', runs.RunStarted), 400: invalid, ...team } },
  { method: 'get', path: '/api/v1/teams/{teamId}/queue', operationId: 'getQueue', tag: 'runs', security: 'user', summary: "The team's queue: queued runs by priority, the oldest one's wait, running vs allowed, the next to leave", responses: { 200: ok('queue', runs.Queue), ...team } },
  { method: 'get', path: '/api/v1/teams/{teamId}/stats', operationId: 'getRunStats', tag: 'insights', security: 'user', summary: 'Root runs per UTC day and status over the last `days` days, with totals and the success rate',
    query: runs.StatsQuery, responses: { 200: ok('statistics', runs.RunStats), 400: problem('invalid_query: a parameter is out of range (problems names it)'), ...team } },
  { method: 'get', path: '/api/v1/teams/{teamId}/failures', operationId: 'listFailures', tag: 'insights', security: 'user', summary: 'Failed and timed-out root runs since `since`, grouped by workflow, node and error code',
    query: runs.FailuresQuery, responses: { 200: ok('groups, the most recently seen first', runs.FailuresAnswer), 400: problem('invalid_query'), ...team } },
];

const nb = '/api/v1/teams/{teamId}/notification-channels';
const notifications: RouteSpec[] = [
  { method: 'get', path: nb, operationId: 'listNotificationChannels', tag: 'notifications', security: 'user', summary: 'List notification channels (no secrets)', responses: { 200: ok('channels', nt.NotificationChannelPage), ...team } },
  { method: 'post', path: nb, operationId: 'createNotificationChannel', tag: 'notifications', security: 'user', summary: "Add a notification channel (a webhook channel's signing secret is shown once)",
    body: { schema: nt.CreateNotificationChannel, example: { name: 'Ops alerts', type: 'webhook', config: { url: 'https://hooks.example.com/trellis' }, events: ['run.failed', 'approval.waiting'] } },
    responses: { 201: ok('added', nt.CreatedNotificationChannel), 400: invalid, ...team, 403: problem(`not an admin, or notification_channel_limit: at most ${MAX_CHANNELS_PER_TEAM} channels per team`) } },
  { method: 'delete', path: `${nb}/{channelId}`, operationId: 'deleteNotificationChannel', tag: 'notifications', security: 'user', summary: 'Remove a channel and its delivery log', responses: { 204: ok('removed'), ...team } },
  { method: 'post', path: `${nb}/{channelId}/test`, operationId: 'testNotificationChannel', tag: 'notifications', security: 'user', summary: 'Send a test notification; its outcome appears in the delivery log', responses: { 202: ok('recorded and started', nt.TestDelivery), ...team } },
  { method: 'get', path: `${nb}/{channelId}/deliveries`, operationId: 'listNotificationDeliveries', tag: 'notifications', security: 'user', summary: "The channel's delivery log, newest first",
    query: PageQuery, responses: { 200: ok('a page', nt.NotificationDeliveryPage), 400: invalid, ...team } },
];

const health: RouteSpec[] = [
  { method: 'get', path: '/healthz', operationId: 'healthz', tag: 'health', security: 'public', summary: 'Process is up', responses: { 200: ok('up', ops.Alive), 400: malformed } },
  { method: 'get', path: '/readyz', operationId: 'readyz', tag: 'health', security: 'public', summary: 'Database, Redis and Temporal are reachable', responses: { 200: ok('ready', ops.Readiness), 400: malformed, 503: ok('a dependency is down', ops.Readiness) } },
  { method: 'get', path: '/metrics', operationId: 'metrics', tag: 'health', security: 'public', summary: 'Prometheus metrics (a bearer token when TRELLIS_METRICS_TOKEN is set)',
    responses: { 200: { description: 'text exposition format', contentType: 'text/plain' }, 401: problem('metrics token missing or wrong') } },
  { method: 'get', path: '/api/v1/openapi.json', operationId: 'getOpenApiDocument', tag: 'health', security: 'public', summary: 'This document (OpenAPI 3.1, generated from the contract)',
    responses: { 200: { description: 'the OpenAPI document', contentType: 'application/json' }, 400: malformed } },
  { method: 'get', path: '/api/docs', operationId: 'getApiReference', tag: 'health', security: 'public', summary: 'The interactive API reference (Swagger UI, served by the api itself)',
    responses: { 200: { description: 'the reference page', contentType: 'text/html' }, 400: malformed } },
  { method: 'get', path: '/api/docs/assets/{name}', operationId: 'getApiReferenceAsset', tag: 'health', security: 'public', summary: "The reference page's scripts, styles and icon",
    responses: { 200: { description: 'the file (JavaScript, CSS or PNG)', contentType: 'text/javascript' }, 404: problem('no such asset') } },
  { method: 'post', path: '/hooks/{webhookId}', operationId: 'deliverWebhook', tag: 'webhooks', security: 'public',
    summary: 'Deliver to a webhook (signed): starts at most one run per signed request',
    description: [
      'Sign each delivery: `X-Trellis-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. A replay of a signed request answers with the first run (`duplicate: true`); `X-Trellis-Delivery` dedupes re-signed retries; `?wait=true` answers with the output.',
    ].join('\n'),
    query: runs.HookQuery,
    headers: [
      { name: 'X-Trellis-Signature', required: true, description: 't=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>' },
      { name: 'X-Trellis-Delivery', description: 'a delivery id: retries with the same id start no second run' },
      { name: 'X-Trellis-Priority', description: "1 (first) to 5; default: the webhook's priority", pattern: '^[1-5]$' },
    ],
    body: { schema: runs.HookBody, required: false, example: { audience: 'engineers' } },
    responses: { 200: ok('the output (with ?wait=true)', runs.HookOutput), 202: ok('accepted (or, with ?wait=true, still running)', runs.HookAnswer), 401: problem('missing, invalid or expired signature'), 404: problem('no such webhook'),
      413: problem('body over 1 MB'), 429: problem("rate_limited_webhook: the webhook's deliveries per minute are used; rate_limited_webhook_refused: too many unsigned or wrongly signed requests from this address") } },
  { method: 'post', path: '/api/v1/diagnostics/hello-runs', operationId: 'startHelloRun', tag: 'diagnostics', security: 'public', diagnostics: true, summary: 'Start the built-in hello graph (not in production)',
    body: { schema: ops.HelloRunRequest, required: false, example: { name: 'world' } }, responses: { 202: ok('started', ops.HelloRunStarted), 400: invalid } },
  { method: 'get', path: '/api/v1/diagnostics/hello-runs/{runId}', operationId: 'getHelloRun', tag: 'diagnostics', security: 'public', diagnostics: true, summary: 'State of a hello run',
    responses: { 200: ok('run state', ops.HelloRunState), 404: problem('no such run') } },
];

export const ROUTES: readonly RouteSpec[] = [...auth, ...me, ...teams, ...platform, ...runRoutes, ...notifications, ...health];

export const TAGS: { name: string; description: string }[] = [
  { name: 'auth', description: 'Accounts and sign-in' },
  { name: 'me', description: 'The signed-in user' },
  { name: 'teams', description: 'Teams, members and invitations' },
  { name: 'api-keys', description: 'Team API keys (Authorization: Bearer trk_…)' },
  { name: 'usage', description: "The team's usage and plan limits" },
  { name: 'admin', description: 'The instance admin' },
  { name: 'workflows', description: 'Workflows and their versions' },
  { name: 'credentials', description: 'Secrets the nodes use (never returned)' },
  { name: 'webhooks', description: 'Signed webhooks that start runs' },
  { name: 'schedules', description: 'Cron schedules that start runs' },
  { name: 'runs', description: 'Runs, approvals, the live stream and the queue' },
  { name: 'insights', description: 'Run statistics and failure groups' },
  { name: 'notifications', description: 'Notification channels and their deliveries' },
  { name: 'mcp', description: 'Trellis as an MCP server, and remote MCP servers\' tools' },
  { name: 'health', description: 'Liveness, readiness, metrics and this reference' },
  { name: 'diagnostics', description: 'Built-in checks (off in production)' },
];

/** The route for a request path (`/api/v1/teams/t_1/runs`) and method, or undefined. */
export function findRoute(method: string, path: string): RouteSpec | undefined {
  const m = method.toLowerCase();
  return ROUTES.find((route) => route.method === m && routePattern(route.path).test(path));
}
const patterns = new Map<string, RegExp>();
function routePattern(path: string): RegExp {
  let pattern = patterns.get(path);
  if (!pattern) {
    pattern = new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    patterns.set(path, pattern);
  }
  return pattern;
}
