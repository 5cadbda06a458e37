// Accounts: registration, email verification, password login, password reset and change, OAuth
// sign-in. Failures of a login look the same whether or not the email exists (same status, same
// body, same argon2 work), and every attempt is written to the login history.
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import type { Orm } from '../db/orm.ts';
import { ForbiddenError, UnauthorizedError, UserError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { MailOutbox } from '../mail/outbox.ts';
import { accountExistsEmail, passwordResetEmail, verificationEmail } from '../mail/templates.ts';
import type { TeamService } from '../teams/service.ts';
import { OAuthAccount, User } from './entities.ts';
import { consumeEmailToken, issueEmailToken, pendingEmailTokenUser, voidEmailTokens } from './email-tokens.ts';
import { recordLogin, type LoginMethod } from './login-events.ts';
import type { OAuthProfile } from './oauth.ts';
import { assertPasswordAcceptable, hashPassword, verifyAgainstDummy, verifyPassword } from './passwords.ts';
import { newId, randomSecret } from './random.ts';
import type { SessionService } from './sessions.ts';
import type { User as WireUser } from '../../contract/index.ts';

/** The wire shape (contract/): what the api answers with. */
export type UserView = WireUser;

export interface RequestMeta {
  ip?: string | undefined;
  userAgent?: string | undefined;
}

export interface SignedIn {
  token: string;
  sessionId: string;
  expiresAt: Date;
  user: UserView;
}

export function userView(user: User): UserView {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    avatarUrl: user.avatarUrl ?? null,
    timezone: user.timezone ?? null,
    locale: user.locale ?? null,
    emailVerified: Boolean(user.emailVerifiedAt),
    hasPassword: Boolean(user.passwordHash),
    createdAt: user.createdAt.toISOString(),
  };
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

const INVALID_CREDENTIALS = 'The email or the password is wrong';

export type AuthService = ReturnType<typeof createAuthService>;

export function createAuthService(deps: { orm: Orm; sessions: SessionService; teams: TeamService; mail: MailOutbox; publicUrl: string; logger: Logger }) {
  const { orm, sessions, mail, logger } = deps;
  const page = (path: string) => `${deps.publicUrl.replace(/\/+$/, '')}${path}`;
  const link = (path: string, token: string) => `${page(path)}?token=${encodeURIComponent(token)}`;

  // Emails are recorded in the caller's transaction (core/mail/outbox.ts) and delivered by the
  // worker: no request waits for SMTP, and a token is never issued without its email.
  async function recordVerification(tx: EntityManager, user: User): Promise<string | undefined> {
    const token = await issueEmailToken(tx, user.id, 'verify_email');
    return mail.record(tx, verificationEmail(user.email, user.name, link('/verify-email', token)), 'verification');
  }

  /** L1: a registration for a taken address tells the owner, never the caller. */
  async function recordAccountExists(tx: EntityManager, user: User): Promise<string | undefined> {
    return mail.record(tx, accountExistsEmail(user.email, user.name, page('/login'), page('/forgot-password')), 'account_exists');
  }

  async function signIn(em: EntityManager, user: User, method: LoginMethod, meta: RequestMeta): Promise<SignedIn> {
    const { token, session } = await sessions.create(em, user.id, { method, ...meta });
    await recordLogin(em, { userId: user.id, email: user.email, method, success: true, ...meta });
    return { token, sessionId: session.id, expiresAt: session.expiresAt, user: userView(user) };
  }

  async function createUser(em: EntityManager, fields: { email: string; name: string; passwordHash: string | null; verified: boolean; avatarUrl?: string | null }): Promise<User> {
    const now = new Date();
    const user = em.create(User, {
      id: newId('usr'),
      email: fields.email,
      name: fields.name,
      avatarUrl: fields.avatarUrl ?? null,
      timezone: null,
      locale: null,
      passwordHash: fields.passwordHash,
      emailVerifiedAt: fields.verified ? now : null,
      createdAt: now,
      updatedAt: now,
    });
    await em.flush();
    await deps.teams.createPersonalTeam(em, user);
    return user;
  }

  /** Background work whose outcome must not show in the answer (or its timing). */
  function detached(work: () => Promise<void>, what: string): void {
    void work().catch((error: unknown) => logger.error({ err: error }, `${what} failed`));
  }

  return {
    /**
     * Creates an unverified account and records its verification email; for an address that
     * already has an account, records a "someone tried to register" email to its owner instead
     * (docs/decisions/027-mail-outbox.md). Both take the same argon2 hash and end alike, so neither
     * the answer nor its timing tells whether the address is known.
     */
    async register(input: { email: string; password: string; name: string }): Promise<void> {
      const email = normalizeEmail(input.email);
      assertPasswordAcceptable(input.password, { email });
      const passwordHash = await hashPassword(input.password);
      const toOwner = async (tx: EntityManager) => recordAccountExists(tx, await tx.findOneOrFail(User, { email }));
      let mailId: string | undefined;
      try {
        mailId = await orm.em.fork().transactional(async (tx) => {
          if (await tx.count(User, { email })) return toOwner(tx);
          return recordVerification(tx, await createUser(tx, { email, name: input.name.trim(), passwordHash, verified: false }));
        });
      } catch (error) {
        if (!(error instanceof UniqueConstraintViolationException)) throw error;
        mailId = await orm.em.fork().transactional(toOwner); // a concurrent registration won
      }
      mail.dispatch(mailId);
    },

    async verifyEmail(token: string): Promise<UserView> {
      const em = orm.em.fork();
      const userId = await consumeEmailToken(em, token, 'verify_email');
      const user = await em.findOneOrFail(User, { id: userId });
      user.emailVerifiedAt ??= new Date();
      user.updatedAt = new Date();
      await em.flush();
      return userView(user);
    },

    /** Sends a fresh verification link when the address has an unverified account. Always "accepted". */
    resendVerification(emailInput: string): void {
      detached(async () => {
        const em = orm.em.fork();
        const user = await em.findOne(User, { email: normalizeEmail(emailInput) });
        if (user && !user.emailVerifiedAt) mail.dispatch(await em.transactional((tx) => recordVerification(tx, user)));
      }, 'resending a verification email');
    },

    async login(input: { email: string; password: string }, meta: RequestMeta): Promise<SignedIn> {
      const email = normalizeEmail(input.email);
      const em = orm.em.fork();
      const user = await em.findOne(User, { email });
      const fail = async (reason: string, userId: string | null) => {
        await recordLogin(em, { userId, email, method: 'password', success: false, reason, ...meta });
        return new UnauthorizedError(INVALID_CREDENTIALS, 'invalid_credentials');
      };
      if (!user?.passwordHash) {
        await verifyAgainstDummy(input.password);
        throw await fail(user ? 'no_password' : 'unknown_email', user?.id ?? null);
      }
      if (!(await verifyPassword(user.passwordHash, input.password))) throw await fail('wrong_password', user.id);
      if (!user.emailVerifiedAt) {
        await recordLogin(em, { userId: user.id, email, method: 'password', success: false, reason: 'email_not_verified', ...meta });
        throw new ForbiddenError('email_not_verified', 'Confirm your email address first: follow the link we sent (or ask for a new one)');
      }
      return signIn(em, user, 'password', meta);
    },

    async logout(sessionId: string): Promise<void> {
      await sessions.revoke(sessionId);
    },

    /**
     * Records a reset email when the address has an account. Always "accepted", and in the same
     * time either way (docs/decisions/027-mail-outbox.md).
     */
    async requestPasswordReset(emailInput: string): Promise<void> {
      const email = normalizeEmail(emailInput);
      const em = orm.em.fork();
      const user = await em.findOne(User, { email });
      // An unknown address is logged in the outbox as skipped: the same transaction, the same time.
      const mailId = await em.transactional(async (tx) => {
        const token = user ? await issueEmailToken(tx, user.id, 'password_reset') : randomSecret(24);
        const message = passwordResetEmail(email, user?.name ?? '', link('/reset-password', token));
        return mail.record(tx, message, 'password_reset', user ? {} : { skip: 'no account with this address: nothing sent' });
      });
      mail.dispatch(mailId);
    },

    /** Sets the new password, confirms the email (the link proved it) and revokes every session. */
    async confirmPasswordReset(token: string, password: string): Promise<void> {
      const em = orm.em.fork();
      // Check the token, then the password, before spending the token (a refused password keeps the
      // link usable) and before the costly hash (an unknown token costs no argon2 work).
      const owner = await em.findOneOrFail(User, { id: await pendingEmailTokenUser(em, token, 'password_reset') });
      assertPasswordAcceptable(password, { email: owner.email });
      const passwordHash = await hashPassword(password);
      await em.transactional(async (tx) => {
        const userId = await consumeEmailToken(tx, token, 'password_reset');
        const user = await tx.findOneOrFail(User, { id: userId });
        user.passwordHash = passwordHash;
        user.emailVerifiedAt ??= new Date();
        user.updatedAt = new Date();
        await tx.flush();
        await voidEmailTokens(tx, userId, 'password_reset');
        await sessions.revokeAll(userId, { em: tx });
      });
    },

    /** Changes the password, revokes every session and signs this client in again. */
    async changePassword(userId: string, input: { currentPassword?: string | undefined; newPassword: string }, meta: RequestMeta): Promise<SignedIn> {
      const em = orm.em.fork();
      const user = await em.findOneOrFail(User, { id: userId });
      if (user.passwordHash && !(await verifyPassword(user.passwordHash, input.currentPassword ?? ''))) {
        throw new UserError('wrong_password', 'The current password is wrong', { status: 403, problems: [{ path: 'currentPassword', message: 'is wrong' }] });
      }
      assertPasswordAcceptable(input.newPassword, { email: user.email, field: 'newPassword' });
      user.passwordHash = await hashPassword(input.newPassword);
      user.updatedAt = new Date();
      await em.flush();
      // A reset link sent before the change must not undo it.
      await voidEmailTokens(em, userId, 'password_reset');
      await sessions.revokeAll(userId, { em });
      const { token, session } = await sessions.create(em, user.id, { method: 'password', ...meta });
      return { token, sessionId: session.id, expiresAt: session.expiresAt, user: userView(user) };
    },

    async updateProfile(userId: string, changes: { name?: string | undefined; avatarUrl?: string | null | undefined; timezone?: string | null | undefined; locale?: string | null | undefined }): Promise<UserView> {
      const em = orm.em.fork();
      const user = await em.findOneOrFail(User, { id: userId });
      if (changes.name !== undefined) user.name = changes.name.trim();
      if (changes.avatarUrl !== undefined) user.avatarUrl = changes.avatarUrl;
      if (changes.timezone !== undefined) user.timezone = changes.timezone;
      if (changes.locale !== undefined) user.locale = changes.locale;
      user.updatedAt = new Date();
      await em.flush();
      return userView(user);
    },

    /**
     * Signs in with a provider's profile: a known provider account → its user; otherwise a
     * verified email → that user (linked) or a new user. An unverified provider email is refused.
     * Linking to a local account whose email was never verified takes it over for the email's
     * owner: the unproven password and its sessions are dropped (pre-registration hijack).
     */
    async loginWithOAuth(profile: OAuthProfile, meta: RequestMeta): Promise<SignedIn & { created: boolean; linked: boolean }> {
      const em = orm.em.fork();
      const method = profile.provider;
      const known = await em.findOne(OAuthAccount, { provider: profile.provider, providerUserId: profile.providerUserId });
      if (known) {
        const user = await em.findOneOrFail(User, { id: known.user });
        return { ...(await signIn(em, user, method, meta)), created: false, linked: false };
      }
      if (!profile.email || !profile.emailVerified) {
        await recordLogin(em, { userId: null, email: profile.email, method, success: false, reason: 'email_unverified', ...meta });
        throw new UserError('oauth_email_unverified', `Your ${profile.provider} account has no verified email address; verify one there, then try again`, { status: 403 });
      }
      const email = profile.email;
      const result = await em.transactional(async (tx) => {
        let user = await tx.findOne(User, { email });
        let created = false;
        if (!user) {
          user = await createUser(tx, { email, name: profile.name ?? email.split('@')[0]!, passwordHash: null, verified: true, avatarUrl: profile.avatarUrl });
          created = true;
        } else if (!user.emailVerifiedAt) {
          user.passwordHash = null;
          user.emailVerifiedAt = new Date();
          user.updatedAt = new Date();
          await tx.flush();
          await sessions.revokeAll(user.id, { em: tx });
        }
        if (!user.avatarUrl && profile.avatarUrl) user.avatarUrl = profile.avatarUrl;
        tx.create(OAuthAccount, { id: newId('oau'), provider: profile.provider, providerUserId: profile.providerUserId, user: user.id, email, createdAt: new Date() });
        await tx.flush();
        return { user, created };
      });
      return { ...(await signIn(em, result.user, method, meta)), created: result.created, linked: !result.created };
    },

    async recordOAuthFailure(provider: LoginMethod, reason: string, meta: RequestMeta): Promise<void> {
      await recordLogin(orm.em.fork(), { userId: null, method: provider, success: false, reason, ...meta });
    },

    async findUser(userId: string): Promise<User | null> {
      return orm.em.fork().findOne(User, { id: userId });
    },
  };
}
