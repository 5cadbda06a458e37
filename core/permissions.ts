// THE permission table: which role may do what in a team, and which scope an API key needs for
// it. Every team route is guarded by `requireTeamRole(action)` (api/middleware/authenticate.ts),
// which answers with `can()` below and nothing else.

/** Roles, strongest first: owner > admin > editor > viewer. */
export const ROLES = ['owner', 'admin', 'editor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** What an API key may carry. A key acts inside its own team only. */
export const SCOPES = ['workflows:read', 'workflows:write', 'runs:read', 'runs:write'] as const;
export type Scope = (typeof SCOPES)[number];

interface Rule {
  /** The weakest role allowed. */
  role: Role;
  /** The scope an API key needs; null: API keys may never do this (people only). */
  scope: Scope | null;
}

export const PERMISSIONS = {
  'team:read': { role: 'viewer', scope: null },
  'team:update': { role: 'admin', scope: null },
  'members:read': { role: 'viewer', scope: null },
  'members:invite': { role: 'admin', scope: null },
  'members:update': { role: 'admin', scope: null },
  'members:remove': { role: 'admin', scope: null },
  /** Removing oneself (leaving); removing others needs members:remove. */
  'members:leave': { role: 'viewer', scope: null },
  'api_keys:read': { role: 'admin', scope: null },
  'api_keys:write': { role: 'admin', scope: null },
  'usage:read': { role: 'viewer', scope: null },
  'credentials:read': { role: 'editor', scope: null },
  'credentials:write': { role: 'editor', scope: null },
  /** Changing where an existing credential may be sent: an editor could otherwise aim a colleague's secret at their own server. */
  'credentials:hosts': { role: 'admin', scope: null },
  /** Notification channels (core/notifications): where the team's events go, and their delivery log. */
  'notifications:read': { role: 'admin', scope: null },
  'notifications:write': { role: 'admin', scope: null },
  // Workflows, their versions, webhooks and schedules.
  'workflows:read': { role: 'viewer', scope: 'workflows:read' },
  'workflows:write': { role: 'editor', scope: 'workflows:write' },
  // Runs: list and read, events; start, cancel, rerun; answer approvals.
  'runs:read': { role: 'viewer', scope: 'runs:read' },
  'runs:write': { role: 'editor', scope: 'runs:write' },
  'runs:approve': { role: 'editor', scope: 'runs:write' },
} as const satisfies Record<string, Rule>;

export type Action = keyof typeof PERMISSIONS;

/** Who is acting inside a team: a member with a role, or an API key of that team with scopes. */
export type TeamPrincipal = { kind: 'member'; role: Role } | { kind: 'key'; scopes: readonly string[] };

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** True when `role` is at least as strong as `than`. */
export function roleAtLeast(role: Role, than: Role): boolean {
  return ROLES.indexOf(role) <= ROLES.indexOf(than);
}

export function can(principal: TeamPrincipal, action: Action): boolean {
  const rule: Rule = PERMISSIONS[action];
  if (principal.kind === 'member') return roleAtLeast(principal.role, rule.role);
  return rule.scope !== null && principal.scopes.includes(rule.scope);
}

/** Roles `actor` may grant or take away: only owners touch the owner role. */
export function canManageRole(actor: Role, target: Role): boolean {
  return target === 'owner' ? actor === 'owner' : roleAtLeast(actor, 'admin');
}
