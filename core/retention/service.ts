// Retention (docs/decisions/034-backup-and-retention.md): what is deleted, and when. The
// `retentionSweep` schedule (./schedule.ts) calls `sweep` through an activity; each call deletes
// at most `batchSize` rows per kind, so no statement holds a lock for long, and says whether more
// is left. Hand-written SQL (core/db/sql.ts binds times for both databases): the rules join runs
// to their team's plan, which the ORM's filters cannot express.
import { dialectOf, placeholders, timeParam } from '../db/sql.ts';
import type { Orm } from '../db/orm.ts';
import { DEFAULT_PLAN, PLAN_NAMES, PLANS } from '../plans.ts';
import { FINAL_RUN_STATUSES } from '../../contract/run-status.ts';

/** Instance-wide periods, in days, for what is not a team's run data. */
export const RETENTION_DAYS = {
  /** Sign-in attempts (GET /me/logins). */
  loginEvents: 90,
  /** Delivery logs: sent or given-up mail, notification deliveries, accepted webhook delivery ids. */
  deliveryLogs: 30,
  /** Invitations after they expired or were accepted; email tokens after they expired. */
  expiredInvitations: 30,
  expiredEmailTokens: 1,
} as const;

const DAY_MS = 86_400_000;
/** A run with one of these statuses is finished; no other run is ever deleted. */
const FINAL_STATUSES = FINAL_RUN_STATUSES;
/** A team with one of these keeps the blobs of its deleted runs until none is left (a rerun or parent may read them). */
const ACTIVE_STATUSES = ['queued', 'running', 'waiting'];

export interface SweepReport {
  runs: number;
  blobs: number;
  runIdempotencyKeys: number;
  webhookDeliveries: number;
  webhookSignatures: number;
  loginEvents: number;
  mailOutbox: number;
  notificationDeliveries: number;
  sessions: number;
  emailTokens: number;
  invitations: number;
  /** Some kind had a full batch: call again. */
  more: boolean;
}

export type Retention = ReturnType<typeof createRetention>;

export function createRetention(deps: { orm: Orm }) {
  const { orm } = deps;
  const dialect = dialectOf(orm);
  const t = (time: Date) => timeParam(dialect, time);

  async function execute(sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    return orm.em.fork().getConnection().execute(sql, params as never[]);
  }
  async function affected(sql: string, params: unknown[]): Promise<number> {
    const result = (await orm.em.fork().getConnection().execute(sql, params as never[], 'run')) as { affectedRows?: number; changes?: number };
    return Number(result.affectedRows ?? result.changes ?? 0);
  }
  /** Deletes the rows of `table` whose `id` column is in `ids`. */
  async function deleteIds(table: string, column: string, ids: string[]): Promise<number> {
    if (!ids.length) return 0;
    return affected(`delete from "${table}" where "${column}" in (${placeholders(ids.length)})`, ids);
  }
  /** Deletes up to `limit` rows matching `where` (a batch: select the keys, then delete them). */
  async function deleteWhere(table: string, key: string, where: string, params: unknown[], limit: number): Promise<number> {
    const rows = await execute(`select "${key}" as k from "${table}" where ${where} limit ${limit}`, params);
    return deleteIds(table, key, rows.map((row) => String(row.k)));
  }

  /** SQL selecting the teams on `plan` (alias `tm`); unknown plan names count as the default plan, as planLimits does. */
  function planCondition(plan: string): { sql: string; params: string[] } {
    if (plan !== DEFAULT_PLAN) return { sql: 'tm."plan" = ?', params: [plan] };
    const others = PLAN_NAMES.filter((name) => name !== DEFAULT_PLAN);
    return { sql: `tm."plan" not in (${placeholders(others.length)})`, params: others };
  }

  return {
    /** One batch of every rule, as of `now`. */
    async sweep(options: { batchSize?: number; now?: Date } = {}): Promise<SweepReport> {
      const limit = Math.max(1, Math.min(options.batchSize ?? 500, 5_000));
      const now = options.now ?? new Date();
      const ago = (days: number) => t(new Date(now.getTime() - days * DAY_MS));
      const report: SweepReport = {
        runs: 0, blobs: 0, runIdempotencyKeys: 0, webhookDeliveries: 0, webhookSignatures: 0, loginEvents: 0,
        mailOutbox: 0, notificationDeliveries: 0, sessions: 0, emailTokens: 0, invitations: 0, more: false,
      };
      const full = (count: number) => {
        if (count >= limit) report.more = true;
        return count;
      };

      // Finished runs older than their team's plan retention, with what hangs on them.
      for (const plan of PLAN_NAMES) {
        const { sql, params } = planCondition(plan);
        const cutoff = ago(PLANS[plan].retentionDays);
        const runs = await execute(
          `select r."id" as id, r."team_id" as team from "run" r join "team" tm on tm."id" = r."team_id"
           where ${sql} and r."status" in (${placeholders(FINAL_STATUSES.length)}) and r."ended_at" < ? limit ${limit}`,
          [...params, ...FINAL_STATUSES, cutoff],
        );
        const ids = runs.map((row) => String(row.id));
        if (!ids.length) continue;
        report.runIdempotencyKeys += await deleteIds('run_idempotency', 'run_id', ids);
        report.webhookDeliveries += await deleteIds('webhook_delivery', 'run_id', ids);
        // Blobs of teams with no active run now; the others' are orphans the rule below takes later.
        const teams = [...new Set(runs.map((row) => String(row.team)))];
        const busy = new Set(
          (await execute(`select distinct "team_id" as team from "run" where "team_id" in (${placeholders(teams.length)}) and "status" in (${placeholders(ACTIVE_STATUSES.length)})`, [...teams, ...ACTIVE_STATUSES])).map((row) => String(row.team)),
        );
        const idle = runs.filter((row) => !busy.has(String(row.team))).map((row) => String(row.id));
        if (idle.length) report.blobs += await affected(`delete from "blob" where "run_id" in (${placeholders(idle.length)})`, idle);
        report.runs += full(await deleteIds('run', 'id', ids));
      }
      // Orphan blobs: their run is gone (deleted above while the team was busy, or never recorded) and the team is idle.
      for (const plan of PLAN_NAMES) {
        const { sql, params } = planCondition(plan);
        report.blobs += full(await deleteWhere(
          'blob', 'id',
          `"created_at" < ? and "team_id" in (select tm."id" from "team" tm where ${sql})
           and not exists (select 1 from "run" r where r."id" = "blob"."run_id")
           and not exists (select 1 from "run" a where a."team_id" = "blob"."team_id" and a."status" in (${placeholders(ACTIVE_STATUSES.length)}))`,
          [ago(PLANS[plan].retentionDays), ...params, ...ACTIVE_STATUSES], limit,
        ));
      }
      report.runIdempotencyKeys += full(await deleteWhere('run_idempotency', 'run_id', '"created_at" < ?', [ago(Math.max(...PLAN_NAMES.map((p) => PLANS[p].retentionDays)))], limit));
      report.webhookDeliveries += full(await deleteWhere('webhook_delivery', 'run_id', '"created_at" < ?', [ago(RETENTION_DAYS.deliveryLogs)], limit));
      report.webhookSignatures += full(await deleteWhere('webhook_signature', 'signature', '"expires_at" < ?', [t(now)], limit));
      report.loginEvents += full(await deleteWhere('login_event', 'id', '"created_at" < ?', [ago(RETENTION_DAYS.loginEvents)], limit));
      report.mailOutbox += full(await deleteWhere('mail_outbox', 'id', `"status" in ('sent', 'failed', 'skipped') and "created_at" < ?`, [ago(RETENTION_DAYS.deliveryLogs)], limit));
      report.notificationDeliveries += full(await deleteWhere('notification_delivery', 'id', `"status" in ('sent', 'failed') and "created_at" < ?`, [ago(RETENTION_DAYS.deliveryLogs)], limit));
      report.sessions += full(await deleteWhere('session', 'id', '"expires_at" < ?', [t(now)], limit));
      report.emailTokens += full(await deleteWhere('email_token', 'id', '"expires_at" < ?', [ago(RETENTION_DAYS.expiredEmailTokens)], limit));
      report.invitations += full(await deleteWhere('invitation', 'id', '("expires_at" < ? or "accepted_at" < ?)', [ago(RETENTION_DAYS.expiredInvitations), ago(RETENTION_DAYS.expiredInvitations)], limit));
      return report;
    },
  };
}
