// Notification channels of a team and their delivery log (docs/decisions/032-notifications.md).
// A channel's secret — a signed webhook's signing secret, or a Slack incoming-webhook URL, which is
// itself the credential — is sealed by the vault like a credential and never returned after create.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const NotificationChannelRecord = defineEntity({
  name: 'NotificationChannelRecord',
  tableName: 'notification_channel',
  properties: {
    id: p.string().primary(),
    teamId: p.string().index(),
    name: p.string(),
    /** email | slack | webhook */
    type: p.string().length(16),
    /** What may be shown again: email {to}, webhook {url}; a Slack URL lives in `secret` only. */
    config: p.json<{ to?: string[]; url?: string }>(),
    /** Subscribed events (NOTIFICATION_EVENTS). */
    events: p.json<string[]>(),
    /** Only these workflows' run and approval events; null: every workflow. */
    workflowIds: p.json<string[]>().nullable(),
    keyId: p.string().nullable(),
    secret: p.text().nullable(),
    createdAt: p.datetime(),
    createdBy: p.string().nullable(),
  },
});
export type NotificationChannelRecord = InferEntity<typeof NotificationChannelRecord>;

export const NOTIFICATION_DELIVERY_STATUSES = ['queued', 'sent', 'failed'] as const;

/**
 * One event for one channel. `dedupeKey` is unique per channel: an event emitted twice (a retried
 * activity, a quota crossing seen by two run ends) is recorded, and so sent, once.
 */
export const NotificationDeliveryRecord = defineEntity({
  name: 'NotificationDeliveryRecord',
  tableName: 'notification_delivery',
  uniques: [{ properties: ['channelId', 'dedupeKey'] }],
  indexes: [{ properties: ['channelId', 'createdAt'] }, { properties: ['status', 'dispatchedAt'] }, { properties: ['createdAt'] }],
  properties: {
    id: p.string().primary(),
    channelId: p.string(),
    teamId: p.string(),
    event: p.string().length(32),
    dedupeKey: p.string(),
    /** The event's data (ids, status, error, link); the body is built from it at each attempt. */
    payload: p.json<Record<string, unknown>>(),
    status: p.string().length(16),
    attempts: p.integer().default(0),
    lastError: p.text().nullable(),
    createdAt: p.datetime(),
    /** When its delivery workflow was started; null: the sweeper starts it. */
    dispatchedAt: p.datetime().nullable(),
    sentAt: p.datetime().nullable(),
    updatedAt: p.datetime(),
  },
});
export type NotificationDeliveryRecord = InferEntity<typeof NotificationDeliveryRecord>;
