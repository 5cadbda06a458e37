// Run aggregates for the dashboard and the lists, computed by the database (GROUP BY over indexed
// columns) so a team with 100,000 runs gets true numbers in one round trip instead of a web server
// paging through a capped list (docs/decisions/033-failures-and-aggregates.md).
// Only root runs count: map items and sub-workflow runs are part of the run that started them.
import { raw } from '@mikro-orm/core';
import type { Orm } from '../db/orm.ts';
import { containsPattern, dialectOf, isoOf, placeholders, timeParam, utcDay } from '../db/sql.ts';
import { RUN_STATUSES } from '../../contract/run-status.ts';
import type { LastRun as WireLastRun, RunStats as WireRunStats } from '../../contract/index.ts';

export { RUN_STATUSES };
export type RunStatusName = (typeof RUN_STATUSES)[number];

/** The SQL condition for root runs, on a run table aliased `alias`. */
export const rootRuns = (alias: string) => `${alias}."trigger" not in ('map', 'subworkflow')`;

export type StatusCounts = Record<RunStatusName, number>;
export type DayStats = { day: string; total: number } & StatusCounts;

/** The wire shape (contract/): what the api answers with. */
export type RunStats = WireRunStats;

/** The wire shape (contract/): what the api answers with. */
export type LastRun = WireLastRun;

const zeroCounts = (): StatusCounts => Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as StatusCounts;
const isStatus = (value: string): value is RunStatusName => (RUN_STATUSES as readonly string[]).includes(value);

/** The UTC midnight `days - 1` days before `now`: a window of `days` calendar days ending today. */
export function windowStart(now: Date, days: number): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
}

export type RunStatsService = ReturnType<typeof createRunStats>;

export function createRunStats(deps: { orm: Orm }) {
  const { orm } = deps;
  const dialect = dialectOf(orm);
  const execute = async (sql: string, params: unknown[]) => (await orm.em.fork().getConnection().execute(sql, params)) as Record<string, unknown>[];

  return {
    /** Runs per UTC day and status over the last `days` days (today included), with totals. */
    async daily(teamId: string, options: { days: number; workflowId?: string; now?: Date }): Promise<RunStats> {
      const now = options.now ?? new Date();
      const from = windowStart(now, options.days);
      const params: unknown[] = [teamId, timeParam(dialect, from)];
      let filter = '';
      if (options.workflowId) {
        filter = ' and r."workflow_id" = ?';
        params.push(options.workflowId);
      }
      const rows = await execute(
        `select ${utcDay(dialect, 'r."started_at"')} as "day", r."status" as "status", count(*) as "n"
           from "run" r where r."team_id" = ? and r."started_at" >= ? and ${rootRuns('r')}${filter}
          group by 1, 2`,
        params,
      );
      const perDay = new Map<string, DayStats>();
      for (let day = 0; day < options.days; day++) {
        const key = new Date(from.getTime() + day * 86_400_000).toISOString().slice(0, 10);
        perDay.set(key, { day: key, total: 0, ...zeroCounts() });
      }
      const totals = { runs: 0, finished: 0, successRate: null as number | null, ...zeroCounts() };
      for (const row of rows) {
        const status = String(row.status);
        const bucket = perDay.get(String(row.day));
        // A run started "in the future" (clock skew between processes) or with an unknown status is left out.
        if (!bucket || !isStatus(status)) continue;
        const n = Number(row.n);
        bucket[status] += n;
        bucket.total += n;
        totals[status] += n;
        totals.runs += n;
      }
      totals.finished = totals.succeeded + totals.failed + totals.timed_out;
      totals.successRate = totals.finished === 0 ? null : totals.succeeded / totals.finished;
      return { from: from.toISOString(), to: now.toISOString(), perDay: [...perDay.values()], totals };
    },

    /** The newest root run of each of these workflows (one indexed probe per workflow). */
    async lastRuns(teamId: string, workflowIds: readonly string[]): Promise<Map<string, LastRun>> {
      const found = new Map<string, LastRun>();
      if (workflowIds.length === 0) return found;
      const rows = await execute(
        `select w."id" as "workflow_id", r."id" as "run_id", r."status" as "status", r."started_at" as "started_at", r."ended_at" as "ended_at"
           from "workflow" w
           join "run" r on r."id" = (select l."id" from "run" l where l."workflow_id" = w."id" and l."team_id" = w."team_id" and ${rootRuns('l')}
                                      order by l."started_at" desc, l."id" desc limit 1)
          where w."team_id" = ? and w."id" in (${placeholders(workflowIds.length)})`,
        [teamId, ...workflowIds],
      );
      for (const row of rows) {
        found.set(String(row.workflow_id), { runId: String(row.run_id), status: String(row.status), startedAt: isoOf(row.started_at)!, endedAt: isoOf(row.ended_at) });
      }
      return found;
    },

    /** Names of these workflows of the team (deleted ones included: their runs still show). */
    async workflowNames(teamId: string, workflowIds: readonly string[]): Promise<Map<string, string>> {
      const ids = [...new Set(workflowIds)];
      if (ids.length === 0) return new Map();
      const rows = await execute(`select "id", "name" from "workflow" where "team_id" = ? and "id" in (${placeholders(ids.length)})`, [teamId, ...ids]);
      return new Map(rows.map((row) => [String(row.id), String(row.name)]));
    },
  };
}

/**
 * A run-list filter (MikroORM `where`, to put in `$and`) for `q`: case-insensitive, in the run id,
 * the error message or the workflow's name. ASCII letters only fold case on SQLite.
 */
export function runSearchFilter(teamId: string, q: string): object {
  const pattern = containsPattern(q);
  // The workflow subquery names the team itself (not the outer row's): uncorrelated, it is
  // evaluated once, not once per run.
  return {
    [raw(
      (a: string) =>
        `(lower(${a}."id") like ? escape '\\' or lower(coalesce(${a}."error", '')) like ? escape '\\'` +
        ` or ${a}."workflow_id" in (select w."id" from "workflow" w where w."team_id" = ? and lower(w."name") like ? escape '\\'))`,
      [pattern, pattern, teamId, pattern],
    )]: [],
  };
}
