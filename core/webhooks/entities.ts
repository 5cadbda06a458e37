// The entities of webhooks: endpoints, and the deliveries and signatures already accepted.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A signed webhook endpoint that starts runs of one workflow. */
export const WebhookRecord = defineEntity({
  name: 'WebhookRecord',
  tableName: 'webhook',
  properties: {
    id: p.string().primary(),
    teamId: p.string().index(),
    workflowId: p.string().index(),
    keyId: p.string(),
    secret: p.text(),
    createdAt: p.datetime(),
    createdBy: p.string().nullable(),
    /** 1–5: the priority of the runs it starts, unless a request names its own (X-Trellis-Priority). */
    priority: p.integer().default(3),
  },
});
export type WebhookRecord = InferEntity<typeof WebhookRecord>;

/** Deliveries already accepted, so a retried delivery (same X-Trellis-Delivery) starts no second run. */
export const WebhookDelivery = defineEntity({
  name: 'WebhookDelivery',
  tableName: 'webhook_delivery',
  properties: {
    webhookId: p.string().primary(),
    deliveryId: p.string().primary(),
    runId: p.string(),
    createdAt: p.datetime(),
  },
});
export type WebhookDelivery = InferEntity<typeof WebhookDelivery>;

/** Signatures of accepted webhook requests until they expire, so a replayed request starts no second run. */
export const WebhookSignature = defineEntity({
  name: 'WebhookSignature',
  tableName: 'webhook_signature',
  properties: {
    webhookId: p.string().primary(),
    signature: p.string().primary(),
    runId: p.string(),
    expiresAt: p.datetime().index(),
  },
});
export type WebhookSignature = InferEntity<typeof WebhookSignature>;
