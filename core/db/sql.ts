// The few places where hand-written SQL differs between SQLite and PostgreSQL (aggregates the ORM
// cannot express): how times are stored and bound, how a UTC day is named, and LIKE patterns.
// SQLite keeps datetimes as integer milliseconds (MikroORM's mapping); PostgreSQL as timestamptz.
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import type { Orm } from './orm.ts';

export type Dialect = 'sqlite' | 'postgresql';

export function dialectOf(orm: Orm): Dialect {
  return orm.em.getPlatform() instanceof PostgreSqlPlatform ? 'postgresql' : 'sqlite';
}

/** A time as a bind parameter for a datetime column. */
export function timeParam(dialect: Dialect, time: Date): number | string {
  return dialect === 'sqlite' ? time.getTime() : time.toISOString();
}

/** A datetime column's value as read by a raw query, as ISO-8601 UTC (null stays null). */
export function isoOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value))) return new Date(Number(value)).toISOString();
  return new Date(String(value)).toISOString();
}

/** SQL naming the UTC day (`YYYY-MM-DD`) of a datetime column. */
export function utcDay(dialect: Dialect, column: string): string {
  return dialect === 'sqlite' ? `strftime('%Y-%m-%d', ${column} / 1000, 'unixepoch')` : `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD')`;
}

/**
 * `%text%` for `lower(column) like ? escape '\'`: the text's own % and _ match themselves (a
 * search is for words, never for patterns a hostile caller could make slow).
 */
export function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** `?, ?, ?` for an `in (…)` list of n values. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}
