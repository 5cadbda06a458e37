// One outgoing email: `mailDelivery` (docs/decisions/027-mail-outbox.md). The input is the outbox
// row's id only, so no body or one-time link ever enters the history. Each attempt is its own
// activity with a short timeout, retried with back-off for up to a day; then the row is marked
// failed. One workflow per message: a hung delivery never holds up another.
import { ActivityFailure, ApplicationFailure, proxyActivities, TimeoutFailure } from '@temporalio/workflow';
import type { DeliverMailInput, MailActivities } from '../activities/mail.ts';

const { deliverMail } = proxyActivities<MailActivities>({
  // A hung server fails the attempt at SMTP_TIMEOUT_SECONDS (10 s by default); this is the backstop.
  startToCloseTimeout: '60s',
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '30m', nonRetryableErrorTypes: ['mail_rejected', 'mail_missing'] },
});
const { recordMailFailed } = proxyActivities<MailActivities>({ startToCloseTimeout: '30s', retry: { maximumInterval: '1m' } });

function reason(error: unknown): string {
  if (error instanceof ActivityFailure) {
    const cause = error.cause;
    if (cause instanceof TimeoutFailure) return 'gave up after 24 hours of failed attempts';
    if (cause instanceof ApplicationFailure) return `${cause.type ?? 'error'}: ${cause.message}`;
    if (cause) return cause.message;
  }
  return error instanceof Error ? error.message : String(error);
}

export async function mailDelivery(input: DeliverMailInput): Promise<'sent' | 'failed'> {
  try {
    await deliverMail(input);
    return 'sent';
  } catch (error) {
    await recordMailFailed({ outboxId: input.outboxId, error: reason(error) });
    return 'failed';
  }
}
