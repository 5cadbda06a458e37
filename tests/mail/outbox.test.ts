// Without SMTP_URL, mail goes to <dataDir>/outbox/ as .eml files (owner-only) and the link is
// logged — never in production (L3). The api logs the link when it records the message.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createOrm, migrate } from '../../core/db/orm.ts';
import { createMailer } from '../../core/mail/mailer.ts';
import { createMailOutbox } from '../../core/mail/outbox.ts';
import { verificationEmail } from '../../core/mail/templates.ts';
import { tempDir, testConfig } from '../support/env.ts';

function capture() {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }));
  return { logger, logged: () => lines.map((l) => JSON.parse(l) as { link?: string; msg: string }) };
}

const LINK = 'http://localhost:3000/verify-email?token=abc123';

describe('development outbox', () => {
  it('writes the message to the outbox folder and logs its link', async () => {
    const dataDir = tempDir('outbox');
    const config = testConfig({ TRELLIS_DATA_DIR: dataDir, NODE_ENV: 'development' });
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }));
    const mailer = createMailer({ config, logger });
    expect(mailer.transport).toBe('outbox');
    await mailer.send(verificationEmail('ada@example.test', 'Ada', 'http://localhost:3000/verify-email?token=abc123'));
    const files = readdirSync(join(dataDir, 'outbox'));
    expect(files).toHaveLength(1);
    const eml = readFileSync(join(dataDir, 'outbox', files[0]!), 'utf8');
    expect(eml).toMatch(/^To: ada@example.test$/m);
    expect(eml).toMatch(/^Subject: Confirm your email address for Trellis$/m);
    expect(eml.replace(/=\r?\n/g, '').replace(/=3D/g, '=')).toContain('verify-email?token=abc123'); // quoted-printable
    const logged = lines.map((l) => JSON.parse(l) as { link?: string; msg: string }).find((l) => l.link);
    expect(logged?.link).toBe('http://localhost:3000/verify-email?token=abc123');
  });

  it('in production writes the file for its owner only and never logs the link', async () => {
    const dataDir = tempDir('outbox-prod');
    const config = testConfig({ TRELLIS_DATA_DIR: dataDir, NODE_ENV: 'production', TRELLIS_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') });
    const { logger, logged } = capture();
    await createMailer({ config, logger }).send(verificationEmail('ada@example.test', 'Ada', LINK));
    const folder = join(dataDir, 'outbox');
    const [file] = readdirSync(folder);
    expect(statSync(join(folder, file!)).mode & 0o777).toBe(0o600);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(logged().some((l) => l.msg.includes('outbox'))).toBe(true);
    expect(JSON.stringify(logged())).not.toContain('abc123');
  });

  it('the api logs the link when it records a message only when asked (development without SMTP_URL)', async () => {
    const orm = await createOrm(testConfig().database.url);
    try {
      await migrate(orm);
      for (const logLinks of [true, false]) {
        const { logger, logged } = capture();
        const outbox = createMailOutbox({ orm, taskQueue: 'unused', logger, logLinks });
        expect(await outbox.send(verificationEmail(`ada-${logLinks}@example.test`, 'Ada', LINK), 'verification')).toEqual(expect.any(String));
        expect(logged().some((l) => l.link === LINK)).toBe(logLinks);
      }
    } finally {
      await orm.close();
    }
  });
});
