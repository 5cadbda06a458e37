// Sessions on SQLite and PostgreSQL: only a hash of the secret is stored, the expiry slides in
// the second half of the lifetime up to an absolute lifetime, expired sessions are refused and deleted.
import { Session, User } from '../../core/auth/entities.ts';
import { createSessionService } from '../../core/auth/sessions.ts';
import { createOrm, migrate, type Orm } from '../../core/db/orm.ts';
import { createTeamService } from '../../core/teams/service.ts';
import { createAuthService } from '../../core/auth/service.ts';
import { createLogger } from '../../core/log.ts';
import { createMailOutbox } from '../../core/mail/outbox.ts';
import { testDatabases } from '../support/env.ts';
import { uniqueEmail } from '../support/identity.ts';

const DAY = 24 * 60 * 60 * 1000;

describe.each(testDatabases)('sessions on %s', (_name, databaseUrl) => {
  let orm: Orm;
  let userId: string;

  beforeAll(async () => {
    orm = await createOrm(await databaseUrl());
    await migrate(orm);
    const logger = createLogger({ level: 'silent', service: 'test' });
    // Records emails only (no Temporal client: nothing is delivered).
    const mail = createMailOutbox({ orm, taskQueue: 'none', logger });
    const sessions = createSessionService({ orm, ttlDays: 30 });
    const teams = createTeamService({ orm, mail, publicUrl: 'http://x', logger });
    const auth = createAuthService({ orm, sessions, teams, mail, publicUrl: 'http://x', logger });
    const email = uniqueEmail().toLowerCase();
    await auth.register({ email, password: 'plum-orbit-cactus-7', name: 'S' });
    userId = (await orm.em.fork().findOneOrFail(User, { email })).id;
  });

  afterAll(async () => {
    await orm?.close();
  });

  it('stores the SHA-256 of the secret, never the token; a wrong secret for a right id is refused', async () => {
    const sessions = createSessionService({ orm, ttlDays: 30 });
    const { token, session } = await sessions.create(orm.em.fork(), userId, { method: 'password' });
    const [id, secret] = token.split('.');
    expect(session.id).toBe(id);
    const row = await orm.em.fork().findOneOrFail(Session, { id: id! });
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(row.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(await sessions.validate(`${id}.${'a'.repeat(secret!.length)}`)).toBeNull();
    expect(await sessions.validate(`${id}`)).toBeNull();
    expect((await sessions.validate(token))?.user.id).toBe(userId);
  });

  it('slides the expiry only in the second half of the lifetime, and deletes expired sessions', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const sessions = createSessionService({ orm, ttlDays: 30, now: () => now });
    const { token, session } = await sessions.create(orm.em.fork(), userId, { method: 'password' });
    expect(session.expiresAt.toISOString()).toBe('2026-01-31T00:00:00.000Z');

    now = new Date(now.getTime() + 10 * DAY); // first half: unchanged
    expect((await sessions.validate(token))?.refreshed).toBe(false);
    now = new Date(now.getTime() + 10 * DAY); // day 20: extended to day 50
    const refreshed = await sessions.validate(token);
    expect(refreshed?.refreshed).toBe(true);
    expect(refreshed?.session.expiresAt.toISOString()).toBe('2026-02-20T00:00:00.000Z');
    expect((await orm.em.fork().findOneOrFail(Session, { id: session.id })).expiresAt.toISOString()).toBe('2026-02-20T00:00:00.000Z');

    now = new Date('2026-02-20T00:00:01Z'); // past the expiry
    expect(await sessions.validate(token)).toBeNull();
    expect(await orm.em.fork().findOne(Session, { id: session.id })).toBeNull();
  });

  it('never slides past the absolute lifetime, however active the session', async () => {
    let now = new Date('2027-01-01T00:00:00Z');
    const sessions = createSessionService({ orm, ttlDays: 30, maxDays: 45, now: () => now });
    const { token, session } = await sessions.create(orm.em.fork(), userId, { method: 'password' });
    expect(session.expiresAt.toISOString()).toBe('2027-01-31T00:00:00.000Z');
    now = new Date('2027-01-21T00:00:00Z'); // second half: extended, but only to day 45
    const extended = await sessions.validate(token);
    expect(extended?.refreshed).toBe(true);
    expect(extended?.session.expiresAt.toISOString()).toBe('2027-02-15T00:00:00.000Z');
    now = new Date('2027-02-10T00:00:00Z'); // used daily: nothing more to extend
    expect((await sessions.validate(token))?.refreshed).toBe(false);
    now = new Date('2027-02-15T00:00:00Z');
    expect(await sessions.validate(token)).toBeNull();
    expect(await orm.em.fork().findOne(Session, { id: session.id })).toBeNull();
  });

  it('refuses a session older than the absolute lifetime even when its row says it is still valid', async () => {
    // As a row written before the limit existed (or under a longer SESSION_MAX_DAYS) looks.
    const sessions = createSessionService({ orm, ttlDays: 30, maxDays: 90 });
    const { token, session } = await sessions.create(orm.em.fork(), userId, { method: 'password' });
    await orm.em.fork().nativeUpdate(Session, { id: session.id }, { createdAt: new Date(Date.now() - 91 * DAY), expiresAt: new Date(Date.now() + 20 * DAY) });
    expect(await sessions.validate(token)).toBeNull();
    expect(await orm.em.fork().findOne(Session, { id: session.id })).toBeNull();
  });
});
