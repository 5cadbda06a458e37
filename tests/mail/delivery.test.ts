// Mail delivery through the outbox and Temporal (docs/decisions/027-mail-outbox.md), against SMTP
// servers that misbehave: one that accepts connections and never says a word, one that refuses a
// recipient for good. The api answers without waiting; the delivery log tells what happened.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { MailOutboxRecord } from '../../core/mail/entities.ts';
import { createMailOutbox, mailWorkflowId } from '../../core/mail/outbox.ts';
import { verificationEmail } from '../../core/mail/templates.ts';
import { createLogger } from '../../core/log.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig } from '../support/env.ts';
import { Client, GOOD_PASSWORD, uniqueEmail } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';

/**
 * A TCP front for the test SMTP server: `hang` connections are accepted and never answered (no
 * greeting); `forward` ones are piped to the real server. `hangFirst` hangs only the first one.
 */
async function startFlakySmtp(target: TestSmtp, mode: 'hang' | 'forward' | 'hangFirst') {
  const port = Number(new URL(target.url).port);
  const sockets = new Set<Socket>();
  const state = { mode, connections: 0, hung: 0 };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    state.connections++;
    const hang = state.mode === 'hang' || (state.mode === 'hangFirst' && state.connections === 1);
    if (hang) {
      state.hung++;
      return; // accepted, never a byte back
    }
    const upstream = connect(port, '127.0.0.1');
    upstream.on('error', () => socket.destroy());
    sockets.add(upstream);
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${(server.address() as AddressInfo).port}`,
    state,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function rowTo(t: TestApp, email: string, kind = 'verification'): Promise<MailOutboxRecord | undefined> {
  return (await t.orm.em.fork().findOne(MailOutboxRecord, { recipient: email.toLowerCase(), kind })) ?? undefined;
}

describe('an SMTP server that accepts and never answers', () => {
  let smtp: TestSmtp;
  let flaky: Awaited<ReturnType<typeof startFlakySmtp>>;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    flaky = await startFlakySmtp(smtp, 'hang');
    // A greeting time-out well above what registration takes even on a loaded machine: an answer
    // that waited for SMTP could not come back before it.
    t = await createTestApp(testConfig({ SMTP_URL: flaky.url, SMTP_TIMEOUT_SECONDS: '6', PUBLIC_URL: 'http://app.trellis.test' }));
  });

  afterAll(async () => {
    await flaky?.close();
    await t?.close();
    await smtp?.close();
  });

  it('does not hold up registration; the attempt fails, is logged, and the retry delivers once the server works', async () => {
    const email = uniqueEmail('hung');
    const started = performance.now();
    const registered = await new Client(t.app).post('/api/v1/auth/register', { email, password: GOOD_PASSWORD, name: 'Hung' });
    const elapsed = performance.now() - started;
    expect(registered.status).toBe(202);
    expect(elapsed).toBeLessThan(6_000);

    // The first attempt reached the server, waited for a greeting and failed; the log says so.
    const failed = await until('a failed attempt in the delivery log', async () => {
      const row = await rowTo(t, email);
      return row?.lastError ? row : undefined;
    });
    expect(flaky.state.hung).toBeGreaterThanOrEqual(1);
    expect(failed).toMatchObject({ status: 'queued', attempts: 1, sentAt: null });
    expect(failed.lastError).toMatch(/greeting|timeout/i);

    // The server recovers: the retry delivers the message, and the log closes it.
    flaky.state.mode = 'forward';
    const link = await smtp.linkFor(email, '/verify-email', { timeoutMs: 30_000 });
    expect(link.origin).toBe('http://app.trellis.test');
    const sent = await until('the row marked sent', async () => {
      const row = await rowTo(t, email);
      return row?.status === 'sent' ? row : undefined;
    });
    expect(sent.attempts).toBeGreaterThanOrEqual(2);
    expect(sent.sentAt).toBeInstanceOf(Date);
    // The one-time link is not kept once sent, and never entered Temporal's history.
    expect(sent.text).toBeNull();
    expect(sent.html).toBeNull();
    const history = JSON.stringify(await t.temporal.workflow.getHandle(mailWorkflowId(sent.id)).fetchHistory());
    expect(history).toContain(sent.id);
    expect(history).not.toContain(link.searchParams.get('token'));
  }, 60_000);
});

describe('one hung delivery', () => {
  let smtp: TestSmtp;
  let flaky: Awaited<ReturnType<typeof startFlakySmtp>>;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    flaky = await startFlakySmtp(smtp, 'hangFirst');
    // Long enough that the first attempt is still hanging while the next message goes out.
    t = await createTestApp(testConfig({ SMTP_URL: flaky.url, SMTP_TIMEOUT_SECONDS: '30' }));
  });

  afterAll(async () => {
    await flaky?.close(); // ends the hung connection, so the worker stops at once
    await t?.close();
    await smtp?.close();
  });

  it('does not hold up the next message', async () => {
    const first = uniqueEmail('first');
    const second = uniqueEmail('second');
    const client = new Client(t.app);
    expect((await client.post('/api/v1/auth/register', { email: first, password: GOOD_PASSWORD, name: 'First' })).status).toBe(202);
    await until('the first delivery hanging', async () => (flaky.state.hung === 1 ? true : undefined));
    expect((await client.post('/api/v1/auth/register', { email: second, password: GOOD_PASSWORD, name: 'Second' })).status).toBe(202);
    await smtp.linkFor(second, '/verify-email', { timeoutMs: 15_000 });
    await until('the second row marked sent', async () => ((await rowTo(t, second))?.status === 'sent' ? true : undefined));
    // Delivered while the first is still in its first attempt.
    expect(await rowTo(t, first)).toMatchObject({ status: 'queued', attempts: 1, lastError: null });
    expect(flaky.state.hung).toBe(1);
  }, 40_000);
});

describe('delivery log', () => {
  let refusing: SMTPServer;
  let refusingUrl: string;
  let t: TestApp;
  let refused = 0;

  beforeAll(async () => {
    // Refuses one mailbox for good (550), accepts the rest.
    refusing = new SMTPServer({
      authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
      onRcptTo(address, _session, callback) {
        if (address.address.startsWith('gone-')) {
          refused++;
          const error = Object.assign(new Error('mailbox unavailable'), { responseCode: 550 });
          callback(error);
          return;
        }
        callback();
      },
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () => callback());
      },
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    refusingUrl = `smtp://127.0.0.1:${(refusing.server.address() as AddressInfo).port}`;
    t = await createTestApp(testConfig({ SMTP_URL: refusingUrl }));
  });

  afterAll(async () => {
    await t?.close();
    await new Promise<void>((resolve) => refusing?.close(() => resolve()));
  });

  it('marks a message the server refuses for good as failed after one attempt, with its error', async () => {
    const email = uniqueEmail('gone');
    expect((await new Client(t.app).post('/api/v1/auth/register', { email, password: GOOD_PASSWORD, name: 'Gone' })).status).toBe(202);
    const row = await until('the row marked failed', async () => {
      const found = await rowTo(t, email);
      return found?.status === 'failed' ? found : undefined;
    });
    expect(row.attempts).toBe(1);
    expect(refused).toBe(1);
    expect(row.lastError).toMatch(/550/);
    expect(row.text).toBeNull();
  });

  it('starts a message recorded while Temporal was unreachable on the next sweep', async () => {
    // Recorded by an api that could not start its workflow (no Temporal client at all).
    const offline = createMailOutbox({ orm: t.orm, taskQueue: t.mail!.taskQueue, logger: createLogger({ level: 'silent', service: 'test' }) });
    const email = uniqueEmail('later').toLowerCase();
    const id = await offline.send(verificationEmail(email, 'Later', 'http://app.trellis.test/verify-email?token=later-token-1'), 'verification');
    expect(id).toEqual(expect.any(String));
    expect((await rowTo(t, email))).toMatchObject({ status: 'queued', dispatchedAt: null });
    // A fresh row waits out the grace period (its own start may be under way); a later pass starts it.
    expect((await t.mail!.outbox.sweepOnce()).started).toBe(0);
    expect((await t.mail!.outbox.sweepOnce(Date.now() + 60_000)).started).toBe(1);
    const sent = await until('the swept message sent', async () => {
      const row = await rowTo(t, email);
      return row?.status === 'sent' ? row : undefined;
    });
    expect(sent.dispatchedAt).toBeInstanceOf(Date);
    // A second pass finds nothing left to start.
    expect((await t.mail!.outbox.sweepOnce(Date.now() + 60_000)).started).toBe(0);
  });

  it('sends at most 10 messages an hour to one address; the rest are logged as failed', async () => {
    const email = uniqueEmail('flood').toLowerCase();
    const client = new Client(t.app);
    // One verification email, then eleven "someone tried to sign up" ones.
    for (let i = 0; i < 12; i++) expect((await client.post('/api/v1/auth/register', { email, password: GOOD_PASSWORD, name: 'Flood' })).status).toBe(202);
    const rows = await until('12 rows', async () => {
      const found = await t.orm.em.fork().find(MailOutboxRecord, { recipient: email });
      return found.length === 12 ? found : undefined;
    });
    const limited = rows.filter((r) => r.lastError?.startsWith('recipient_limit'));
    expect(limited).toHaveLength(2);
    expect(limited.every((r) => r.status === 'failed' && r.text === null && r.attempts === 0)).toBe(true);
  });
});
