// @lane unit
// The permission table: role × action and API-key scopes, in one place.
import { can, canManageRole, PERMISSIONS, ROLES, SCOPES, type Action, type Role } from '../../core/permissions.ts';

const member = (role: Role) => ({ kind: 'member' as const, role });

describe('permission table', () => {
  it('roles are ordered: each role can do everything the weaker ones can', () => {
    for (const action of Object.keys(PERMISSIONS) as Action[]) {
      const allowed = ROLES.map((role) => can(member(role), action));
      // once refused, every weaker role is refused too
      expect(allowed).toEqual([...allowed].sort((x, y) => Number(y) - Number(x)));
      expect(can(member('owner'), action)).toBe(true);
    }
  });

  it.each([
    ['viewer', 'workflows:read', true], ['viewer', 'runs:read', true], ['viewer', 'usage:read', true],
    ['viewer', 'workflows:write', false], ['viewer', 'runs:write', false], ['viewer', 'runs:approve', false], ['viewer', 'credentials:read', false],
    ['editor', 'workflows:write', true], ['editor', 'runs:approve', true], ['editor', 'credentials:write', true], ['editor', 'members:invite', false], ['editor', 'api_keys:write', false],
    ['admin', 'members:invite', true], ['admin', 'api_keys:write', true], ['admin', 'team:update', true],
    ['editor', 'credentials:hosts', false], ['admin', 'credentials:hosts', true],
  ] as const)('%s may %s: %s', (role, action, expected) => {
    expect(can(member(role), action)).toBe(expected);
  });

  it('API keys do only what their scopes name, and never people-only actions', () => {
    const runsReader = { kind: 'key' as const, scopes: ['runs:read'] };
    expect(can(runsReader, 'runs:read')).toBe(true);
    expect(can(runsReader, 'workflows:write')).toBe(false);
    expect(can(runsReader, 'runs:write')).toBe(false);
    const everything = { kind: 'key' as const, scopes: [...SCOPES] };
    for (const action of ['members:read', 'members:invite', 'api_keys:write', 'team:read', 'credentials:write', 'credentials:hosts', 'usage:read'] as const) {
      expect(can(everything, action)).toBe(false);
    }
    expect(can(everything, 'runs:approve')).toBe(true);
  });

  it('only owners grant or take the owner role', () => {
    expect(canManageRole('owner', 'owner')).toBe(true);
    expect(canManageRole('admin', 'owner')).toBe(false);
    expect(canManageRole('admin', 'admin')).toBe(true);
    expect(canManageRole('editor', 'viewer')).toBe(false);
  });
});
