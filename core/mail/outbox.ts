// The api side of outgoing mail (docs/decisions/027-mail-outbox.md): a message is recorded in the
// mail_outbox table (in the caller's transaction when it has one), then its delivery workflow is
// started on the mail task queue without waiting; the worker's `deliverMail` activity talks to SMTP.
// A start that fails (Temporal down, the process dies) leaves the row undispatched: the sweeper
// starts it later. So a request never waits for SMTP, and a recorded message is never lost.
import type { EntityManager } from '@mikro-orm/core';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../log.ts';
import { newId } from '../auth/random.ts';
import { outboxSweeper } from '../periodic.ts';
import { MailOutboxRecord } from './entities.ts';
import type { MailMessage } from './mailer.ts';

export type MailKind = 'verification' | 'password_reset' | 'account_exists' | 'invitation' | 'notification';

/** The delivery workflow (workflows/mail.ts), by name: core/ never imports workflow code. */
export const MAIL_WORKFLOW = 'mailDelivery';
export const mailWorkflowId = (outboxId: string) => `mail-${outboxId}`;

/** M12: messages to one address per hour; past it they are logged as failed, never sent. */
export const MAIL_PER_RECIPIENT_PER_HOUR = 10;

export interface MailOutboxDeps {
  orm: Orm;
  /** Absent: nothing is started at record time; the sweeper starts every message. */
  temporal?: Client | undefined;
  taskQueue: string;
  logger: Logger;
  /** Log each message's link when recorded: development without SMTP_URL only, never production (L3). */
  logLinks?: boolean;
  perRecipientPerHour?: number;
}

export interface MailOutbox {
  /**
   * Records a message in `em` (flushed with the caller's transaction) and returns its id, or
   * undefined when the recipient is over its hourly limit. Start it with dispatch() after commit.
   * `skip`: log the request as `skipped` with this reason and send nothing — the same work as a
   * real message, for answers that must not tell the two apart by their timing.
   */
  record(em: EntityManager, message: MailMessage, kind: MailKind, options?: { skip?: string }): Promise<string | undefined>;
  /** Starts the delivery of a recorded message in the background; never throws, never waits. */
  dispatch(id: string | undefined): void;
  /** record() in a transaction of its own, then dispatch(). */
  send(message: MailMessage, kind: MailKind): Promise<string | undefined>;
}

export function createMailOutbox(deps: MailOutboxDeps): MailOutbox & {
  start(id: string): Promise<void>;
  sweepOnce(now?: number): Promise<{ started: number }>;
  startSweeper(intervalMs: number): () => void;
} {
  const { orm, logger } = deps;
  const limit = deps.perRecipientPerHour ?? MAIL_PER_RECIPIENT_PER_HOUR;

  async function record(em: EntityManager, message: MailMessage, kind: MailKind, options: { skip?: string } = {}): Promise<string | undefined> {
    const now = new Date();
    const recipient = message.to.trim().toLowerCase();
    const recent = await em.count(MailOutboxRecord, { recipient, createdAt: { $gt: new Date(now.getTime() - 3_600_000) } });
    const id = newId('mail');
    const over = recent >= limit;
    const unsent = over || options.skip !== undefined;
    em.create(MailOutboxRecord, {
      id, kind, recipient, subject: message.subject,
      text: unsent ? null : message.text, html: unsent ? null : message.html,
      status: options.skip !== undefined ? 'skipped' : over ? 'failed' : 'queued', attempts: 0,
      lastError: options.skip ?? (over ? `recipient_limit: more than ${limit} messages to this address within an hour` : null),
      createdAt: now, dispatchedAt: null, sentAt: null, updatedAt: now,
    });
    if (options.skip !== undefined) return undefined;
    if (over) {
      logger.warn({ mailId: id, kind, limit }, 'mail not sent: the recipient is over its hourly limit');
      return undefined;
    }
    if (deps.logLinks && message.link) logger.info({ mailId: id, to: recipient, subject: message.subject, link: message.link }, 'mail recorded (SMTP_URL is not set: the worker writes it to the outbox folder)');
    return id;
  }

  /** Starts the delivery workflow (idempotent by workflow id) and marks the row dispatched. */
  async function start(id: string): Promise<void> {
    if (!deps.temporal) throw new Error('no Temporal client to start mail deliveries with');
    try {
      await deps.temporal.workflow.start(MAIL_WORKFLOW, {
        taskQueue: deps.taskQueue,
        workflowId: mailWorkflowId(id),
        // Only the id travels: the body (one-time links) stays out of Temporal's history.
        args: [{ outboxId: id }],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    await orm.em.fork().nativeUpdate(MailOutboxRecord, { id, dispatchedAt: null }, { dispatchedAt: new Date() });
  }

  function dispatch(id: string | undefined): void {
    if (!id || !deps.temporal) return;
    start(id).catch((error: unknown) => logger.warn({ mailId: id, err: (error as Error).message }, 'mail delivery not started yet: the sweeper will start it'));
  }

  const { sweepOnce, startSweeper } = outboxSweeper({
    name: 'mail',
    logger,
    unstarted: async (before, limit) =>
      (await orm.em.fork().find(MailOutboxRecord, { status: 'queued', dispatchedAt: null, createdAt: { $lt: before } }, { fields: ['id'], orderBy: { createdAt: 'asc' }, limit })).map((row) => row.id),
    start,
  });

  return {
    record,
    dispatch,
    async send(message, kind) {
      const em = orm.em.fork();
      const id = await em.transactional(async (tx) => record(tx, message, kind));
      dispatch(id);
      return id;
    },
    start,
    sweepOnce,
    startSweeper,
  };
}
