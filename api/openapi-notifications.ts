// The OpenAPI description of notification channels (api/routes/notifications.ts). The request body
// comes from the zod schema the route parses with, so the document cannot drift.
import { z } from 'zod';
import { CreateNotificationChannel, MAX_CHANNELS_PER_TEAM } from '../core/notifications/channels.ts';
import { NOTIFICATION_EVENTS } from '../core/notifications/events.ts';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const ok = (description: string, schema?: unknown) => ({ description, ...(schema ? { content: json(schema) } : {}) });
const param = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const iso = { type: 'string', format: 'date-time' };
const teamId = param('teamId', 'a team the caller belongs to (404 for any other team)');
const channelId = param('channelId', 'notification channel id');
const common = {
  401: problem('no or invalid credentials'),
  403: problem('only team admins and owners (people, not API keys) manage notifications'),
  404: problem('not found (also for channels of other teams)'),
  429: problem('rate limited'),
};
const op = (summary: string, extra: object) => ({ tags: ['notifications'], summary, security: [{ bearerAuth: [] }, { sessionCookie: [] }], ...extra });

export const notificationSchemas = {
  NotificationChannel: {
    type: 'object',
    properties: {
      id: { type: 'string' }, name: { type: 'string' }, type: { type: 'string', enum: ['email', 'slack', 'webhook'] },
      config: { type: 'object', description: 'email: {to}; webhook: {url}; slack: {url} with its origin only (the URL is the secret)', properties: { to: { type: 'array', items: { type: 'string' } }, url: { type: 'string' } } },
      events: { type: 'array', items: { type: 'string', enum: [...NOTIFICATION_EVENTS] } },
      workflowIds: { type: ['array', 'null'], items: { type: 'string' }, description: 'only these workflows\' run and approval events; null: all' },
      createdAt: iso,
      secret: { type: 'string', description: 'a webhook channel\'s signing secret: only in the answer to POST (shown once)' },
    },
  },
  NotificationDelivery: {
    type: 'object',
    properties: {
      id: { type: 'string', description: 'also sent as X-Trellis-Delivery' }, event: { type: 'string', description: 'an event, or "test"' },
      status: { type: 'string', enum: ['queued', 'sent', 'failed'] }, attempts: { type: 'integer' }, lastError: { type: 'string' }, at: iso, sentAt: iso,
    },
  },
};

export function notificationPaths(): Record<string, unknown> {
  const base = '/api/v1/teams/{teamId}/notification-channels';
  return {
    [base]: {
      post: op('Add a notification channel (a webhook channel\'s signing secret is shown once)', {
        parameters: [teamId],
        requestBody: { required: true, content: json(z.toJSONSchema(CreateNotificationChannel, { io: 'input', unrepresentable: 'any' })) },
        responses: { 201: ok('added', ref('NotificationChannel')), 400: problem('invalid body (problems names the fields)'), ...common, 403: problem(`not an admin, or notification_channel_limit: at most ${MAX_CHANNELS_PER_TEAM} channels per team`) },
      }),
      get: op('List notification channels (no secrets)', { parameters: [teamId], responses: { 200: ok('channels', { type: 'object', properties: { items: { type: 'array', items: ref('NotificationChannel') }, nextCursor: { type: 'null' } } }), ...common } }),
    },
    [`${base}/{channelId}`]: {
      delete: op('Remove a channel and its delivery log', { parameters: [teamId, channelId], responses: { 204: ok('removed'), ...common } }),
    },
    [`${base}/{channelId}/test`]: {
      post: op('Send a test notification; its outcome appears in the delivery log', { parameters: [teamId, channelId], responses: { 202: ok('recorded and started', { type: 'object', properties: { deliveryId: { type: 'string' } } }), ...common } }),
    },
    [`${base}/{channelId}/deliveries`]: {
      get: op('The channel\'s delivery log, newest first', {
        parameters: [teamId, channelId, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } }, { name: 'cursor', in: 'query', schema: { type: 'string' } }],
        responses: { 200: ok('deliveries', { type: 'object', properties: { items: { type: 'array', items: ref('NotificationDelivery') }, nextCursor: { type: ['string', 'null'] } } }), 400: problem('invalid limit or cursor'), ...common },
      }),
    },
  };
}
