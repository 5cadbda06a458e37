// Notification channels on the wire, and the payload a webhook channel receives (signed like
// Trellis webhooks: docs/examples/sign-webhook.*).
import { z } from 'zod';
import { answer, IsoDate, page, request } from './common.ts';

export const NOTIFICATION_EVENTS = ['run.failed', 'run.succeeded', 'approval.waiting', 'quota.warning', 'quota.exhausted'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];
/** What the "send test" action records and sends; no channel subscribes to it. */
export const TEST_EVENT = 'test';
export const CHANNEL_TYPES = ['email', 'slack', 'webhook'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** Channels per team: each event fans out to every subscribed one. */
export const MAX_CHANNELS_PER_TEAM = 20;
export const MAX_URL_LENGTH = 2_000;
export const MAX_EMAIL_RECIPIENTS = 20;
export const MAX_CHANNEL_WORKFLOWS = 50;

const ChannelUrl = z
  .string()
  .max(MAX_URL_LENGTH, `at most ${MAX_URL_LENGTH} characters`)
  .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }))
  .refine((value) => !new URL(value).username && !new URL(value).password, 'must not carry a user name or password');

export const CreateNotificationChannel = request(
  'CreateNotificationChannelRequest',
  z.object({
    name: z.string().trim().min(1).max(100),
    type: z.enum(CHANNEL_TYPES),
    config: z
      .object({
        to: z.array(z.email().max(254)).min(1).max(MAX_EMAIL_RECIPIENTS).optional().describe('email: the recipients'),
        url: ChannelUrl.optional().describe('slack and webhook: where to POST'),
      })
      .strict()
      .default({}),
    events: z.array(z.enum(NOTIFICATION_EVENTS)).min(1).max(NOTIFICATION_EVENTS.length),
    /** Only these workflows' run and approval events; absent or empty: every workflow. */
    workflowIds: z.array(z.string().min(1).max(100)).max(MAX_CHANNEL_WORKFLOWS).optional().describe("only these workflows' run and approval events; absent or empty: every workflow"),
  }),
);
export type CreateNotificationChannel = z.infer<typeof CreateNotificationChannel>;

export const NotificationChannel = answer(
  'NotificationChannel',
  z.object({
    id: z.string(),
    name: z.string(),
    type: z.enum(CHANNEL_TYPES),
    config: z.object({ to: z.array(z.string()).optional(), url: z.string().optional() }).describe('email: {to}; webhook: {url}; slack: {url} with its origin only (the URL is the secret)'),
    events: z.array(z.enum(NOTIFICATION_EVENTS)),
    workflowIds: z.array(z.string()).nullable().describe("only these workflows' run and approval events; null: all"),
    createdAt: IsoDate,
  }),
);
export type NotificationChannel = z.infer<typeof NotificationChannel>;
export const CreatedNotificationChannel = answer(
  'CreatedNotificationChannel',
  NotificationChannel.extend({ secret: z.string().optional().describe("a webhook channel's signing secret, shown once") }),
);
export const NotificationChannelPage = page('NotificationChannelPage', NotificationChannel);

export const NotificationDelivery = answer(
  'NotificationDelivery',
  z.object({
    id: z.string().describe('also sent as X-Trellis-Delivery'),
    event: z.string().describe('an event, or "test"'),
    status: z.enum(['queued', 'sent', 'failed']),
    attempts: z.int(),
    lastError: z.string().optional(),
    at: IsoDate,
    sentAt: IsoDate.optional(),
  }),
);
export type NotificationDelivery = z.infer<typeof NotificationDelivery>;
export const NotificationDeliveryPage = page('NotificationDeliveryPage', NotificationDelivery);
export const TestDelivery = answer('TestDelivery', z.object({ deliveryId: z.string() }));

/** The JSON body a webhook channel receives (and the data stored with each delivery). */
export const NotificationPayload = z
  .object({
    event: z.enum([...NOTIFICATION_EVENTS, TEST_EVENT]),
    teamId: z.string(),
    workflowId: z.string().optional(),
    workflowName: z.string().optional(),
    runId: z.string().optional(),
    status: z.string().optional().describe('run events: the final status; approval: "waiting"'),
    error: z.string().optional(),
    errorNodeId: z.string().optional(),
    nodeId: z.string().optional().describe('approval.waiting: the node that waits'),
    message: z.string().optional().describe("approval.waiting: the node's message"),
    quota: z.object({ name: z.enum(['runs', 'aiTokens', 'aiBudgetUsd']), used: z.number(), limit: z.number(), percent: z.number(), period: z.string() }).optional(),
    url: z.string().optional().describe('where a person sees it in the web app'),
    occurredAt: IsoDate,
  })
  .describe('what happened: the data stored with each delivery');
export type NotificationPayload = z.infer<typeof NotificationPayload>;

/** What a webhook channel receives: the payload and its delivery id (also X-Trellis-Delivery). */
export const NotificationWebhookBody = answer(
  'NotificationWebhookBody',
  NotificationPayload.extend({ id: z.string().describe('the delivery id, the same on every retry') }),
  'the body of a webhook notification (signed with X-Trellis-Signature, like Trellis webhooks)',
);
export type NotificationWebhookBody = z.infer<typeof NotificationWebhookBody>;
