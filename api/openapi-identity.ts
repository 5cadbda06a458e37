// The OpenAPI description of the Auth, Me, Teams, API keys and Usage endpoints. Request bodies
// are generated from the zod schemas the routes parse with (z.toJSONSchema), so they cannot drift.
import { z } from 'zod';
import { OAUTH_PROVIDERS } from '../core/auth/oauth.ts';
import { ROLES, SCOPES } from '../core/permissions.ts';
import { PLAN_NAMES } from '../core/plans.ts';
import { EmailOnlyRequest, LoginRequest, PasswordResetConfirmRequest, RegisterRequest, VerifyEmailRequest } from './routes/auth.ts';
import { CreateApiKeyRequest } from './routes/keys.ts';
import { ChangePasswordRequest, UpdateProfileRequest } from './routes/me.ts';
import { ChangePlanRequest } from '../core/admin/service.ts';
import { ChangeRoleRequest, CreateTeamRequest, InviteRequest, UpdateTeamRequest } from './routes/teams.ts';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const body = (schema: z.ZodType) => ({ required: true, content: json(z.toJSONSchema(schema, { io: 'input' })) });
const ok = (description: string, schema?: unknown) => ({ description, ...(schema ? { content: json(schema) } : {}) });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const page = (item: string) => ({ type: 'object', required: ['items', 'nextCursor'], properties: { items: { type: 'array', items: ref(item) }, nextCursor: { type: ['string', 'null'] } } });
const path = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const pageParams = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 } },
  { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor of the previous page' },
];
const teamId = path('teamId', 'a team the caller belongs to (404 for any other team)');
const PUBLIC: unknown[] = [];
const USER = [{ bearerAuth: [] }, { sessionCookie: [] }];
const rateLimited = problem('rate limited: Retry-After says when to retry');
const common = { 401: problem('no or invalid credentials: unauthenticated, invalid_session, invalid_api_key (unknown or revoked), api_key_expired'), 429: rateLimited };
const teamCommon = { ...common, 403: problem('the role or API key scope does not allow this'), 404: problem('no such team for the caller (also for teams of others)') };

const iso = { type: 'string', format: 'date-time' };
const nullable = (schema: object) => ({ anyOf: [schema, { type: 'null' }] });

export const identitySchemas = {
  User: {
    type: 'object',
    properties: {
      id: { type: 'string' }, email: { type: 'string', format: 'email' }, name: { type: 'string' },
      avatarUrl: nullable({ type: 'string' }), timezone: nullable({ type: 'string' }), locale: nullable({ type: 'string' }),
      emailVerified: { type: 'boolean' }, hasPassword: { type: 'boolean' }, createdAt: iso,
    },
  },
  SignedIn: { type: 'object', properties: { token: { type: 'string', description: 'session token: send as Authorization: Bearer <token>' }, expiresAt: iso, user: ref('User') } },
  Team: {
    type: 'object',
    properties: { id: { type: 'string' }, name: { type: 'string' }, plan: { type: 'string', enum: [...PLAN_NAMES] }, personal: { type: 'boolean' }, role: { type: 'string', enum: [...ROLES] }, createdAt: iso },
  },
  Member: { type: 'object', properties: { userId: { type: 'string' }, email: { type: 'string' }, name: { type: 'string' }, avatarUrl: nullable({ type: 'string' }), role: { type: 'string', enum: [...ROLES] }, joinedAt: iso } },
  Invitation: { type: 'object', properties: { id: { type: 'string' }, email: { type: 'string' }, role: { type: 'string', enum: [...ROLES] }, invitedBy: nullable({ type: 'string' }), expiresAt: iso, createdAt: iso } },
  ApiKey: {
    type: 'object',
    properties: {
      id: { type: 'string' }, name: { type: 'string' }, prefix: { type: 'string', example: 'trk_abcd2345' },
      scopes: { type: 'array', items: { type: 'string', enum: [...SCOPES] } }, createdBy: nullable({ type: 'string' }), createdAt: iso,
      lastUsedAt: { ...nullable(iso), description: 'updated at most once a minute' },
      expiresAt: { ...nullable(iso), description: 'null only for keys made before keys expired' }, expired: { type: 'boolean' },
    },
  },
  LoginEvent: {
    type: 'object',
    properties: { id: { type: 'string' }, time: iso, ip: nullable({ type: 'string' }), userAgent: nullable({ type: 'string' }), method: { type: 'string', enum: ['password', ...OAUTH_PROVIDERS] }, success: { type: 'boolean' }, reason: nullable({ type: 'string' }) },
  },
  Session: { type: 'object', properties: { id: { type: 'string' }, method: { type: 'string' }, ip: nullable({ type: 'string' }), userAgent: nullable({ type: 'string' }), createdAt: iso, expiresAt: iso, current: { type: 'boolean' } } },
  PlanLimits: {
    type: 'object',
    description: 'null means unlimited',
    properties: {
      ...Object.fromEntries(['workflows', 'runsPerMonth', 'concurrentRuns', 'nodesPerGraph', 'aiTokensPerMonth', 'requestsPerMinute', 'schedules', 'childRunsPerRun', 'runDepth'].map((k) => [k, { type: ['integer', 'null'] }])),
      aiBudgetUsdPerMonth: { type: ['number', 'null'] },
      retentionDays: { type: 'integer', description: 'days finished runs and their stored values are kept' },
    },
  },
  AdminTeam: {
    type: 'object',
    properties: {
      id: { type: 'string' }, name: { type: 'string' }, personal: { type: 'boolean' }, plan: { type: 'string', enum: [...PLAN_NAMES] }, createdAt: iso, members: { type: 'integer' },
      usage: { type: 'object', properties: { period: { type: 'object', properties: { start: iso, end: iso } }, runs: { type: 'integer' }, nodeExecutions: { type: 'integer' }, aiTokens: { type: 'integer' }, costUsd: { type: 'number' } } },
      limits: ref('PlanLimits'),
    },
  },
  Usage: {
    type: 'object',
    properties: {
      teamId: { type: 'string' },
      plan: { type: 'string', enum: [...PLAN_NAMES] },
      period: { type: 'object', properties: { start: iso, end: iso } },
      usage: { type: 'object', properties: { runs: { type: 'integer' }, nodeExecutions: { type: 'integer' }, aiTokens: { type: 'integer' }, costUsd: { type: 'number' }, concurrentRuns: { type: 'integer' }, workflows: { type: 'integer' } } },
      limits: ref('PlanLimits'),
      aiCache: nullable({
        type: 'object',
        description: 'AI response cache answers for the team (all time); null while Redis is unavailable',
        properties: { hits: { type: 'integer' }, misses: { type: 'integer' }, hitRatio: nullable({ type: 'number' }) },
      }),
    },
  },
};

export const securitySchemes = {
  bearerAuth: { type: 'http', scheme: 'bearer', description: 'a session token from /api/v1/auth/login, or an API key trk_…' },
  sessionCookie: { type: 'apiKey', in: 'cookie', name: 'trellis_session', description: 'the web app session; writes must come from the web app origin (CSRF)' },
  apiKey: { type: 'http', scheme: 'bearer', bearerFormat: 'trk_…', description: 'a team API key with scopes' },
};

export function identityPaths(): Record<string, unknown> {
  return {
    '/api/v1/auth/register': {
      post: { summary: 'Create an account: emails a verification link (and creates a personal team). For an address that already has an account, emails its owner instead; the answer is the same (always 202)', tags: ['auth'], security: PUBLIC, requestBody: body(RegisterRequest),
        responses: { 202: ok('accepted'), 400: problem('invalid input or weak password'), 429: rateLimited } },
    },
    '/api/v1/auth/verify-email': {
      post: { summary: 'Confirm the email address with the emailed token', tags: ['auth'], security: PUBLIC, requestBody: body(VerifyEmailRequest),
        responses: { 200: ok('verified', { type: 'object', properties: { user: ref('User') } }), 400: problem('invalid_token'), 429: rateLimited } },
    },
    '/api/v1/auth/verify-email/resend': {
      post: { summary: 'Send a new verification link (always 202)', tags: ['auth'], security: PUBLIC, requestBody: body(EmailOnlyRequest), responses: { 202: ok('accepted'), 429: rateLimited } },
    },
    '/api/v1/auth/login': {
      post: { summary: 'Sign in with email and password; sets the trellis_session cookie', tags: ['auth'], security: PUBLIC, requestBody: body(LoginRequest),
        description: 'Failed sign-ins are throttled per account (a back-off that doubles with each failure after a few; not applied on a network the account signed in from recently) and per client network (IPv4 address, IPv6 /64); a refused attempt is not checked at all.',
        responses: { 200: ok('signed in', ref('SignedIn')), 401: problem('invalid_credentials (the same whether or not the email exists)'), 403: problem('email_not_verified'),
          429: problem('rate_limited_account (this account is in back-off) or rate_limited_network (too many failures from this network) or rate_limited_ip; Retry-After says when to retry') } },
    },
    '/api/v1/auth/logout': {
      post: { summary: 'Revoke the current session', tags: ['auth'], security: USER, responses: { 204: ok('signed out'), ...common } },
    },
    '/api/v1/auth/password-reset': {
      post: { summary: 'Email a password reset link (always 202)', tags: ['auth'], security: PUBLIC, requestBody: body(EmailOnlyRequest), responses: { 202: ok('accepted'), 429: rateLimited } },
    },
    '/api/v1/auth/password-reset/confirm': {
      post: { summary: 'Set a new password with the emailed token; revokes every session', tags: ['auth'], security: PUBLIC, requestBody: body(PasswordResetConfirmRequest),
        responses: { 200: ok('password changed'), 400: problem('invalid_token or weak_password'), 429: rateLimited } },
    },
    '/api/v1/auth/providers': {
      get: { summary: 'Sign-in methods this server offers: {password, google, github} as booleans', tags: ['auth'], security: PUBLIC, responses: { 200: ok('sign-in methods') } },
    },
    '/api/v1/auth/oauth/{provider}': {
      get: { summary: 'Start signing in with Google or GitHub (state + PKCE)', tags: ['auth'], security: PUBLIC,
        parameters: [{ name: 'provider', in: 'path', required: true, schema: { type: 'string', enum: [...OAUTH_PROVIDERS] } }, { name: 'next', in: 'query', description: 'a path of the web app to land on afterwards (browsers)', schema: { type: 'string' } }],
        responses: { 302: ok('redirect to the provider'), 404: problem('unknown or unconfigured provider'), 429: rateLimited } },
    },
    '/api/v1/auth/oauth/{provider}/callback': {
      get: { summary: 'Provider callback: signs in (linking by verified email or creating the user)', tags: ['auth'], security: PUBLIC,
        description: 'Browsers are redirected to the web app (or to /login?error=<code>); clients sending Accept: application/json get the session as JSON.',
        parameters: [{ name: 'provider', in: 'path', required: true, schema: { type: 'string', enum: [...OAUTH_PROVIDERS] } }, { name: 'code', in: 'query', schema: { type: 'string' } }, { name: 'state', in: 'query', schema: { type: 'string' } }],
        responses: { 200: ok('signed in (JSON clients)', ref('SignedIn')), 302: ok('signed in: redirect to the web app'), 400: problem('oauth_state_mismatch'), 401: problem('oauth_failed / oauth_denied'), 403: problem('oauth_email_unverified'), 429: rateLimited, 502: problem('provider unreachable') } },
    },
    '/api/v1/me': {
      get: { summary: 'The signed-in user and their teams', tags: ['me'], security: USER,
        responses: { 200: ok('me', { type: 'object', properties: { user: ref('User'), teams: { type: 'array', items: ref('Team') }, instanceAdmin: { type: 'boolean', description: 'may use /api/v1/admin' } } }), 403: problem('API keys have no "me"'), ...common } },
      patch: { summary: 'Update the profile', tags: ['me'], security: USER, requestBody: body(UpdateProfileRequest), responses: { 200: ok('updated', { type: 'object', properties: { user: ref('User') } }), 400: problem('invalid input'), ...common } },
    },
    '/api/v1/me/password': {
      post: { summary: 'Change the password: revokes every session and returns a new one', tags: ['me'], security: USER, requestBody: body(ChangePasswordRequest),
        responses: { 200: ok('changed', ref('SignedIn')), 400: problem('weak_password'), 403: problem('wrong_password'), ...common } },
    },
    '/api/v1/me/logins': {
      get: { summary: 'Login history: every attempt (time, IP, user agent, method, success, reason)', tags: ['me'], security: USER, parameters: pageParams, responses: { 200: ok('page', page('LoginEvent')), ...common } },
    },
    '/api/v1/me/sessions': {
      get: { summary: 'Active sessions', tags: ['me'], security: USER, responses: { 200: ok('sessions', page('Session')), ...common } },
    },
    '/api/v1/me/sessions/{sessionId}': {
      delete: { summary: 'Revoke one of my sessions', tags: ['me'], security: USER, parameters: [path('sessionId', 'session id')], responses: { 204: ok('revoked'), 404: problem('no such session'), ...common } },
    },
    '/api/v1/teams': {
      get: { summary: 'My teams', tags: ['teams'], security: USER, responses: { 200: ok('teams', page('Team')), ...common } },
      post: { summary: 'Create a team (the creator is owner)', tags: ['teams'], security: USER, requestBody: body(CreateTeamRequest), responses: { 201: ok('created', ref('Team')), 400: problem('invalid input'), ...common } },
    },
    '/api/v1/teams/{teamId}': {
      get: { summary: 'A team (members)', tags: ['teams'], security: USER, parameters: [teamId], responses: { 200: ok('team', ref('Team')), ...teamCommon } },
      patch: { summary: 'Rename a team (admin)', tags: ['teams'], security: USER, parameters: [teamId], requestBody: body(UpdateTeamRequest), responses: { 200: ok('team', ref('Team')), ...teamCommon } },
    },
    '/api/v1/teams/{teamId}/members': {
      get: { summary: 'Members and their roles', tags: ['teams'], security: USER, parameters: [teamId, ...pageParams], responses: { 200: ok('page', page('Member')), ...teamCommon } },
    },
    '/api/v1/teams/{teamId}/members/{userId}': {
      patch: { summary: 'Change a member\'s role (admin; only owners grant or take the owner role; never the last owner)', tags: ['teams'], security: USER, parameters: [teamId, path('userId', 'member')], requestBody: body(ChangeRoleRequest),
        responses: { 200: ok('member', ref('Member')), 409: problem('last_owner'), ...teamCommon } },
      delete: { summary: 'Remove a member (admin), or leave (yourself); never the last owner', tags: ['teams'], security: USER, parameters: [teamId, path('userId', 'member')],
        responses: { 204: ok('removed'), 409: problem('last_owner'), ...teamCommon } },
    },
    '/api/v1/teams/{teamId}/invitations': {
      get: { summary: 'Pending invitations (admin)', tags: ['teams'], security: USER, parameters: [teamId, ...pageParams], responses: { 200: ok('page', page('Invitation')), ...teamCommon } },
      post: { summary: 'Invite by email with a role (admin); the link is emailed, valid 7 days', tags: ['teams'], security: USER, parameters: [teamId], requestBody: body(InviteRequest),
        responses: { 201: ok('invited', ref('Invitation')), 409: problem('already_member'), ...teamCommon } },
    },
    '/api/v1/teams/{teamId}/invitations/{invitationId}': {
      delete: { summary: 'Withdraw an invitation (admin)', tags: ['teams'], security: USER, parameters: [teamId, path('invitationId', 'invitation')], responses: { 204: ok('withdrawn'), ...teamCommon } },
    },
    '/api/v1/invitations/{token}/accept': {
      post: { summary: 'Accept an invitation (signed in with the invited, verified email)', tags: ['teams'], security: USER, parameters: [path('token', 'the token from the emailed link')],
        responses: { 200: ok('joined', { type: 'object', properties: { team: ref('Team') } }), 400: problem('invalid_token'), 403: problem('invitation_email_mismatch or email_not_verified'), ...common } },
    },
    '/api/v1/teams/{teamId}/api-keys': {
      get: { summary: 'API keys of the team, without secrets (admin)', tags: ['api keys'], security: USER, parameters: [teamId, ...pageParams], responses: { 200: ok('page', page('ApiKey')), ...teamCommon } },
      post: { summary: 'Create an API key (admin); the key is in this answer only', tags: ['api keys'], security: USER, parameters: [teamId], requestBody: body(CreateApiKeyRequest),
        description: 'expiresAt: after now and at most 365 days ahead; 90 days when absent. The key is revoked when its creator leaves the team or loses the admin role.',
        responses: { 201: ok('created', { allOf: [ref('ApiKey'), { type: 'object', properties: { key: { type: 'string', description: 'trk_…, shown once' } } }] }), 400: problem('invalid input; invalid_expiry'), ...teamCommon } },
    },
    '/api/v1/teams/{teamId}/api-keys/{keyId}': {
      delete: { summary: 'Revoke an API key (refused from the next request on)', tags: ['api keys'], security: USER, parameters: [teamId, path('keyId', 'API key id')], responses: { 204: ok('revoked'), ...teamCommon } },
    },
    '/api/v1/admin/teams': {
      get: { summary: 'Every team with this month\'s usage and its plan (instance admin)', tags: ['admin'], security: USER,
        parameters: [...pageParams, { name: 'q', in: 'query', schema: { type: 'string', maxLength: 100 }, description: 'part of the team name, any case' }],
        responses: { 200: ok('page', page('AdminTeam')), 400: problem('invalid_query'), 403: problem('instance_admin_required'), ...common } },
    },
    '/api/v1/admin/teams/{teamId}': {
      patch: { summary: 'Move a team to another plan (instance admin)', tags: ['admin'], security: USER, parameters: [path('teamId', 'any team')], requestBody: body(ChangePlanRequest),
        responses: { 200: ok('changed', ref('AdminTeam')), 400: problem('invalid_request'), 403: problem('instance_admin_required'), 404: problem('no such team'), ...common } },
    },
    '/api/v1/teams/{teamId}/usage': {
      get: { summary: 'This month\'s usage (runs, node executions, AI tokens, cost) and the plan\'s limits', tags: ['usage'], security: USER, parameters: [teamId], responses: { 200: ok('usage', ref('Usage')), ...teamCommon } },
    },
  };
}
