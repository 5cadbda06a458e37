// The mail outbox and delivery log: every message is recorded here before anything tries to send
// it, so a reply to the browser never waits for SMTP and nothing is lost while SMTP or Temporal is
// down. The bodies (which carry one-time links) are erased once the message is sent or given up.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** skipped: a request logged without a message (a password reset for an address with no account). */
export const MAIL_STATUSES = ['queued', 'sent', 'failed', 'skipped'] as const;
export type MailStatus = (typeof MAIL_STATUSES)[number];

export const MailOutboxRecord = defineEntity({
  name: 'MailOutboxRecord',
  tableName: 'mail_outbox',
  properties: {
    id: p.string().primary(),
    /** What the message is: verification, password_reset, account_exists, invitation. */
    kind: p.string(),
    recipient: p.string(),
    subject: p.text(),
    text: p.text().nullable(),
    html: p.text().nullable(),
    status: p.string(),
    /** Delivery attempts made so far (the activity's attempt number). */
    attempts: p.integer().default(0),
    lastError: p.text().nullable(),
    createdAt: p.datetime(),
    /** When its delivery workflow was started; null: the sweeper starts it. */
    dispatchedAt: p.datetime().nullable(),
    sentAt: p.datetime().nullable(),
    updatedAt: p.datetime(),
  },
});
export type MailOutboxRecord = InferEntity<typeof MailOutboxRecord>;
