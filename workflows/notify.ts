// One notification delivery: `notificationDelivery` (docs/decisions/032-notifications.md), built
// like mailDelivery (workflows/mail.ts). The input is the delivery row's id only, so no payload or
// secret enters the history. Each attempt is one activity with a short timeout, retried with
// back-off for up to a day; then the row is marked failed. One workflow per delivery: a receiver
// that hangs never holds up another channel.
import { ActivityFailure, ApplicationFailure, proxyActivities, TimeoutFailure } from '@temporalio/workflow';
import type { DeliverNotificationInput, NotificationActivities } from '../activities/notifications.ts';

const { deliverNotification } = proxyActivities<NotificationActivities>({
  // An attempt's HTTP call gives up at NOTIFICATION_TIMEOUT_MS (10 s); this is the backstop.
  startToCloseTimeout: '60s',
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30m', nonRetryableErrorTypes: ['notification_refused', 'notification_missing'] },
});
const { recordNotificationFailed } = proxyActivities<NotificationActivities>({ startToCloseTimeout: '30s', retry: { maximumInterval: '1m' } });

function reason(error: unknown): string {
  if (error instanceof ActivityFailure) {
    const cause = error.cause;
    if (cause instanceof TimeoutFailure) return 'gave up after 24 hours of failed attempts';
    if (cause instanceof ApplicationFailure) return cause.message;
    if (cause) return cause.message;
  }
  return error instanceof Error ? error.message : String(error);
}

export async function notificationDelivery(input: DeliverNotificationInput): Promise<'sent' | 'failed'> {
  try {
    await deliverNotification(input);
    return 'sent';
  } catch (error) {
    await recordNotificationFailed({ deliveryId: input.deliveryId, error: reason(error) });
    return 'failed';
  }
}
