// Teams, memberships and invitations. Role rules: the permission table (core/permissions.ts) says
// who may act; here live the invariants — only owners grant or take the owner role, and a team
// always keeps at least one owner (checked under a row lock on the team).
import { LockMode, UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import type { Orm } from '../db/orm.ts';
import { ForbiddenError, NotFoundError, UserError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { MailOutbox } from '../mail/outbox.ts';
import { invitationEmail } from '../mail/templates.ts';
import { afterCursor, NEWEST_FIRST, toPage, type Page, type PageQuery } from '../pagination.ts';
import { can, canManageRole, type Role } from '../permissions.ts';
import { DEFAULT_PLAN, type PlanName } from '../plans.ts';
import { User } from '../auth/entities.ts';
import { newId, randomSecret, sha256Hex } from '../auth/random.ts';
import { revokeKeysCreatedBy } from '../keys/service.ts';
import { Invitation, Membership, Team } from './entities.ts';
import type { Invitation as WireInvitation, Member as WireMember, Team as WireTeam } from '../../contract/index.ts';

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** The wire shape (contract/): what the api answers with. */
export type TeamView = WireTeam;

/** The wire shape (contract/): what the api answers with. */
export type MemberView = WireMember;

/** The wire shape (contract/): what the api answers with. */
export type InvitationView = WireInvitation;

export interface TeamAccess {
  team: Team;
  role: Role;
}

export interface Actor {
  userId: string;
  role: Role;
  name: string;
}

const teamView = (team: Team, role: Role): TeamView => ({
  id: team.id,
  name: team.name,
  // The column holds only plan names (core/plans.ts), as the contract's enum says.
  plan: team.plan as PlanName,
  personal: team.personal,
  role,
  createdAt: team.createdAt.toISOString(),
});

const invitationView = (row: Invitation): InvitationView => ({
  id: row.id,
  email: row.email,
  role: row.role as Role,
  invitedBy: row.invitedBy ?? null,
  expiresAt: row.expiresAt.toISOString(),
  createdAt: row.createdAt.toISOString(),
});

export type TeamService = ReturnType<typeof createTeamService>;

export function createTeamService(deps: { orm: Orm; mail: MailOutbox; publicUrl: string; logger: Logger }) {
  const { orm } = deps;

  async function insertTeam(em: EntityManager, ownerId: string, name: string, personal: boolean): Promise<Team> {
    const now = new Date();
    const team = em.create(Team, { id: newId('team'), name, personal, plan: DEFAULT_PLAN, createdAt: now });
    em.create(Membership, { id: newId('mem'), team: team.id, user: ownerId, role: 'owner', createdAt: now });
    await em.flush();
    return team;
  }

  /** The owners of a team other than `userId`, counted under a lock on the team row. */
  async function otherOwners(em: EntityManager, teamId: string, userId: string): Promise<number> {
    await em.findOne(Team, { id: teamId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    return em.count(Membership, { team: teamId, role: 'owner', user: { $ne: userId } });
  }

  return {
    /** The team every user gets at registration (inside the registration's transaction). */
    createPersonalTeam(em: EntityManager, user: { id: string; name: string }): Promise<Team> {
      return insertTeam(em, user.id, `${user.name}'s team`, true);
    },

    async create(userId: string, name: string): Promise<TeamView> {
      const team = await orm.em.fork().transactional((em) => insertTeam(em, userId, name, false));
      return teamView(team, 'owner');
    },

    async listForUser(userId: string): Promise<TeamView[]> {
      const em = orm.em.fork();
      const rows = await em.getConnection().execute(
        'select "team".*, "membership"."role" as "member_role" from "membership" join "team" on "team"."id" = "membership"."team_id" where "membership"."user_id" = ? order by "membership"."created_at", "membership"."id"',
        [userId],
      );
      return rows.map((row: Record<string, unknown>) => teamView(em.map(Team, row), row.member_role as Role));
    },

    /** The team and the user's role in it, or null when the user is not a member (or no such team). */
    async access(teamId: string, userId: string): Promise<TeamAccess | null> {
      const em = orm.em.fork();
      // Every team request passes here: one indexed join, mapped by the ORM.
      const [row] = await em.getConnection().execute(
        'select "team".*, "membership"."role" as "member_role" from "membership" join "team" on "team"."id" = "membership"."team_id" where "membership"."team_id" = ? and "membership"."user_id" = ?',
        [teamId, userId],
      );
      return row ? { team: em.map(Team, row), role: row.member_role as Role } : null;
    },

    async get(teamId: string): Promise<Team | null> {
      return orm.em.fork().findOne(Team, { id: teamId });
    },

    view: teamView,

    async rename(teamId: string, name: string, role: Role): Promise<TeamView> {
      const em = orm.em.fork();
      const team = await em.findOneOrFail(Team, { id: teamId });
      team.name = name;
      await em.flush();
      return teamView(team, role);
    },

    async listMembers(teamId: string, query: PageQuery): Promise<Page<MemberView>> {
      const em = orm.em.fork();
      const rows = await em.find(Membership, { $and: [{ team: teamId }, afterCursor(query.cursor)] }, { orderBy: NEWEST_FIRST, limit: query.limit + 1 });
      const users = new Map((await em.find(User, { id: { $in: rows.map((r) => r.user) } })).map((u) => [u.id, u]));
      return toPage(rows, query.limit, (row) => {
        const user = users.get(row.user);
        return {
          userId: row.user,
          email: user?.email ?? '',
          name: user?.name ?? '',
          avatarUrl: user?.avatarUrl ?? null,
          role: row.role as Role,
          joinedAt: row.createdAt.toISOString(),
        };
      });
    },

    async invite(teamId: string, actor: Actor, input: { email: string; role: Role }): Promise<InvitationView> {
      if (!canManageRole(actor.role, input.role)) {
        throw new ForbiddenError('forbidden_role', `An ${actor.role} cannot invite someone as ${input.role}`);
      }
      const email = input.email.trim().toLowerCase();
      const em = orm.em.fork();
      const team = await em.findOneOrFail(Team, { id: teamId });
      const existing = await em.findOne(User, { email });
      if (existing && (await em.count(Membership, { team: teamId, user: existing.id })) > 0) {
        throw new UserError('already_member', `${email} is already a member of this team`, { status: 409 });
      }
      const token = randomSecret(24);
      const now = new Date();
      // One pending invitation per address: a new one replaces the old (and its link).
      await em.nativeDelete(Invitation, { team: teamId, email, acceptedAt: null });
      const invitation = em.create(Invitation, {
        id: newId('inv'),
        team: teamId,
        email,
        role: input.role,
        tokenHash: sha256Hex(token),
        invitedBy: actor.userId,
        expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
        acceptedAt: null,
        createdAt: now,
      });
      const link = `${deps.publicUrl.replace(/\/+$/, '')}/invitations/${token}`;
      // Recorded with the invitation; the worker delivers it (the answer never waits for SMTP).
      const mailId = await deps.mail.record(em, invitationEmail(email, actor.name, team.name, input.role, link), 'invitation');
      await em.flush();
      deps.mail.dispatch(mailId);
      return invitationView(invitation);
    },

    async listInvitations(teamId: string, query: PageQuery): Promise<Page<InvitationView>> {
      const rows = await orm.em.fork().find(
        Invitation,
        { $and: [{ team: teamId, acceptedAt: null, expiresAt: { $gt: new Date() } }, afterCursor(query.cursor)] },
        { orderBy: NEWEST_FIRST, limit: query.limit + 1 },
      );
      return toPage(rows, query.limit, invitationView);
    },

    async revokeInvitation(teamId: string, invitationId: string): Promise<void> {
      const deleted = await orm.em.fork().nativeDelete(Invitation, { id: invitationId, team: teamId, acceptedAt: null });
      if (deleted === 0) throw new NotFoundError('Invitation');
    },

    async accept(token: string, user: User): Promise<{ team: TeamView }> {
      return orm.em.fork().transactional(async (em) => {
        const invitation = await em.findOne(Invitation, { tokenHash: sha256Hex(token) });
        if (!invitation || invitation.acceptedAt || invitation.expiresAt.getTime() <= Date.now()) {
          throw new UserError('invalid_token', 'This invitation is invalid, has expired or was already used; ask for a new one');
        }
        if (invitation.email !== user.email) {
          throw new ForbiddenError('invitation_email_mismatch', 'This invitation was sent to another email address; sign in with that address to accept it');
        }
        if (!user.emailVerifiedAt) throw new ForbiddenError('email_not_verified', 'Confirm your email address before accepting an invitation');
        const claimed = await em.nativeUpdate(Invitation, { id: invitation.id, acceptedAt: null }, { acceptedAt: new Date() });
        if (claimed !== 1) throw new UserError('invalid_token', 'This invitation was already used');
        const team = await em.findOneOrFail(Team, { id: invitation.team });
        const current = await em.findOne(Membership, { team: team.id, user: user.id });
        if (current) return { team: teamView(team, current.role as Role) };
        try {
          em.create(Membership, { id: newId('mem'), team: team.id, user: user.id, role: invitation.role, createdAt: new Date() });
          await em.flush();
        } catch (error) {
          if (!(error instanceof UniqueConstraintViolationException)) throw error;
        }
        return { team: teamView(team, invitation.role as Role) };
      });
    },

    async changeRole(teamId: string, actor: Actor, targetUserId: string, role: Role): Promise<MemberView> {
      return orm.em.fork().transactional(async (em) => {
        const membership = await em.findOne(Membership, { team: teamId, user: targetUserId });
        if (!membership) throw new NotFoundError('Member');
        const current = membership.role as Role;
        if (!canManageRole(actor.role, current) || !canManageRole(actor.role, role)) {
          throw new ForbiddenError('forbidden_role', 'Only owners can grant or take away the owner role');
        }
        if (current === 'owner' && role !== 'owner' && (await otherOwners(em, teamId, targetUserId)) === 0) {
          throw new UserError('last_owner', 'A team needs at least one owner: make someone else owner first', { status: 409 });
        }
        membership.role = role;
        await em.flush();
        // Keys live no longer than their creator's right to create them (docs/decisions/024-api-key-lifetime.md).
        if (!can({ kind: 'member', role }, 'api_keys:write')) await revokeKeysCreatedBy(em, teamId, targetUserId);
        const user = await em.findOneOrFail(User, { id: targetUserId });
        return { userId: user.id, email: user.email, name: user.name, avatarUrl: user.avatarUrl ?? null, role, joinedAt: membership.createdAt.toISOString() };
      });
    },

    /** Removes a member; members may always remove themselves (leave), except the last owner. */
    async removeMember(teamId: string, actor: Actor, targetUserId: string): Promise<void> {
      await orm.em.fork().transactional(async (em) => {
        const membership = await em.findOne(Membership, { team: teamId, user: targetUserId });
        if (!membership) throw new NotFoundError('Member');
        const role = membership.role as Role;
        if (targetUserId !== actor.userId) {
          if (!can({ kind: 'member', role: actor.role }, 'members:remove')) {
            throw new ForbiddenError('forbidden', `An ${actor.role} cannot remove other members`);
          }
          if (!canManageRole(actor.role, role)) throw new ForbiddenError('forbidden_role', 'Only owners can remove an owner');
        }
        if (role === 'owner' && (await otherOwners(em, teamId, targetUserId)) === 0) {
          throw new UserError('last_owner', 'The last owner cannot leave: make someone else owner first', { status: 409 });
        }
        await em.nativeDelete(Membership, { id: membership.id });
        await revokeKeysCreatedBy(em, teamId, targetUserId);
      });
    },
  };
}
