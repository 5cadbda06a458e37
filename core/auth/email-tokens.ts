// Single-use, expiring tokens sent by email (verification, password reset). Only SHA-256 of the
// token is stored; consuming is one conditional UPDATE, so a token works once even under races.
import type { EntityManager } from '@mikro-orm/core';
import { UserError } from '../errors.ts';
import { EmailToken } from './entities.ts';
import { randomSecret, sha256Hex } from './random.ts';

export type EmailTokenPurpose = 'verify_email' | 'password_reset';

export const EMAIL_TOKEN_TTL_MS: Record<EmailTokenPurpose, number> = {
  verify_email: 48 * 60 * 60 * 1000,
  password_reset: 60 * 60 * 1000,
};

/** Issues a token, replacing any unused one of the same purpose (only the newest link works). */
export async function issueEmailToken(em: EntityManager, userId: string, purpose: EmailTokenPurpose, now = new Date()): Promise<string> {
  const token = randomSecret(24);
  await em.nativeDelete(EmailToken, { user: userId, purpose, usedAt: null });
  em.create(EmailToken, {
    id: sha256Hex(token),
    user: userId,
    purpose,
    expiresAt: new Date(now.getTime() + EMAIL_TOKEN_TTL_MS[purpose]),
    usedAt: null,
    createdAt: now,
  });
  await em.flush();
  return token;
}

const invalidToken = () => new UserError('invalid_token', 'This link is invalid, has expired or was already used; ask for a new one');

/** The unused, unexpired token's user id, without spending it; 400 `invalid_token` otherwise. A cheap check to run before costly work. */
export async function pendingEmailTokenUser(em: EntityManager, token: string, purpose: EmailTokenPurpose, now = new Date()): Promise<string> {
  const row = await em.findOne(EmailToken, { id: sha256Hex(token), purpose, usedAt: null, expiresAt: { $gt: now } });
  if (!row) throw invalidToken();
  return row.user;
}

/** Deletes a user's unused tokens of one purpose (a password change voids pending reset links). */
export async function voidEmailTokens(em: EntityManager, userId: string, purpose: EmailTokenPurpose): Promise<number> {
  return em.nativeDelete(EmailToken, { user: userId, purpose, usedAt: null });
}

/** Marks the token used and returns its user id; 400 `invalid_token` when unknown, used or expired. */
export async function consumeEmailToken(em: EntityManager, token: string, purpose: EmailTokenPurpose, now = new Date()): Promise<string> {
  const id = sha256Hex(token);
  const updated = await em.nativeUpdate(EmailToken, { id, purpose, usedAt: null, expiresAt: { $gt: now } }, { usedAt: now });
  if (updated !== 1) throw invalidToken();
  const row = await em.findOneOrFail(EmailToken, { id });
  return row.user;
}
