// What global-setup.ts started, for the e2e test files: the stack's URLs and the mailbox of the
// SMTP server the api sends through. Fails loudly when run outside `npm run test:e2e`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ReceivedMail } from '../../support/smtp.ts';

export type { ReceivedMail };

/** The environment variables global-setup.ts hands to the test files. */
export const E2E_ENV = {
  webUrl: 'E2E_WEB_URL',
  apiUrl: 'E2E_API_URL',
  mailboxUrl: 'E2E_MAILBOX_URL',
  openaiUrl: 'E2E_OPENAI_URL',
  dataDir: 'E2E_DATA_DIR',
  chromium: 'E2E_CHROMIUM',
} as const;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests with \`npm run test:e2e\` (its global setup starts the stack)`);
  return value;
}

/** Debian's chromium (or CHROMIUM_PATH), if installed. */
export function chromiumPath(): string | undefined {
  const onPath = (process.env.PATH ?? '').split(':').filter(Boolean).map((dir) => join(dir, 'chromium'));
  return [process.env.CHROMIUM_PATH, ...onPath, '/usr/bin/chromium'].find((path): path is string => Boolean(path && existsSync(path)));
}

export interface MailOptions {
  /** Only a message whose subject matches. */
  subject?: RegExp;
  timeoutMs?: number;
}

/** The emails the api sent, as the SMTP server received them. Each message is handed out once. */
export const smtp = {
  /** The next unread email to `to` (optionally matching), waiting up to `timeoutMs` (30 s). */
  async waitFor(to: string, options: MailOptions = {}): Promise<ReceivedMail> {
    const url = new URL('/mail', required(E2E_ENV.mailboxUrl));
    url.searchParams.set('to', to);
    if (options.subject) url.searchParams.set('subject', options.subject.source);
    url.searchParams.set('timeoutMs', String(options.timeoutMs ?? 30_000));
    const response = await fetch(url);
    const body = (await response.json()) as ReceivedMail | { error: string };
    if ('error' in body) throw new Error(body.error);
    return body;
  },

  /** The first link whose path contains `path` in the next email to `to`. */
  async linkFor(to: string, path: string, options: MailOptions = {}): Promise<URL> {
    const mail = await smtp.waitFor(to, options);
    const link = mail.links.find((l) => new URL(l).pathname.includes(path));
    if (!link) throw new Error(`the email to ${to} ("${mail.subject}") has no link to ${path}: ${mail.links.join(', ')}`);
    return new URL(link);
  },
};

/** The next email to `address` (see smtp.waitFor). */
export function mailTo(address: string, options: MailOptions = {}): Promise<ReceivedMail> {
  return smtp.waitFor(address, options);
}

export const stack = {
  /** The web app's origin (PUBLIC_URL), e.g. http://127.0.0.1:41234. */
  get webUrl(): string {
    return required(E2E_ENV.webUrl);
  },
  /** The api's own origin (the browser reaches it as /api on webUrl). */
  get apiUrl(): string {
    return required(E2E_ENV.apiUrl);
  },
  /** The fake OpenAI-compatible server's base URL (OPENAI_BASE_URL of the stack). */
  get openaiUrl(): string {
    return required(E2E_ENV.openaiUrl);
  },
  /** The stack's data folder; its logs are in logs/. */
  get dataDir(): string {
    return required(E2E_ENV.dataDir);
  },
  get chromium(): string {
    return required(E2E_ENV.chromium);
  },
  /** An absolute URL of the web app. */
  url(path: string): string {
    return new URL(path, required(E2E_ENV.webUrl)).toString();
  },
  smtp,
};
