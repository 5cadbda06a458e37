// The instance admin (docs/decisions/035-instance-admin.md): the operator of a Trellis instance,
// not a role inside a team. Who: the first registered user, and the verified addresses listed in
// TRELLIS_ADMIN_EMAILS. What: list every team with this month's usage, change a team's plan.
import { sql } from '@mikro-orm/core';
import { User } from '../auth/entities.ts';
import type { Orm } from '../db/orm.ts';
import { NotFoundError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { afterCursor, NEWEST_FIRST, toPage, type Page } from '../pagination.ts';
import { planLimits, type PlanName } from '../plans.ts';
import { Team } from '../teams/entities.ts';
import { UsageCounter } from '../usage/entities.ts';
import { periodBounds, periodOf } from '../usage/service.ts';

// The admin's request shapes are part of the wire contract.
export { AdminTeamsQuery, ChangePlanRequest } from '../../contract/identity.ts';
import type { AdminTeamsQuery, ChangePlanRequest } from '../../contract/identity.ts';
import type { AdminTeam as WireAdminTeam } from '../../contract/index.ts';

/** The wire shape (contract/): what the api answers with. */
export type AdminTeamView = WireAdminTeam;

export type InstanceAdmins = ReturnType<typeof createInstanceAdmins>;

export function createInstanceAdmins(deps: { orm: Orm; emails: readonly string[]; logger: Logger }) {
  const { orm, logger } = deps;
  const emails = new Set(deps.emails.map((email) => email.trim().toLowerCase()));
  // Accounts are never deleted, so the first registered user never changes once there is one.
  let firstUserId: string | undefined;

  async function firstUser(): Promise<string | undefined> {
    if (firstUserId) return firstUserId;
    const [row] = await orm.em.fork().find(User, {}, { orderBy: { createdAt: 'asc', id: 'asc' }, limit: 1, fields: ['id'] });
    firstUserId = row?.id;
    return firstUserId;
  }

  async function teamViews(teams: Team[], at: Date): Promise<AdminTeamView[]> {
    if (!teams.length) return [];
    const em = orm.em.fork();
    const ids = teams.map((team) => team.id);
    const period = periodOf(at);
    const { start, end } = periodBounds(at);
    const counters = new Map((await em.find(UsageCounter, { team: { $in: ids }, period })).map((row) => [row.team as string, row]));
    const memberCounts = new Map<string, number>();
    const grouped: { team_id: string; members: number | string }[] = await em
      .getConnection()
      .execute(`select "team_id", count(*) as "members" from "membership" where "team_id" in (${ids.map(() => '?').join(', ')}) group by "team_id"`, ids);
    for (const row of grouped) memberCounts.set(row.team_id, Number(row.members));
    return teams.map((team) => {
      const counter = counters.get(team.id);
      return {
        id: team.id,
        name: team.name,
        personal: team.personal,
        plan: team.plan as PlanName,
        createdAt: team.createdAt.toISOString(),
        members: memberCounts.get(team.id) ?? 0,
        usage: {
          period: { start: start.toISOString(), end: end.toISOString() },
          runs: counter?.runs ?? 0,
          nodeExecutions: Number(counter?.nodeExecutions ?? 0),
          aiTokens: Number(counter?.aiTokens ?? 0),
          costUsd: Number(counter?.costMicroUsd ?? 0) / 1_000_000,
        },
        limits: planLimits(team.plan),
      };
    });
  }

  return {
    /** Whether this user is an instance admin. Unverified addresses never are (anyone can type one). */
    async isAdmin(user: Pick<User, 'id' | 'email' | 'emailVerifiedAt'>): Promise<boolean> {
      if (!user.emailVerifiedAt) return false;
      if (emails.has(user.email.toLowerCase())) return true;
      return (await firstUser()) === user.id;
    },

    /** Every team, newest first, with this month's usage and the plan's limits. */
    async listTeams(query: AdminTeamsQuery, at = new Date()): Promise<Page<AdminTeamView>> {
      const em = orm.em.fork();
      const search = query.q?.replace(/[%_\\]/g, '');
      // lower() on both sides: LIKE ignores case on SQLite (ASCII) but not on PostgreSQL.
      const where = { ...(search ? { [sql.lower('name')]: { $like: `%${search.toLowerCase()}%` } } : {}), ...afterCursor(query.cursor) };
      const rows = await em.find(Team, where, { orderBy: NEWEST_FIRST, limit: query.limit + 1 });
      const page = toPage(rows, query.limit, (row) => row);
      return { items: await teamViews(page.items, at), nextCursor: page.nextCursor };
    },

    /** Moves a team to another plan; its new limits apply from the next check on. */
    async changePlan(teamId: string, plan: ChangePlanRequest['plan'], actor: { userId: string; email: string }): Promise<AdminTeamView> {
      const em = orm.em.fork();
      const team = await em.findOne(Team, { id: teamId });
      if (!team) throw new NotFoundError('Team');
      const previous = team.plan;
      team.plan = plan;
      await em.flush();
      // The audit trail of plan changes is the log: who, which team, from and to.
      logger.info({ admin: actor.userId, adminEmail: actor.email, teamId, from: previous, to: plan }, 'team plan changed by an instance admin');
      const [view] = await teamViews([team], new Date());
      return view!;
    },
  };
}

