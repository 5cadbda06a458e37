// Lists: `?limit=&cursor=` → `{items, nextCursor}` (API.md). Cursors are opaque keysets over
// (createdAt, id), newest first, so pages stay stable while rows are added.
import { UserError } from './errors.ts';

export { PageQuery } from '../contract/common.ts';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

interface Keyset {
  createdAt: Date;
  id: string;
}

export function encodeCursor(row: Keyset): string {
  return Buffer.from(JSON.stringify([row.createdAt.getTime(), row.id])).toString('base64url');
}

export function decodeCursor(cursor: string): Keyset {
  try {
    const [time, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
    if (typeof time === 'number' && typeof id === 'string') return { createdAt: new Date(time), id };
  } catch {
    // falls through
  }
  throw new UserError('invalid_cursor', 'The cursor is not one this API gave out', { problems: [{ path: 'cursor', message: 'invalid' }] });
}

/** The filter for rows after the cursor, newest first (merge it into the query with $and). */
export function afterCursor(cursor: string | undefined): object {
  if (!cursor) return {};
  const { createdAt, id } = decodeCursor(cursor);
  return { $or: [{ createdAt: { $lt: createdAt } }, { createdAt, id: { $lt: id } }] };
}

/** Query `limit + 1` rows, ordered by createdAt desc, id desc; this cuts them into a page. */
export function toPage<R extends Keyset, T>(rows: R[], limit: number, map: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return { items: kept.map(map), nextCursor: more && last ? encodeCursor(last) : null };
}

export const NEWEST_FIRST = { createdAt: 'desc', id: 'desc' } as const;
