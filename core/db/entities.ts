// MikroORM entities, defined with defineEntity (no decorators: Node's type stripping and
// esbuild emit no decorator metadata). Each area adds its entities here.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { identityEntities } from './identity-entities.ts';
import { MailOutboxRecord } from '../mail/entities.ts';
import { NotificationChannelRecord, NotificationDeliveryRecord } from '../notifications/entities.ts';

/** The database mirror of a run's summary, written by activities at start and end. */
export const RunRecord = defineEntity({
  name: 'RunRecord',
  tableName: 'run',
  properties: {
    id: p.string().primary(),
    teamId: p.string().index(),
    workflowId: p.string().index(),
    version: p.integer(),
    trigger: p.string(),
    status: p.string(),
    startedAt: p.datetime(),
    endedAt: p.datetime().nullable(),
    error: p.text().nullable(),
    /** The run's input as JSON text (shown by GET …/runs/{id}; reused by rerun). */
    input: p.text().nullable(),
    /** What started it: the webhook or schedule id, the user or API key id. */
    triggeredBy: p.string().nullable(),
    aiTokens: p.integer().default(0),
    costUsd: p.double().default(0),
    nodeExecutions: p.integer().default(0),
    /** 1–5, 1 first: the order runs leave the team's queue in (ADR 028). */
    priority: p.integer().default(3),
    /** When the run left the queue for Temporal; null while status is "queued". */
    dispatchedAt: p.datetime().nullable(),
    /** The final RunState as JSON (nodes, output, error, usage), written once at the end (ADR 029). */
    state: p.text().nullable().lazy(),
    /** The node a failed run failed at, and the failure's code (the failures view groups by them). */
    errorNodeId: p.string().nullable(),
    errorCode: p.string().nullable(),
    /** Node states a rerun from a node reuses, kept while the run is queued (JSON). */
    seed: p.text().nullable().lazy(),
  },
});
export type RunRecord = InferEntity<typeof RunRecord>;


/** A large value kept out of Temporal history (claim check): node outputs above the threshold. */
export const BlobRecord = defineEntity({
  name: 'BlobRecord',
  tableName: 'blob',
  properties: {
    id: p.string().primary(),
    teamId: p.string().index(),
    runId: p.string().index(),
    bytes: p.integer(),
    /** The value as JSON text. */
    content: p.text().lazy(),
    createdAt: p.datetime(),
  },
});
export type BlobRecord = InferEntity<typeof BlobRecord>;

/** A saved workflow; its graphs live in immutable versions. */
export const WorkflowDefinition = defineEntity({
  name: 'WorkflowDefinition',
  tableName: 'workflow',
  properties: {
    id: p.string().primary(),
    teamId: p.string().index(),
    name: p.string(),
    description: p.text().nullable(),
    latestVersion: p.integer(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    deletedAt: p.datetime().nullable(),
    /** Tool settings (core/workflows/tool.ts): offered to MCP clients and agents; null: not a tool. */
    tool: p.json<{ name: string; description: string; inputSchema: Record<string, unknown> }>().nullable(),
    /** tool.name again, unique per team among workflows not deleted (m013's index). */
    toolName: p.string().nullable(),
  },
});
export type WorkflowDefinition = InferEntity<typeof WorkflowDefinition>;

export const WorkflowVersion = defineEntity({
  name: 'WorkflowVersion',
  tableName: 'workflow_version',
  properties: {
    workflowId: p.string().primary(),
    version: p.integer().primary(),
    graph: p.json<unknown>(),
    createdAt: p.datetime(),
    createdBy: p.string().nullable(),
  },
});
export type WorkflowVersion = InferEntity<typeof WorkflowVersion>;

/** A team secret used by nodes, sealed by the vault (core/credentials/vault.ts); never returned. */
export const CredentialRecord = defineEntity({
  name: 'CredentialRecord',
  tableName: 'credential',
  uniques: [{ properties: ['teamId', 'name'] }],
  properties: {
    id: p.string().primary(),
    teamId: p.string().index(),
    name: p.string(),
    type: p.string(),
    keyId: p.string(),
    secret: p.text(),
    /** Host patterns the secret may be sent to (core/credentials/hosts.ts); null: none set yet, refused by the http node. */
    allowedHosts: p.json<string[]>().nullable(),
    createdAt: p.datetime(),
    createdBy: p.string().nullable(),
  },
});
export type CredentialRecord = InferEntity<typeof CredentialRecord>;

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

/** Idempotency keys of run starts, kept beyond Temporal's retention. */
export const RunIdempotency = defineEntity({
  name: 'RunIdempotency',
  tableName: 'run_idempotency',
  properties: {
    teamId: p.string().primary(),
    key: p.string().primary(),
    runId: p.string(),
    createdAt: p.datetime(),
  },
});
export type RunIdempotency = InferEntity<typeof RunIdempotency>;

/** A cron schedule of a workflow; the Temporal Schedule of the same id does the firing. */
export const ScheduleRecord = defineEntity({
  name: 'ScheduleRecord',
  tableName: 'schedule',
  properties: {
    id: p.string().primary(),
    teamId: p.string().index(),
    workflowId: p.string().index(),
    cron: p.string(),
    timezone: p.string(),
    input: p.text().nullable(),
    createdAt: p.datetime(),
    createdBy: p.string().nullable(),
    /** 1–5: the priority of the runs it starts. */
    priority: p.integer().default(3),
    /** A pinned workflow version; null: the latest when it fires. */
    version: p.integer().nullable(),
  },
});
export type ScheduleRecord = InferEntity<typeof ScheduleRecord>;

export const entities = [
  RunRecord, BlobRecord, WorkflowDefinition, WorkflowVersion,
  CredentialRecord, WebhookRecord, WebhookDelivery, WebhookSignature, RunIdempotency, ScheduleRecord,
  ...identityEntities, MailOutboxRecord, NotificationChannelRecord, NotificationDeliveryRecord,
];
