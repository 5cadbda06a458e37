// trellis webhooks list|sign: a workflow's webhooks, and a signed curl for one delivery, signed
// with the recipe of docs/examples/sign-webhook.* (HMAC-SHA256 of "<unix seconds>.<raw body>").
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TeamClient } from '../../typescript/index.ts';
import { EXIT, table, UsageError, type Io } from '../output.ts';
import { resolveWorkflow } from './workflows.ts';

export async function listWebhooks(team: TeamClient, io: Io, workflowRef: string, options: { json?: boolean }): Promise<number> {
  const hooks = await team.webhooks.list(await resolveWorkflow(team, workflowRef));
  if (options.json) io.out(JSON.stringify(hooks, null, 2));
  else if (hooks.length === 0) io.out('no webhooks');
  else for (const line of table([['ID', 'PRIORITY', 'URL'], ...hooks.map((h) => [h.id, String(h.priority), h.url])])) io.out(line);
  return EXIT.ok;
}

export interface SignedDelivery {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The headers that make a delivery acceptable for five minutes (api-guide "Webhooks"). */
export function signDelivery(input: { url: string; secret: string; body: string; timestamp?: number; delivery?: string; priority?: number }): SignedDelivery {
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = createHmac('sha256', input.secret).update(`${timestamp}.${input.body}`).digest('hex');
  return {
    url: input.url,
    headers: {
      'Content-Type': 'application/json',
      'X-Trellis-Signature': `t=${timestamp},v1=${signature}`,
      'X-Trellis-Delivery': input.delivery ?? randomUUID(),
      ...(input.priority !== undefined ? { 'X-Trellis-Priority': String(input.priority) } : {}),
    },
    body: input.body,
  };
}

/** POSIX shell single quotes: safe for any body. */
export const shellQuote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

export function curlFor(delivery: SignedDelivery): string {
  const headers = Object.entries(delivery.headers).map(([name, value]) => `  -H ${shellQuote(`${name}: ${value}`)} \\`);
  return [`curl -sS -X POST ${shellQuote(delivery.url)} \\`, ...headers, `  --data-binary ${shellQuote(delivery.body)}`].join('\n');
}

export function signWebhook(baseUrl: string, io: Io, webhookId: string, options: { secret?: string; body?: string; url?: string; priority?: string; delivery?: string }, env: NodeJS.ProcessEnv = process.env): number {
  if (!/^[A-Za-z0-9_-]+$/.test(webhookId)) throw new UsageError('the webhook id holds only letters, digits, _ and -');
  const secret = options.secret ?? env.TRELLIS_WEBHOOK_SECRET;
  if (!secret) throw new UsageError('pass --secret or set TRELLIS_WEBHOOK_SECRET (the secret shown when the webhook was created)');
  let body = options.body ?? '{}';
  if (body.startsWith('@')) {
    try {
      body = readFileSync(body.slice(1) === '-' ? 0 : body.slice(1), 'utf8');
    } catch (error) {
      throw new UsageError(`--body ${body}: ${(error as Error).message}`);
    }
  }
  let priority: number | undefined;
  if (options.priority !== undefined) {
    priority = Number(options.priority);
    if (!Number.isInteger(priority) || priority < 1 || priority > 5) throw new UsageError('--priority must be an integer from 1 to 5');
  }
  const url = options.url ?? `${baseUrl.replace(/\/+$/, '')}/hooks/${webhookId}`;
  io.out(curlFor(signDelivery({ url, secret, body, priority, delivery: options.delivery })));
  io.err('# the signature is accepted for 5 minutes; the same X-Trellis-Delivery id starts one run however often it is sent');
  return EXIT.ok;
}
