// Mail delivery (docs/decisions/027-mail-outbox.md): one activity attempt sends one recorded
// message and writes the delivery log (attempts, last error, sent time). Registered by the mail
// worker (worker/mail.ts) on its own task queue.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Orm } from '../core/db/orm.ts';
import type { Logger } from '../core/log.ts';
import { MailOutboxRecord } from '../core/mail/entities.ts';
import type { Mailer } from '../core/mail/mailer.ts';

export interface MailActivityDeps {
  orm: Orm;
  mailer: Mailer;
  logger: Logger;
}

export interface DeliverMailInput {
  outboxId: string;
}

function attemptNumber(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1; // called outside an activity (tests)
  }
}

/** A 5xx reply (mailbox unknown, message refused) will not change on retry; anything else may. */
function isPermanent(error: unknown): boolean {
  const code = (error as { responseCode?: unknown }).responseCode;
  return (typeof code === 'number' && code >= 500 && code < 600) || (error as { code?: unknown }).code === 'EENVELOPE';
}

function describe(error: unknown): string {
  const e = error as { message?: unknown; code?: unknown; responseCode?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(error);
  const code = typeof e.responseCode === 'number' ? e.responseCode : typeof e.code === 'string' ? e.code : undefined;
  return (code !== undefined && !message.includes(String(code)) ? `${code}: ${message}` : message).slice(0, 1_000);
}

export function createMailActivities(deps: MailActivityDeps) {
  const { orm } = deps;
  return {
    /**
     * Sends one message; a retry of a message already sent does nothing. A failed attempt records
     * its error and throws: retryable unless the server refused the message for good.
     */
    async deliverMail(input: DeliverMailInput): Promise<void> {
      const em = orm.em.fork();
      const row = await em.findOne(MailOutboxRecord, { id: input.outboxId });
      if (row?.status === 'sent') return;
      if (!row || row.status !== 'queued' || row.text == null || row.html == null) {
        throw ApplicationFailure.create({ type: 'mail_missing', message: `mail ${input.outboxId} is not waiting to be sent`, nonRetryable: true });
      }
      const attempts = attemptNumber();
      await em.nativeUpdate(MailOutboxRecord, { id: row.id }, { attempts, updatedAt: new Date() });
      try {
        await deps.mailer.send({ to: row.recipient, subject: row.subject, text: row.text, html: row.html });
      } catch (error) {
        const lastError = describe(error);
        await em.nativeUpdate(MailOutboxRecord, { id: row.id }, { lastError, updatedAt: new Date() });
        deps.logger.warn({ mailId: row.id, kind: row.kind, attempts, err: lastError }, 'mail delivery attempt failed');
        throw ApplicationFailure.create({ type: isPermanent(error) ? 'mail_rejected' : 'mail_unavailable', message: lastError, nonRetryable: isPermanent(error) });
      }
      // Sent: the body and its one-time link are not kept.
      const now = new Date();
      await em.nativeUpdate(MailOutboxRecord, { id: row.id }, { status: 'sent', sentAt: now, updatedAt: now, text: null, html: null });
    },

    /** The workflow gave up (refused for good, or out of retries): the log says why. */
    async recordMailFailed(input: { outboxId: string; error: string }): Promise<void> {
      const em = orm.em.fork();
      const row = await em.findOne(MailOutboxRecord, { id: input.outboxId }, { fields: ['lastError'] });
      // Keep the last attempt's own error next to the reason for giving up.
      const lastError = row?.lastError && !input.error.includes(row.lastError) ? `${input.error}; last attempt: ${row.lastError}` : input.error;
      const now = new Date();
      await em.nativeUpdate(
        MailOutboxRecord,
        { id: input.outboxId, status: 'queued' },
        { status: 'failed', lastError: lastError.slice(0, 1_000), updatedAt: now, text: null, html: null },
      );
      deps.logger.error({ mailId: input.outboxId, err: input.error }, 'mail delivery failed for good');
    },
  };
}

export type MailActivities = ReturnType<typeof createMailActivities>;
