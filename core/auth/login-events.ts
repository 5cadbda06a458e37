// The login history: every sign-in attempt, successful or not.
import type { EntityManager } from '@mikro-orm/core';
import type { Orm } from '../db/orm.ts';
import { afterCursor, NEWEST_FIRST, toPage, type Page, type PageQuery } from '../pagination.ts';
import { LoginEvent } from './entities.ts';
import { newId } from './random.ts';
import type { LoginEvent as WireLoginEvent } from '../../contract/index.ts';

export type LoginMethod = 'password' | 'google' | 'github';

export interface LoginAttempt {
  userId: string | null;
  email?: string | null | undefined;
  method: LoginMethod;
  success: boolean;
  reason?: string | null | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
}

/** The wire shape (contract/): what the api answers with. */
export type LoginEventView = WireLoginEvent;

export async function recordLogin(em: EntityManager, attempt: LoginAttempt, now = new Date()): Promise<void> {
  em.create(LoginEvent, {
    id: newId('lgn'),
    user: attempt.userId,
    email: attempt.email ?? null,
    method: attempt.method,
    success: attempt.success,
    reason: attempt.reason ?? null,
    ip: attempt.ip?.slice(0, 64) ?? null,
    userAgent: attempt.userAgent?.slice(0, 512) ?? null,
    createdAt: now,
  });
  await em.flush();
}

export async function listLogins(orm: Orm, userId: string, query: PageQuery): Promise<Page<LoginEventView>> {
  const rows = await orm.em.fork().find(
    LoginEvent,
    { $and: [{ user: userId }, afterCursor(query.cursor)] },
    { orderBy: NEWEST_FIRST, limit: query.limit + 1 },
  );
  return toPage(rows, query.limit, (row) => ({
    id: row.id,
    time: row.createdAt.toISOString(),
    ip: row.ip ?? null,
    userAgent: row.userAgent ?? null,
    method: row.method,
    success: row.success,
    reason: row.reason ?? null,
  }));
}
