// Without SMTP_URL, mail goes to <dataDir>/outbox/ as .eml files and the link is logged.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createMailer } from '../../core/mail/mailer.ts';
import { verificationEmail } from '../../core/mail/templates.ts';
import { tempDir, testConfig } from '../support/env.ts';

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
});
