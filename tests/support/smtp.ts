// A real SMTP server in the test process (the smtp-server package): the api sends through
// SMTP_URL exactly as in production, and tests read the links out of the received messages.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  /** The decoded bodies (quoted-printable undone), all parts concatenated. */
  body: string;
  links: string[];
}

export interface TestSmtp {
  url: string;
  messages: ReceivedMail[];
  /** The next message to `to` (optionally matching), waiting up to `timeoutMs`. */
  waitFor(to: string, options?: { subject?: RegExp; timeoutMs?: number; after?: number }): Promise<ReceivedMail>;
  /** The first link in the next message to `to` whose path contains `path`. */
  linkFor(to: string, path: string, options?: { subject?: RegExp; timeoutMs?: number }): Promise<URL>;
  close(): Promise<void>;
}

function decodeQuotedPrintable(text: string): string {
  return text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function decodeHeader(value: string): string {
  return value.replace(/=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_, enc: string, data: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString() : decodeQuotedPrintable(data.replace(/_/g, ' ')),
  );
}

function parse(raw: string, from: string, to: string[]): ReceivedMail {
  const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const subject = decodeHeader(/^Subject: (.*)$/im.exec(unfolded)?.[1] ?? '');
  const body = decodeQuotedPrintable(rest.join('\n\n'));
  const links = [...new Set(body.match(/https?:\/\/[^\s"'<>)]+/g) ?? [])].map((l) => l.replace(/&amp;/g, '&'));
  return { from, to, raw, subject, body, links };
}

export async function startTestSmtp(): Promise<TestSmtp> {
  const messages: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        messages.push(parse(Buffer.concat(chunks).toString(), from, to));
        for (const wake of waiters) wake();
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  const taken = new Set<ReceivedMail>();

  async function waitFor(to: string, options: { subject?: RegExp; timeoutMs?: number } = {}): Promise<ReceivedMail> {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    const address = to.toLowerCase();
    for (;;) {
      const found = messages.find((m) => !taken.has(m) && m.to.includes(address) && (!options.subject || options.subject.test(m.subject)));
      if (found) {
        taken.add(found);
        return found;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no email to ${to}${options.subject ? ` matching ${options.subject}` : ''} within the timeout (got: ${messages.map((m) => `${m.to.join(',')}: ${m.subject}`).join('; ') || 'none'})`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 200));
        waiters.add(wake);
      });
    }
  }

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitFor,
    async linkFor(to, path, options) {
      const mail = await waitFor(to, options);
      const link = mail.links.find((l) => new URL(l).pathname.includes(path));
      if (!link) throw new Error(`the email to ${to} ("${mail.subject}") has no link to ${path}: ${mail.links.join(', ')}`);
      return new URL(link);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
