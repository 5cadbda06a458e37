// Sessions as Lucia's guide teaches (lucia-auth.com/sessions): the token is `<id>.<secret>`, both
// random; the database keeps the id and SHA-256 of the secret, compared in constant time. Expiry
// slides: a session used in the second half of its lifetime is extended to a full one, so an
// active user stays signed in and the row is written at most once per half-lifetime — but never
// past an absolute lifetime counted from the sign-in, so a stolen token does not live forever.
// See docs/decisions/010-sessions.md.
import { timingSafeEqual } from 'node:crypto';
import type { EntityDictionary, EntityManager } from '@mikro-orm/core';
import type { Orm } from '../db/orm.ts';
import { Session, User } from './entities.ts';
import { randomSecret, sha256Hex } from './random.ts';

export const SESSION_COOKIE = 'trellis_session';
const DAY_MS = 24 * 60 * 60 * 1000;

export interface SessionMeta {
  method: string;
  ip?: string | undefined;
  userAgent?: string | undefined;
}

export interface ValidSession {
  session: Session;
  user: User;
  /** The expiry moved forward: a cookie should be re-issued with the new lifetime. */
  refreshed: boolean;
}

export interface SessionService {
  ttlMs: number;
  /** Absolute lifetime from the sign-in: no activity extends a session past it. */
  maxMs: number;
  create(em: EntityManager, userId: string, meta: SessionMeta): Promise<{ token: string; session: Session }>;
  validate(token: string): Promise<ValidSession | null>;
  revoke(sessionId: string): Promise<void>;
  /** Revokes every session of a user (password change or reset), optionally but one. */
  revokeAll(userId: string, options?: { except?: string; em?: EntityManager }): Promise<number>;
  list(userId: string): Promise<Session[]>;
}

const SESSION_WITH_USER =
  'select "user_account".*, "session"."id" as "s_id", "session"."secret_hash" as "s_secret_hash", "session"."method" as "s_method", "session"."ip" as "s_ip", ' +
  '"session"."user_agent" as "s_user_agent", "session"."created_at" as "s_created_at", "session"."expires_at" as "s_expires_at" ' +
  'from "session" join "user_account" on "user_account"."id" = "session"."user_id" where "session"."id" = ?';

export function createSessionService(deps: { orm: Orm; ttlDays: number; maxDays?: number; now?: () => Date }): SessionService {
  const ttlMs = deps.ttlDays * DAY_MS;
  const maxMs = (deps.maxDays ?? 90) * DAY_MS;
  const now = deps.now ?? (() => new Date());
  // The expiry is always min(last extension + ttl, sign-in + max), so retention (core/retention) and list()
  // need no second condition for sessions created under this rule.
  const expiryFrom = (at: number, createdAt: Date) => new Date(Math.min(at + ttlMs, createdAt.getTime() + maxMs));

  return {
    ttlMs,
    maxMs,

    async create(em, userId, meta) {
      const id = randomSecret(15);
      const secret = randomSecret(20);
      const created = now();
      const session = em.create(Session, {
        id,
        user: userId,
        secretHash: sha256Hex(secret),
        method: meta.method,
        ip: meta.ip?.slice(0, 64) ?? null,
        userAgent: meta.userAgent?.slice(0, 512) ?? null,
        createdAt: created,
        expiresAt: expiryFrom(created.getTime(), created),
      });
      await em.flush();
      return { token: `${id}.${secret}`, session };
    },

    async validate(token) {
      const dot = token.indexOf('.');
      if (dot <= 0 || token.length > 200) return null;
      const id = token.slice(0, dot);
      const secret = token.slice(dot + 1);
      // The hot path of every request: one indexed join (session → user), mapped by the ORM
      // (cheaper than its query builder), quoted the way both SQLite and PostgreSQL accept.
      const em = deps.orm.em.fork();
      const [row] = await em.getConnection().execute(SESSION_WITH_USER, [id]);
      if (!row) return null;
      const { s_id, s_secret_hash, s_method, s_ip, s_user_agent, s_created_at, s_expires_at, ...userRow } = row as EntityDictionary<User>;
      const session = em.map(Session, { id: s_id, user_id: userRow.id, secret_hash: s_secret_hash, method: s_method, ip: s_ip, user_agent: s_user_agent, created_at: s_created_at, expires_at: s_expires_at });
      const user = em.map(User, userRow);
      const expected = Buffer.from(session.secretHash, 'hex');
      const actual = Buffer.from(sha256Hex(secret), 'hex');
      if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
      const current = now();
      // The absolute limit is checked on its own too: rows written before it existed may slide past it.
      if (current.getTime() >= session.expiresAt.getTime() || current.getTime() >= session.createdAt.getTime() + maxMs) {
        await em.nativeDelete(Session, { id });
        return null;
      }
      let refreshed = false;
      const extended = expiryFrom(current.getTime(), session.createdAt);
      if (current.getTime() >= session.expiresAt.getTime() - ttlMs / 2 && extended.getTime() > session.expiresAt.getTime()) {
        session.expiresAt = extended;
        await em.nativeUpdate(Session, { id }, { expiresAt: session.expiresAt });
        refreshed = true;
      }
      return { session, user, refreshed };
    },

    async revoke(sessionId) {
      await deps.orm.em.fork().nativeDelete(Session, { id: sessionId });
    },

    async revokeAll(userId, options = {}) {
      const em = options.em ?? deps.orm.em.fork();
      return em.nativeDelete(Session, options.except ? { user: userId, id: { $ne: options.except } } : { user: userId });
    },

    async list(userId) {
      return deps.orm.em.fork().find(Session, { user: userId, expiresAt: { $gt: now() } }, { orderBy: { createdAt: 'desc' } });
    },
  };
}
