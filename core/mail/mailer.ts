// Outgoing mail. With SMTP_URL: nodemailer over SMTP. Without it: every message is written as an
// .eml file to `<dataDir>/outbox/` and its link is logged, so a development install works with no
// mail server (in production a missing SMTP_URL is warned about at startup).
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { randomSecret } from '../auth/random.ts';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The one action link of the message; logged in outbox mode. */
  link?: string;
}

export interface Mailer {
  /** 'smtp' or 'outbox'. */
  readonly transport: string;
  send(message: MailMessage): Promise<void>;
  close(): void;
}

export function createMailer(deps: { config: Pick<Config, 'smtp' | 'mail' | 'dataDir' | 'env'>; logger: Logger }): Mailer {
  const { config, logger } = deps;
  if (config.smtp.url) {
    const transport = nodemailer.createTransport(config.smtp.url);
    return {
      transport: 'smtp',
      async send(message) {
        await transport.sendMail({ from: config.mail.from, to: message.to, subject: message.subject, text: message.text, html: message.html });
        logger.info({ to: message.to, subject: message.subject }, 'mail sent');
      },
      close: () => transport.close(),
    };
  }
  const outbox = resolve(config.dataDir, 'outbox');
  if (config.env === 'production') logger.warn({ outbox }, 'SMTP_URL is not set: emails are written to the outbox folder, not sent');
  const builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    transport: 'outbox',
    async send(message) {
      const info = await builder.sendMail({ from: config.mail.from, to: message.to, subject: message.subject, text: message.text, html: message.html });
      await mkdir(outbox, { recursive: true });
      const file = join(outbox, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomSecret(5)}.eml`);
      await writeFile(file, info.message as Buffer);
      logger.info({ to: message.to, subject: message.subject, link: message.link, file }, 'mail written to the outbox (SMTP_URL is not set)');
    },
    close: () => builder.close(),
  };
}
