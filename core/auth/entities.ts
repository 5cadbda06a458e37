// Accounts, sessions, OAuth links, one-time email tokens and the login history.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const User = defineEntity({
  name: 'User',
  tableName: 'user_account',
  properties: {
    id: p.string().primary(),
    /** Stored trimmed and lowercased: unique case-insensitively on every database. */
    email: p.string().unique(),
    name: p.string(),
    avatarUrl: p.string().length(2048).nullable(),
    timezone: p.string().length(64).nullable(),
    locale: p.string().length(35).nullable(),
    /** argon2id PHC string; null for accounts that only sign in with OAuth. */
    passwordHash: p.string().nullable(),
    emailVerifiedAt: p.datetime().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export type User = InferEntity<typeof User>;

/** A login session (docs/decisions/010-sessions.md): the token is `<id>.<secret>`, only SHA-256(secret) is stored. */
export const Session = defineEntity({
  name: 'Session',
  tableName: 'session',
  properties: {
    id: p.string().primary(),
    user: p.manyToOne(User).mapToPk().deleteRule('cascade').index(),
    secretHash: p.string().length(64),
    method: p.string().length(16),
    ip: p.string().length(64).nullable(),
    userAgent: p.string().length(512).nullable(),
    createdAt: p.datetime(),
    expiresAt: p.datetime(),
  },
});
export type Session = InferEntity<typeof Session>;

export const OAuthAccount = defineEntity({
  name: 'OAuthAccount',
  tableName: 'oauth_account',
  uniques: [{ properties: ['provider', 'providerUserId'] }],
  properties: {
    id: p.string().primary(),
    provider: p.string().length(16),
    providerUserId: p.string(),
    user: p.manyToOne(User).mapToPk().deleteRule('cascade').index(),
    email: p.string().nullable(),
    createdAt: p.datetime(),
  },
});
export type OAuthAccount = InferEntity<typeof OAuthAccount>;

/** Single-use, expiring token sent by email. The id is SHA-256 of the token; the token itself is never stored. */
export const EmailToken = defineEntity({
  name: 'EmailToken',
  tableName: 'email_token',
  properties: {
    id: p.string().length(64).primary(),
    user: p.manyToOne(User).mapToPk().deleteRule('cascade').index(),
    purpose: p.string().length(16),
    expiresAt: p.datetime(),
    usedAt: p.datetime().nullable(),
    createdAt: p.datetime(),
  },
});
export type EmailToken = InferEntity<typeof EmailToken>;

/** One row per sign-in attempt, successful or not. */
export const LoginEvent = defineEntity({
  name: 'LoginEvent',
  tableName: 'login_event',
  indexes: [{ properties: ['user', 'createdAt'] }],
  properties: {
    id: p.string().primary(),
    user: p.manyToOne(User).mapToPk().deleteRule('cascade').nullable(),
    email: p.string().nullable(),
    method: p.string().length(16),
    success: p.boolean(),
    reason: p.string().length(64).nullable(),
    ip: p.string().length(64).nullable(),
    userAgent: p.string().length(512).nullable(),
    createdAt: p.datetime(),
  },
});
export type LoginEvent = InferEntity<typeof LoginEvent>;
