// Registration and password reset tell an anonymous caller nothing about which addresses have
// accounts (docs/decisions/027-mail-outbox.md): the same status and body, and the same time —
// compared as medians of interleaved requests, so a busy machine slows both sides alike.
import { MailOutboxRecord } from '../../core/mail/entities.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig } from '../support/env.ts';
import { Client, GOOD_PASSWORD, signUp, uniqueEmail } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';

const ROUNDS = 10;
// What a timing leak looks like: work only one side does, such as an argon2 hash or a
// synchronous SMTP exchange (tens to hundreds of ms against a few ms: an order of magnitude).
// Scheduling noise on a shared two-core machine moves medians of a few ms by up to ~2.5×, so the
// bound sits between the two.
const MAX_RATIO = 4;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function timed<T>(call: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await call();
  return { ms: performance.now() - started, result };
}

async function rowsTo(t: TestApp, email: string): Promise<number> {
  return t.orm.em.fork().count(MailOutboxRecord, { recipient: email.toLowerCase() });
}

/** Polls until no email to `email` waits for delivery (the mail worker runs in this process). */
async function untilSettled(t: TestApp, email: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((await t.orm.em.fork().count(MailOutboxRecord, { recipient: email.toLowerCase(), status: 'queued' })) > 0) {
    if (Date.now() > deadline) throw new Error(`an email to ${email} is still queued`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('account enumeration', () => {
  let smtp: TestSmtp;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp(testConfig({ SMTP_URL: smtp.url }));
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('registration answers alike, in alike time, whether or not the address has an account', async () => {
    const { email } = await signUp(t.app, smtp);
    const client = new Client(t.app);
    const known: number[] = [];
    const unknown: number[] = [];
    const bodies = new Set<string>();
    for (let i = 0; i < ROUNDS; i++) {
      // Interleaved, so load on the machine falls on both sides alike.
      const fresh = uniqueEmail('fresh');
      const a = await timed(() => client.post('/api/v1/auth/register', { email, password: GOOD_PASSWORD, name: 'Known' }));
      await untilSettled(t, email);
      const b = await timed(() => client.post('/api/v1/auth/register', { email: fresh, password: GOOD_PASSWORD, name: 'Fresh' }));
      await untilSettled(t, fresh);
      for (const { result } of [a, b]) bodies.add(`${result.status} ${JSON.stringify(result.body)}`);
      known.push(a.ms);
      unknown.push(b.ms);
    }
    expect([...bodies]).toEqual(['202 {"status":"accepted"}']);
    const ratio = median(known) / median(unknown);
    expect(ratio).toBeGreaterThan(1 / MAX_RATIO);
    expect(ratio).toBeLessThan(MAX_RATIO);
  }, 60_000);

  it('a password reset answers alike, in alike time, whether or not the address has an account', async () => {
    const { email } = await signUp(t.app, smtp);
    const client = new Client(t.app);
    const before = await rowsTo(t, email);
    const known: number[] = [];
    const unknown: number[] = [];
    const bodies = new Set<string>();
    for (let i = 0; i < ROUNDS; i++) {
      const a = await timed(() => client.post('/api/v1/auth/password-reset', { email }));
      // This process also runs the mail worker: let it deliver before timing the next request.
      await untilSettled(t, email);
      const b = await timed(() => client.post('/api/v1/auth/password-reset', { email: uniqueEmail('nobody') }));
      for (const { result } of [a, b]) bodies.add(`${result.status} ${JSON.stringify(result.body)}`);
      known.push(a.ms);
      unknown.push(b.ms);
    }
    expect([...bodies]).toEqual(['202 {"status":"accepted"}']);
    const ratio = median(known) / median(unknown);
    expect(ratio).toBeGreaterThan(1 / MAX_RATIO);
    expect(ratio).toBeLessThan(MAX_RATIO);
    // Recorded before the answer: one email per request to the known address.
    expect((await rowsTo(t, email)) - before).toBe(ROUNDS);
  }, 60_000);
});
