// A team's notification channels, for the api (docs/api.md "Notifications"): create (a webhook's
// signing secret is shown once), list (no secrets), delete, send a test, read the delivery log.
import { randomBytes } from 'node:crypto';
import { newId } from '../auth/random.ts';
import type { Vault } from '../credentials/vault.ts';
import { WorkflowDefinition } from '../workflows/entities.ts';
import type { Orm } from '../db/orm.ts';
import { NotFoundError, UserError } from '../errors.ts';
import { afterCursor, NEWEST_FIRST, toPage, type Page, type PageQuery } from '../pagination.ts';
import { NotificationChannelRecord, NotificationDeliveryRecord } from './entities.ts';
import { TEST_EVENT, type ChannelType, type NotificationEvent } from './events.ts';
import type { Notifier } from './notifier.ts';

// The limits and the request shape of channels are part of the wire contract.
export { CreateNotificationChannel, MAX_CHANNELS_PER_TEAM, MAX_CHANNEL_WORKFLOWS, MAX_EMAIL_RECIPIENTS, MAX_URL_LENGTH } from '../../contract/notifications.ts';
import { MAX_CHANNELS_PER_TEAM, type CreateNotificationChannel } from '../../contract/notifications.ts';
import type { NotificationChannel as WireNotificationChannel, NotificationDelivery as WireNotificationDelivery } from '../../contract/index.ts';

export const channelSecretContext = (row: { teamId: string; id: string }) => `notification:${row.teamId}:${row.id}`;

/** The wire shape (contract/): what the api answers with. */
export type NotificationChannelView = WireNotificationChannel;

/** The wire shape (contract/): what the api answers with. */
export type DeliveryView = WireNotificationDelivery;

function view(row: NotificationChannelRecord): NotificationChannelView {
  // The columns hold only what CreateNotificationChannel accepted.
  return { id: row.id, name: row.name, type: row.type as ChannelType, config: row.config, events: row.events as NotificationEvent[], workflowIds: row.workflowIds ?? null, createdAt: row.createdAt.toISOString() };
}

function invalid(path: string, message: string): UserError {
  return new UserError('invalid_request', `The channel is invalid: ${path} ${message}`, { problems: [{ path, message }] });
}

export type NotificationChannels = ReturnType<typeof createNotificationChannels>;

export function createNotificationChannels(deps: { orm: Orm; vault: Vault; notifier: Pick<Notifier, 'emit'> }) {
  const { orm, vault } = deps;

  async function find(teamId: string, id: string): Promise<NotificationChannelRecord> {
    const row = await orm.em.fork().findOne(NotificationChannelRecord, { id, teamId });
    if (!row) throw new NotFoundError('Notification channel');
    return row;
  }

  return {
    async create(teamId: string, actor: string | null, input: CreateNotificationChannel): Promise<NotificationChannelView & { secret?: string }> {
      const events = [...new Set(input.events)];
      const { to, url } = input.config;
      if (input.type === 'email') {
        if (url !== undefined) throw invalid('config.url', 'is not used by email channels');
        // approval.waiting goes to the people who may approve; every other event to `to`.
        if (!to && events.some((e) => e !== 'approval.waiting')) throw invalid('config.to', 'is required: the addresses to send to');
      } else {
        if (to !== undefined) throw invalid('config.to', `is not used by ${input.type} channels`);
        if (!url) throw invalid('config.url', `is required: the ${input.type === 'slack' ? 'incoming webhook' : 'receiver'} URL`);
      }
      const workflowIds = input.workflowIds?.length ? [...new Set(input.workflowIds)] : null;
      const em = orm.em.fork();
      if (workflowIds) {
        const found = new Set((await em.find(WorkflowDefinition, { id: { $in: workflowIds }, teamId, deletedAt: null }, { fields: ['id'] })).map((w) => w.id));
        const missing = workflowIds.filter((id) => !found.has(id));
        if (missing.length) {
          throw new UserError('invalid_request', `No workflow ${missing.map((id) => `"${id}"`).join(', ')} in this team`, {
            problems: missing.map((id) => ({ path: `workflowIds.${workflowIds.indexOf(id)}`, message: 'no such workflow in this team' })),
          });
        }
      }
      if ((await em.count(NotificationChannelRecord, { teamId })) >= MAX_CHANNELS_PER_TEAM) {
        throw new UserError('notification_channel_limit', `A team may have at most ${MAX_CHANNELS_PER_TEAM} notification channels: delete one first`, { status: 403 });
      }
      const id = newId('nch');
      const secret = input.type === 'webhook' ? `whsec_${randomBytes(32).toString('base64url')}` : undefined;
      // A Slack URL is itself the credential: sealed, and shown afterwards by its origin only.
      const sealedValue = input.type === 'webhook' ? secret : input.type === 'slack' ? url : undefined;
      const sealed = sealedValue === undefined ? undefined : vault.seal(sealedValue, channelSecretContext({ teamId, id }));
      const config = input.type === 'email' ? (to ? { to: [...new Set(to.map((a) => a.toLowerCase()))] } : {}) : { url: input.type === 'slack' ? `${new URL(url as string).origin}/…` : url };
      const row = em.create(NotificationChannelRecord, {
        id, teamId, name: input.name, type: input.type, config, events, workflowIds,
        keyId: sealed?.keyId ?? null, secret: sealed?.secret ?? null, createdAt: new Date(), createdBy: actor,
      });
      await em.flush();
      return secret ? { ...view(row), secret } : view(row);
    },

    async list(teamId: string): Promise<NotificationChannelView[]> {
      const rows = await orm.em.fork().find(NotificationChannelRecord, { teamId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
      return rows.map(view);
    },

    async delete(teamId: string, id: string): Promise<void> {
      const em = orm.em.fork();
      const deleted = await em.nativeDelete(NotificationChannelRecord, { id, teamId });
      if (deleted === 0) throw new NotFoundError('Notification channel');
      await em.nativeDelete(NotificationDeliveryRecord, { channelId: id });
    },

    /** Records a test delivery to this one channel and starts it; its outcome shows in the log. */
    async test(teamId: string, id: string): Promise<{ deliveryId: string }> {
      await find(teamId, id);
      const [deliveryId] = await deps.notifier.emit({ event: TEST_EVENT, teamId, channelId: id, dedupeKey: newId('test'), payload: {} });
      return { deliveryId: deliveryId as string };
    },

    async deliveries(teamId: string, id: string, page: PageQuery): Promise<Page<DeliveryView>> {
      await find(teamId, id);
      const rows = await orm.em.fork().find(
        NotificationDeliveryRecord,
        { $and: [{ channelId: id, teamId }, afterCursor(page.cursor)] },
        { orderBy: NEWEST_FIRST, limit: page.limit + 1 },
      );
      return toPage(rows, page.limit, (row) => ({
        id: row.id, event: row.event, status: row.status as DeliveryView['status'], attempts: row.attempts,
        ...(row.lastError ? { lastError: row.lastError } : {}),
        at: row.createdAt.toISOString(),
        ...(row.sentAt ? { sentAt: row.sentAt.toISOString() } : {}),
      }));
    },
  };
}
