// Password reset by email, on SQLite and PostgreSQL: the same 202 for any address, a single-use
// link read from a real SMTP server, every session revoked, the old password refused; a password
// change voids pending links; an unknown token is refused before any argon2 work.
import { hashPassword } from '../../core/auth/passwords.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testDatabases } from '../support/env.ts';
import { Client, GOOD_PASSWORD, signUp, uniqueEmail } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';

const NEW_PASSWORD = 'saffron-glacier-piano-9';

describe.each(testDatabases)('password reset on %s', (_name, databaseUrl) => {
  let smtp: TestSmtp;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp(testConfig({ DATABASE_URL: await databaseUrl(), SMTP_URL: smtp.url }));
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('reset → email link → new password; sessions revoked, link single-use, old password refused', async () => {
    const { client, email } = await signUp(t.app, smtp);
    const anonymous = new Client(t.app);

    const asked = await anonymous.post('/api/v1/auth/password-reset', { email: email.toUpperCase() });
    expect(asked.status).toBe(202);
    const unknown = await anonymous.post('/api/v1/auth/password-reset', { email: uniqueEmail('nobody') });
    expect(unknown.status).toBe(202);
    expect(unknown.body).toEqual(asked.body);

    const link = await smtp.linkFor(email, '/reset-password', { subject: /reset/i });
    const token = link.searchParams.get('token')!;

    // A refused password does not spend the link.
    const weak = await anonymous.post('/api/v1/auth/password-reset/confirm', { token, password: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.body.code).toBe('weak_password');

    const confirmed = await anonymous.post('/api/v1/auth/password-reset/confirm', { token, password: NEW_PASSWORD });
    expect(confirmed.status).toBe(200);
    expect((await client.get('/api/v1/me')).status).toBe(401);

    const reused = await anonymous.post('/api/v1/auth/password-reset/confirm', { token, password: 'another-fine-password-1' });
    expect(reused.status).toBe(400);
    expect(reused.body.code).toBe('invalid_token');

    expect((await anonymous.post('/api/v1/auth/login', { email, password: GOOD_PASSWORD })).status).toBe(401);
    const login = await anonymous.post('/api/v1/auth/login', { email, password: NEW_PASSWORD });
    expect(login.status).toBe(200);
  });

  it('a password change voids a reset link sent before it', async () => {
    const { client, email } = await signUp(t.app, smtp);
    await new Client(t.app).post('/api/v1/auth/password-reset', { email });
    const token = (await smtp.linkFor(email, '/reset-password', { subject: /reset/i })).searchParams.get('token')!;
    const changed = await client.post('/api/v1/me/password', { currentPassword: GOOD_PASSWORD, newPassword: NEW_PASSWORD });
    expect(changed.status).toBe(200);
    // Whoever holds the old link (say, someone reading the mailbox) cannot undo the change.
    const late = await new Client(t.app).post('/api/v1/auth/password-reset/confirm', { token, password: 'another-fine-password-1' });
    expect(late.status).toBe(400);
    expect(late.body.code).toBe('invalid_token');
    expect((await new Client(t.app).post('/api/v1/auth/login', { email, password: NEW_PASSWORD })).status).toBe(200);
  });

  it('refuses an unknown reset token before hashing the password (no argon2 work)', async () => {
    const anonymous = new Client(t.app);
    // argon2 runs on libuv threads, which process.cpuUsage counts.
    const cpu = async (work: () => Promise<unknown>) => {
      const before = process.cpuUsage();
      await work();
      const used = process.cpuUsage(before);
      return used.user + used.system;
    };
    const refuse = async (path: string, body: object) => {
      const answer = await anonymous.post(path, body);
      expect(answer.body.code).toBe('invalid_token');
    };
    await refuse('/api/v1/auth/password-reset/confirm', { token: 'warm-up-token-xxxxxxxx', password: NEW_PASSWORD });
    const threeHashes = await cpu(async () => {
      for (let i = 0; i < 3; i++) await hashPassword(`calibration-password-${i}`);
    });
    // The same HTTP work around one token lookup, without and with a password in the body.
    const extra = async () => {
      const tenLookups = await cpu(async () => {
        for (let i = 0; i < 10; i++) await refuse('/api/v1/auth/verify-email', { token: `unknown-token-${i}-xxxxxxxx` });
      });
      const tenResets = await cpu(async () => {
        for (let i = 0; i < 10; i++) await refuse('/api/v1/auth/password-reset/confirm', { token: `unknown-token-${i}-xxxxxxxx`, password: NEW_PASSWORD });
      });
      return tenResets - tenLookups;
    };
    // Hashing first would add ten hashes to every measurement; refusing first adds only noise
    // (this process also runs the app's background work), so the quietest of three counts.
    const measured = [await extra(), await extra(), await extra()];
    expect(Math.min(...measured)).toBeLessThan(threeHashes);
  });

  it('only the newest reset link works, and a reset confirms an unverified address', async () => {
    const email = uniqueEmail('unverified');
    const anonymous = new Client(t.app);
    expect((await anonymous.post('/api/v1/auth/register', { email, password: GOOD_PASSWORD, name: 'U' })).status).toBe(202);
    await smtp.waitFor(email, { subject: /confirm/i });

    await anonymous.post('/api/v1/auth/password-reset', { email });
    const first = (await smtp.linkFor(email, '/reset-password')).searchParams.get('token')!;
    await anonymous.post('/api/v1/auth/password-reset', { email });
    const second = (await smtp.linkFor(email, '/reset-password')).searchParams.get('token')!;
    expect(second).not.toBe(first);

    expect((await anonymous.post('/api/v1/auth/password-reset/confirm', { token: first, password: NEW_PASSWORD })).status).toBe(400);
    expect((await anonymous.post('/api/v1/auth/password-reset/confirm', { token: second, password: NEW_PASSWORD })).status).toBe(200);
    // The link proved the address: signing in works without the verification link.
    const login = await anonymous.post('/api/v1/auth/login', { email, password: NEW_PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body.user.emailVerified).toBe(true);
  });

  it('resends a verification link on request, always answering 202', async () => {
    const email = uniqueEmail('resend');
    const anonymous = new Client(t.app);
    await anonymous.post('/api/v1/auth/register', { email, password: GOOD_PASSWORD, name: 'R' });
    const first = (await smtp.linkFor(email, '/verify-email')).searchParams.get('token')!;
    expect((await anonymous.post('/api/v1/auth/verify-email/resend', { email })).status).toBe(202);
    const second = (await smtp.linkFor(email, '/verify-email')).searchParams.get('token')!;
    expect((await anonymous.post('/api/v1/auth/verify-email', { token: first })).status).toBe(400);
    expect((await anonymous.post('/api/v1/auth/verify-email', { token: second })).status).toBe(200);
    expect((await anonymous.post('/api/v1/auth/verify-email/resend', { email: uniqueEmail() })).status).toBe(202);
  });
});
