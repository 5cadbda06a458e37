// Accounts and tenancy on the wire: auth, me, teams, members, invitations, API keys, usage, admin.
import { z } from 'zod';
import { ROLES, SCOPES } from '../core/permissions.ts';
import { PLAN_NAMES } from '../core/plans.ts';
import { answer, IsoDate, page, PageQuery, request } from './common.ts';

/** Longer inputs are refused before hashing (argon2 of megabytes is a denial of service). */
export const PASSWORD_MAX_LENGTH = 256;
export const OAUTH_PROVIDERS = ['google', 'github'] as const;
export type OAuthProvider = (typeof OAUTH_PROVIDERS)[number];

export const Role = answer('Role', z.enum(ROLES));
export type Role = z.infer<typeof Role>;
export const Scope = answer('Scope', z.enum(SCOPES));
export type Scope = z.infer<typeof Scope>;
export const PlanName = answer('PlanName', z.enum(PLAN_NAMES));
export type PlanName = z.infer<typeof PlanName>;

// ---- requests
const Email = z.string().trim().toLowerCase().pipe(z.email().max(254));
const Password = z.string().min(1).max(PASSWORD_MAX_LENGTH);
const Token = z.string().min(10).max(200);

export const RegisterRequest = request('RegisterRequest', z.object({ email: Email, password: Password, name: z.string().trim().min(1).max(100) }));
export const VerifyEmailRequest = request('VerifyEmailRequest', z.object({ token: Token }));
export const EmailOnlyRequest = request('EmailOnlyRequest', z.object({ email: Email }));
export const LoginRequest = request('LoginRequest', z.object({ email: z.string().trim().min(1).max(254), password: Password }));
export const PasswordResetConfirmRequest = request('PasswordResetConfirmRequest', z.object({ token: Token, password: Password }));
export const UpdateProfileRequest = request(
  'UpdateProfileRequest',
  z
    .object({
      name: z.string().trim().min(1).max(100),
      avatarUrl: z.url({ protocol: /^https?$/ }).max(2048).nullable(),
      timezone: z.string().min(1).max(64).refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'must be an IANA time zone such as Europe/Paris').nullable(),
      locale: z.string().regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, 'must be a BCP 47 language tag such as en-GB').max(35).nullable(),
    })
    .partial()
    .strict(),
);
export const ChangePasswordRequest = request(
  'ChangePasswordRequest',
  z.object({
    currentPassword: z.string().max(PASSWORD_MAX_LENGTH).optional().describe('required when the account has a password'),
    newPassword: z.string().min(1).max(PASSWORD_MAX_LENGTH),
  }),
);
export const CreateTeamRequest = request('CreateTeamRequest', z.object({ name: z.string().trim().min(1).max(100) }));
export const UpdateTeamRequest = request('UpdateTeamRequest', z.object({ name: z.string().trim().min(1).max(100) }));
export const InviteRequest = request('InviteRequest', z.object({ email: Email, role: z.enum(ROLES) }));
export const ChangeRoleRequest = request('ChangeRoleRequest', z.object({ role: z.enum(ROLES) }));
export const CreateApiKeyRequest = request(
  'CreateApiKeyRequest',
  z.object({
    name: z.string().trim().min(1).max(100),
    scopes: z.array(z.enum(SCOPES)).min(1),
    /** When the key stops working: after now, at most 365 days ahead; 90 days when absent. */
    expiresAt: z.iso.datetime({ offset: true }).transform((value) => new Date(value)).optional().describe('after now, at most 365 days ahead; 90 days when absent'),
  }),
);
export const ChangePlanRequest = request('ChangePlanRequest', z.object({ plan: z.enum(PLAN_NAMES) }).strict());
export type ChangePlanRequest = z.infer<typeof ChangePlanRequest>;
export const AdminTeamsQuery = PageQuery.extend({
  /** Part of the team's name, any case. */
  q: z.string().trim().max(100).optional(),
});
export type AdminTeamsQuery = z.infer<typeof AdminTeamsQuery>;

// ---- answers
export const User = answer(
  'User',
  z.object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    avatarUrl: z.string().nullable(),
    timezone: z.string().nullable(),
    locale: z.string().nullable(),
    emailVerified: z.boolean(),
    hasPassword: z.boolean(),
    createdAt: IsoDate,
  }),
);
export type User = z.infer<typeof User>;
export const UserAnswer = answer('UserAnswer', z.object({ user: User }));

export const SignedIn = answer(
  'SignedIn',
  z.object({
    token: z.string().describe('session token: send as Authorization: Bearer <token>'),
    expiresAt: IsoDate,
    user: User,
    created: z.boolean().optional().describe('OAuth: a new account was made'),
    linked: z.boolean().optional().describe('OAuth: the provider was linked to an existing account'),
  }),
);
export type SignedIn = z.infer<typeof SignedIn>;

/** `GET /api/v1/auth/oauth/{provider}?next=` */
export const OAuthStartQuery = z.object({ next: z.string().optional().describe('a path of the web app to land on afterwards') });
/** What the provider sends back to `GET /api/v1/auth/oauth/{provider}/callback`. */
export const OAuthCallbackQuery = z.object({ code: z.string().optional(), state: z.string().optional() });

export const AuthProviders = answer('AuthProviders', z.object({ password: z.boolean(), google: z.boolean(), github: z.boolean() }), 'the sign-in methods this server offers');
export const PasswordChanged = answer('PasswordChanged', z.object({ status: z.literal('password_changed') }));

export const Team = answer(
  'Team',
  z.object({ id: z.string(), name: z.string(), plan: PlanName, personal: z.boolean(), role: Role, createdAt: IsoDate }),
  "a team and the caller's role in it",
);
export type Team = z.infer<typeof Team>;
export const TeamPage = page('TeamPage', Team);
export const TeamBrief = answer('TeamBrief', z.object({ id: z.string(), name: z.string(), plan: PlanName, role: Role }));
export const JoinedTeam = answer('JoinedTeam', z.object({ team: Team }));

export const Me = answer(
  'Me',
  z.object({ user: User, teams: z.array(Team), instanceAdmin: z.boolean().describe('may use /api/v1/admin (docs/decisions/035-instance-admin.md)') }),
);
export type Me = z.infer<typeof Me>;

export const Member = answer('Member', z.object({ userId: z.string(), email: z.string(), name: z.string(), avatarUrl: z.string().nullable(), role: Role, joinedAt: IsoDate }));
export type Member = z.infer<typeof Member>;
export const MemberPage = page('MemberPage', Member);

export const Invitation = answer('Invitation', z.object({ id: z.string(), email: z.string(), role: Role, invitedBy: z.string().nullable(), expiresAt: IsoDate, createdAt: IsoDate }));
export type Invitation = z.infer<typeof Invitation>;
export const InvitationPage = page('InvitationPage', Invitation);

export const ApiKey = answer(
  'ApiKey',
  z.object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().meta({ examples: ['trk_abcd2345'] }),
    scopes: z.array(Scope),
    createdBy: z.string().nullable(),
    createdAt: IsoDate,
    lastUsedAt: IsoDate.nullable().describe('updated at most once a minute'),
    expiresAt: IsoDate.nullable().describe('null only for keys made before keys expired'),
    expired: z.boolean(),
  }),
);
export type ApiKey = z.infer<typeof ApiKey>;
export const ApiKeyPage = page('ApiKeyPage', ApiKey);
export const CreatedApiKey = answer('CreatedApiKey', ApiKey.extend({ key: z.string().describe('trk_…, shown once') }));
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;
/** The key a request authenticates with, and its team: how a script or the CLI learns where a key belongs. */
export const CurrentApiKey = answer('CurrentApiKey', ApiKey.extend({ team: z.object({ id: z.string(), name: z.string() }) }));
export type CurrentApiKey = z.infer<typeof CurrentApiKey>;

export const LoginEvent = answer(
  'LoginEvent',
  z.object({ id: z.string(), time: IsoDate, ip: z.string().nullable(), userAgent: z.string().nullable(), method: z.string(), success: z.boolean(), reason: z.string().nullable() }),
);
export type LoginEvent = z.infer<typeof LoginEvent>;
export const LoginEventPage = page('LoginEventPage', LoginEvent);

export const Session = answer(
  'Session',
  z.object({ id: z.string(), method: z.string(), ip: z.string().nullable(), userAgent: z.string().nullable(), createdAt: IsoDate, expiresAt: IsoDate, current: z.boolean() }),
);
export type Session = z.infer<typeof Session>;
export const SessionPage = page('SessionPage', Session);

const Limit = z.int().nullable();
export const PlanLimits = answer(
  'PlanLimits',
  z.object({
    workflows: Limit,
    runsPerMonth: Limit,
    concurrentRuns: Limit,
    nodesPerGraph: Limit,
    aiTokensPerMonth: Limit,
    requestsPerMinute: Limit,
    aiBudgetUsdPerMonth: z.number().nullable(),
    schedules: Limit,
    childRunsPerRun: Limit,
    runDepth: Limit,
    retentionDays: z.int().describe('days finished runs and their stored values are kept'),
  }),
  'null means unlimited',
);
export type PlanLimits = z.infer<typeof PlanLimits>;

const Period = z.object({ start: IsoDate, end: IsoDate });
export const Usage = answer(
  'Usage',
  z.object({
    teamId: z.string(),
    plan: PlanName,
    period: Period,
    usage: z.object({ runs: z.int(), nodeExecutions: z.int(), aiTokens: z.int(), costUsd: z.number(), concurrentRuns: z.int(), workflows: z.int().optional() }),
    limits: PlanLimits,
    aiCache: z
      .object({ hits: z.int(), misses: z.int(), hitRatio: z.number().nullable() })
      .nullable()
      .describe('AI response cache answers for the team (all time); null while Redis is unavailable'),
  }),
);
export type Usage = z.infer<typeof Usage>;

export const AdminTeam = answer(
  'AdminTeam',
  z.object({
    id: z.string(),
    name: z.string(),
    personal: z.boolean(),
    plan: PlanName,
    createdAt: IsoDate,
    members: z.int(),
    usage: z.object({ period: Period, runs: z.int(), nodeExecutions: z.int(), aiTokens: z.int(), costUsd: z.number() }),
    limits: PlanLimits,
  }),
);
export type AdminTeam = z.infer<typeof AdminTeam>;
export const AdminTeamPage = page('AdminTeamPage', AdminTeam);
