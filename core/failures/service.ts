// Failures grouped by workflow, node and error code (GET …/failures): how often each one happened,
// when first and last, its latest message and a few runs to open. Computed by the database from
// the run table (error_node_id, error_code: written when a run ends, migration m008), over the
// (team_id, status, ended_at) index, so it costs the same whatever the team's history.
// A timed-out run is a failure too (code "timed_out" when it carries none). Root runs only: a
// failed map item or sub-workflow shows as the failure of the run that started it.
import type { Orm } from '../db/orm.ts';
import { dialectOf, isoOf, placeholders, timeParam } from '../db/sql.ts';
import { rootRuns } from '../runs/stats.ts';
import { FAILED_RUN_STATUSES } from '../../contract/run-status.ts';
import type { FailureGroup as WireFailureGroup } from '../../contract/index.ts';

export const FAILED_STATUSES = FAILED_RUN_STATUSES;
/** Runs listed per group: enough to open a few and compare. */
export const SAMPLE_RUNS = 5;

/** The wire shape (contract/): what the api answers with. */
export type FailureGroup = WireFailureGroup;

export interface FailureQuery {
  since: Date;
  workflowId?: string;
  limit: number;
}

const groupKey = (workflowId: unknown, nodeId: unknown, code: unknown) => JSON.stringify([workflowId, nodeId ?? null, code ?? null]);

export type FailureService = ReturnType<typeof createFailureService>;

export function createFailureService(deps: { orm: Orm }) {
  const { orm } = deps;
  const dialect = dialectOf(orm);
  const execute = async (sql: string, params: unknown[]) => (await orm.em.fork().getConnection().execute(sql, params)) as Record<string, unknown>[];

  return {
    /** The groups with a failure since `since`, the most recently seen first. */
    async list(teamId: string, query: FailureQuery): Promise<FailureGroup[]> {
      const statuses = FAILED_STATUSES.map((s) => `'${s}'`).join(', ');
      // The timed-out code is filled in SQL so that timed-out runs without a code group together
      // with those that carry it.
      const code = `coalesce(r."error_code", case when r."status" = 'timed_out' then 'timed_out' end)`;
      const where = `r."team_id" = ? and r."status" in (${statuses}) and r."ended_at" >= ? and ${rootRuns('r')}${query.workflowId ? ' and r."workflow_id" = ?' : ''}`;
      const params: unknown[] = [teamId, timeParam(dialect, query.since), ...(query.workflowId ? [query.workflowId] : [])];

      const groups = await execute(
        `select r."workflow_id" as "workflow_id", r."error_node_id" as "node_id", ${code} as "code",
                count(*) as "n", min(r."ended_at") as "first_seen", max(r."ended_at") as "last_seen"
           from "run" r where ${where}
          group by r."workflow_id", r."error_node_id", ${code}
          order by max(r."ended_at") desc, r."workflow_id", r."error_node_id", ${code}
          limit ?`,
        [...params, query.limit],
      );
      if (groups.length === 0) return [];

      // The newest runs of each group, in one pass over the same index (window functions:
      // SQLite ≥ 3.25 and PostgreSQL).
      const samples = await execute(
        `select "workflow_id", "node_id", "code", "id", "error" from (
           select r."workflow_id" as "workflow_id", r."error_node_id" as "node_id", ${code} as "code", r."id" as "id", r."error" as "error",
                  row_number() over (partition by r."workflow_id", r."error_node_id", ${code} order by r."ended_at" desc, r."id" desc) as "rank"
             from "run" r where ${where}
         ) s where s."rank" <= ? order by s."rank"`,
        [...params, SAMPLE_RUNS],
      );
      const sampled = new Map<string, { ids: string[]; message: string | null }>();
      for (const row of samples) {
        const key = groupKey(row.workflow_id, row.node_id, row.code);
        const entry = sampled.get(key) ?? { ids: [], message: row.error === null || row.error === undefined ? null : String(row.error) };
        entry.ids.push(String(row.id));
        sampled.set(key, entry);
      }

      const workflowIds = [...new Set(groups.map((g) => String(g.workflow_id)))];
      const names = new Map(
        (await execute(`select "id", "name" from "workflow" where "team_id" = ? and "id" in (${placeholders(workflowIds.length)})`, [teamId, ...workflowIds])).map((row) => [
          String(row.id),
          String(row.name),
        ]),
      );

      return groups.map((g) => {
        const sample = sampled.get(groupKey(g.workflow_id, g.node_id, g.code));
        return {
          workflowId: String(g.workflow_id),
          workflowName: names.get(String(g.workflow_id)) ?? null,
          nodeId: g.node_id === null || g.node_id === undefined ? null : String(g.node_id),
          code: g.code === null || g.code === undefined ? null : String(g.code),
          message: sample?.message ?? null,
          count: Number(g.n),
          firstSeen: isoOf(g.first_seen)!,
          lastSeen: isoOf(g.last_seen)!,
          sampleRunIds: sample?.ids ?? [],
        };
      });
    },
  };
}
