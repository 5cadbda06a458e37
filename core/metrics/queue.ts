// The admission queue as the api's /metrics shows it: runs waiting per priority and the age of the
// oldest. Read from the database on each scrape (one grouped query on the run table), so every api
// replica reports the same numbers: alert rules take max() across replicas.
import type { Orm } from '../db/orm.ts';

export interface QueueSample {
  priority: number;
  /** Present only when the team label is on. */
  teamId?: string;
  queued: number;
  /** Enqueue time of the oldest queued run of this group. */
  oldest: Date | undefined;
}

/** A datetime from a raw query: integer milliseconds (SQLite), a Date or a string (PostgreSQL). */
function timeOf(value: unknown): Date | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return value;
  const time = typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value)) ? new Date(Number(value)) : new Date(String(value));
  return Number.isNaN(time.getTime()) ? undefined : time;
}

export async function sampleQueue(orm: Orm, options: { byTeam?: boolean } = {}): Promise<QueueSample[]> {
  const team = options.byTeam ? 'team_id, ' : '';
  const rows = (await orm.em
    .fork()
    .getConnection()
    .execute(`select ${team}priority, count(*) as queued, min(started_at) as oldest from run where status = ? group by ${team}priority`, ['queued'])) as Record<string, unknown>[];
  return rows.map((row) => ({
    priority: Number(row.priority),
    ...(options.byTeam ? { teamId: String(row.team_id) } : {}),
    queued: Number(row.queued),
    oldest: timeOf(row.oldest),
  }));
}
