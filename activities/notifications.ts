// Notification delivery (docs/decisions/032-notifications.md): one activity attempt sends one
// recorded delivery to its channel and writes the delivery log (attempts, last error, sent time).
// Webhook and Slack channels are called through the SSRF guard like any outbound request; email
// goes through the mail outbox (core/mail/outbox.ts), which delivers it durably on its own.
// Registered by the outgoing-messages worker (worker/mail.ts), next to mail.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Orm } from '../core/db/orm.ts';
import type { Logger } from '../core/log.ts';
import type { Vault } from '../core/credentials/vault.ts';
import { User } from '../core/auth/entities.ts';
import type { MailOutbox } from '../core/mail/outbox.ts';
import { notificationEmail } from '../core/mail/templates.ts';
import { channelSecretContext } from '../core/notifications/channels.ts';
import { NotificationChannelRecord, NotificationDeliveryRecord } from '../core/notifications/entities.ts';
import { headline, messageText, slackBody, webhookBody, type NotificationPayload } from '../core/notifications/events.ts';
import { PERMISSIONS, isRole, roleAtLeast } from '../core/permissions.ts';
import { Membership } from '../core/teams/entities.ts';
import { sign } from '../core/webhooks/service.ts';
import { createGuardedFetch, createTransport, displayUrl } from './http.ts';

/** One attempt's HTTP time limit; the workflow retries with back-off. */
export const NOTIFICATION_TIMEOUT_MS = 10_000;
const USER_AGENT = 'Trellis-Notifications';

export interface NotificationActivityDeps {
  orm: Orm;
  vault: Vault;
  /** The mail outbox email channels hand their messages to. */
  mail: Pick<MailOutbox, 'record' | 'dispatch'>;
  logger: Logger;
  /** TRELLIS_HTTP_ALLOWLIST / TRELLIS_HTTP_PORTS: the same SSRF rules as the http node. */
  allowlist: readonly string[];
  ports?: string;
  timeoutMs?: number;
  /** Counts each attempt's outcome (trellis_notifications_total); optional. */
  onOutcome?: (channelType: string, outcome: 'sent' | 'failed' | 'retry') => void;
}

export interface DeliverNotificationInput {
  deliveryId: string;
}

function attemptNumber(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1; // called outside an activity (tests)
  }
}

/** A failed attempt: `permanent` ones are not retried (refused destination, 4xx, channel gone). */
class DeliveryError extends Error {
  readonly permanent: boolean;
  constructor(message: string, permanent: boolean) {
    super(message);
    this.permanent = permanent;
  }
}

// Control characters of a receiver's answer never reach the log as they are.
// eslint-disable-next-line no-control-regex
const clean = (text: string) => text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();

export function createNotificationActivities(deps: NotificationActivityDeps) {
  const { orm } = deps;
  const guardedFetch = createGuardedFetch(createTransport({ allowlist: deps.allowlist, ports: deps.ports }));
  const timeoutMs = deps.timeoutMs ?? NOTIFICATION_TIMEOUT_MS;

  /** `shown`: how errors name the URL (a Slack URL's path is its secret: only its origin is shown). */
  async function post(url: string, body: string, headers: Record<string, string>, shown?: string): Promise<void> {
    let response: Response;
    try {
      response = await guardedFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...headers },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const failure = error as { nonRetryable?: boolean; message?: string; name?: string };
      if (failure.name === 'TimeoutError' || failure.name === 'AbortError') throw new DeliveryError(`no answer within ${timeoutMs} ms`, false);
      const where = shown ?? (() => {
        try {
          return displayUrl(new URL(url));
        } catch {
          return 'the URL';
        }
      })();
      // The SSRF guard's refusals (private addresses, ports) and unknown hosts will not change on retry.
      if (error instanceof ApplicationFailure) throw new DeliveryError(clean(error.message), error.nonRetryable === true);
      const code = (error as NodeJS.ErrnoException).code;
      throw new DeliveryError(`POST ${where} failed: ${code ?? clean(failure.message ?? String(error))}`, false);
    }
    if (response.status >= 200 && response.status < 300) {
      await response.body?.cancel().catch(() => undefined);
      return;
    }
    const excerpt = clean((await response.text().catch(() => '')).slice(0, 200));
    const transient = response.status >= 500 || response.status === 408 || response.status === 429;
    const why = response.status >= 300 && response.status < 400 ? ' (redirects are not followed)' : '';
    throw new DeliveryError(`the receiver answered ${response.status}${why}${excerpt ? `: ${excerpt}` : ''}`, !transient);
  }

  /** Who gets an email: the people who may approve for approval.waiting, else the channel's list. */
  async function emailRecipients(channel: NotificationChannelRecord, payload: NotificationPayload): Promise<string[]> {
    if (payload.event !== 'approval.waiting') return channel.config.to ?? [];
    const em = orm.em.fork();
    const memberships = await em.find(Membership, { team: channel.teamId });
    const approvers = memberships.filter((m) => isRole(m.role) && roleAtLeast(m.role, PERMISSIONS['runs:approve'].role)).map((m) => m.user);
    if (approvers.length === 0) return [];
    // Verified addresses only: an address nobody proved is theirs gets no run links.
    const users = await em.find(User, { id: { $in: approvers }, emailVerifiedAt: { $ne: null } }, { fields: ['email'] });
    return users.map((u) => u.email).sort();
  }

  async function sendEmail(channel: NotificationChannelRecord, row: NotificationDeliveryRecord, payload: NotificationPayload): Promise<void> {
    const recipients = await emailRecipients(channel, payload);
    if (recipients.length === 0) throw new DeliveryError(payload.event === 'approval.waiting' ? 'no member who may approve has a verified email address' : 'the channel has no recipients', true);
    const subject = headline(payload).slice(0, 200);
    const lines = messageText({ ...payload, url: undefined }).split('\n');
    const action = payload.url ? { label: payload.event === 'approval.waiting' ? 'Review the run' : 'Open in Trellis', link: payload.url } : undefined;
    // The messages and the delivery's "sent" are one transaction: a retried attempt finds it sent
    // and records no second copy. The outbox delivers them (and retries) on its own from here.
    const mailIds = await orm.em.fork().transactional(async (tx) => {
      const ids: (string | undefined)[] = [];
      for (const to of recipients) ids.push(await deps.mail.record(tx, notificationEmail(to, subject, lines, action), 'notification'));
      const now = new Date();
      await tx.nativeUpdate(NotificationDeliveryRecord, { id: row.id }, { status: 'sent', sentAt: now, updatedAt: now });
      return ids;
    });
    for (const id of mailIds) deps.mail.dispatch(id);
  }

  return {
    /** Sends one delivery; a retry of one already sent does nothing. A failed attempt records its error and throws. */
    async deliverNotification(input: DeliverNotificationInput): Promise<void> {
      const em = orm.em.fork();
      const row = await em.findOne(NotificationDeliveryRecord, { id: input.deliveryId });
      if (row?.status === 'sent') return;
      if (!row || row.status !== 'queued') {
        throw ApplicationFailure.create({ type: 'notification_missing', message: `notification ${input.deliveryId} is not waiting to be sent`, nonRetryable: true });
      }
      const attempts = attemptNumber();
      await em.nativeUpdate(NotificationDeliveryRecord, { id: row.id }, { attempts, updatedAt: new Date() });
      const channel = await em.findOne(NotificationChannelRecord, { id: row.channelId });
      const payload = row.payload as unknown as NotificationPayload;
      try {
        if (!channel) throw new DeliveryError('the channel was deleted', true);
        if (channel.type === 'email') {
          await sendEmail(channel, row, payload);
          deps.onOutcome?.(channel.type, 'sent');
          return;
        }
        const secret = channel.secret && channel.keyId ? deps.vault.open({ keyId: channel.keyId, secret: channel.secret }, channelSecretContext(channel)) : undefined;
        if (channel.type === 'slack') {
          if (!secret) throw new DeliveryError('the channel has no URL', true);
          await post(secret, JSON.stringify(slackBody(payload)), {}, `${new URL(secret).origin}/…`);
        } else {
          if (!secret || !channel.config.url) throw new DeliveryError('the channel has no URL or signing secret', true);
          const body = webhookBody(row.id, payload);
          const timestamp = Math.floor(Date.now() / 1000);
          await post(channel.config.url, body, {
            'x-trellis-event': payload.event,
            'x-trellis-delivery': row.id,
            'x-trellis-signature': `t=${timestamp},v1=${sign(secret, timestamp, body)}`,
          });
        }
      } catch (error) {
        const failure = error instanceof DeliveryError ? error : new DeliveryError(clean((error as Error).message ?? String(error)), false);
        const lastError = failure.message.slice(0, 1_000);
        await em.nativeUpdate(NotificationDeliveryRecord, { id: row.id }, { lastError, updatedAt: new Date() });
        deps.logger.warn({ deliveryId: row.id, channelId: row.channelId, event: row.event, attempts, err: lastError }, 'notification delivery attempt failed');
        deps.onOutcome?.(channel?.type ?? 'unknown', failure.permanent ? 'failed' : 'retry');
        throw ApplicationFailure.create({ type: failure.permanent ? 'notification_refused' : 'notification_unavailable', message: lastError, nonRetryable: failure.permanent });
      }
      const now = new Date();
      await em.nativeUpdate(NotificationDeliveryRecord, { id: row.id }, { status: 'sent', sentAt: now, updatedAt: now });
      deps.onOutcome?.(channel.type, 'sent');
    },

    /** The workflow gave up (refused for good, or out of retries): the log says why. */
    async recordNotificationFailed(input: { deliveryId: string; error: string }): Promise<void> {
      const em = orm.em.fork();
      const row = await em.findOne(NotificationDeliveryRecord, { id: input.deliveryId }, { fields: ['lastError'] });
      const lastError = row?.lastError && !input.error.includes(row.lastError) ? `${input.error}; last attempt: ${row.lastError}` : input.error;
      await em.nativeUpdate(NotificationDeliveryRecord, { id: input.deliveryId, status: 'queued' }, { status: 'failed', lastError: lastError.slice(0, 1_000), updatedAt: new Date() });
      deps.logger.error({ deliveryId: input.deliveryId, err: input.error }, 'notification delivery failed for good');
    },
  };
}

export type NotificationActivities = ReturnType<typeof createNotificationActivities>;
