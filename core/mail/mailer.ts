// Sends one message: the worker's deliverMail activity calls this (core/mail/outbox.ts records
// messages; nothing else sends). With SMTP_URL: nodemailer over SMTP, every step under
// SMTP_TIMEOUT_SECONDS so a server that accepts and never answers fails the attempt quickly.
// Without it: every message is written as an .eml file to `<dataDir>/outbox/` (owner-only) and its
// link is logged outside production, so a development install works with no mail server.
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
    const timeout = config.smtp.timeoutMs;
    const transport = nodemailer.createTransport({ url: config.smtp.url, connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout, dnsTimeout: timeout });
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
      // The messages carry one-time links: readable by their owner only.
      await mkdir(outbox, { recursive: true, mode: 0o700 });
      const file = join(outbox, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomSecret(5)}.eml`);
      await writeFile(file, info.message as Buffer, { mode: 0o600 });
      // L3: a link in a production log would let anyone who reads the logs take over the account.
      const link = config.env === 'production' ? undefined : message.link;
      logger.info({ to: message.to, subject: message.subject, link, file }, 'mail written to the outbox (SMTP_URL is not set)');
    },
    close: () => builder.close(),
  };
}
