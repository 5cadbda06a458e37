// What a notification says: the events a channel may subscribe to, the JSON a webhook channel
// receives, and the text of a Slack message or an email. Pure functions, shared by the api (send
// test) and the worker (deliveries).

// The events, channel types and the payload are part of the wire contract (a webhook channel receives the payload).
export { CHANNEL_TYPES, NOTIFICATION_EVENTS, TEST_EVENT, type ChannelType, type NotificationEvent, type NotificationPayload } from '../../contract/notifications.ts';
import { TEST_EVENT, type NotificationPayload, type NotificationWebhookBody } from '../../contract/notifications.ts';

export function runUrl(publicUrl: string, teamId: string, runId: string): string {
  return `${publicUrl.replace(/\/$/, '')}/t/${encodeURIComponent(teamId)}/runs/${encodeURIComponent(runId)}`;
}

export function usageUrl(publicUrl: string, teamId: string): string {
  return `${publicUrl.replace(/\/$/, '')}/t/${encodeURIComponent(teamId)}`;
}

const QUOTA_LABELS = { runs: 'runs this month', aiTokens: 'AI tokens this month', aiBudgetUsd: 'US dollars of AI spend this month' } as const;

/** One line saying what happened (Slack text, email subject). */
export function headline(payload: NotificationPayload): string {
  const workflow = payload.workflowName ? `"${payload.workflowName}"` : payload.workflowId ?? 'a workflow';
  switch (payload.event) {
    case 'run.failed':
      return `Run of ${workflow} ${payload.status === 'timed_out' ? 'timed out' : 'failed'}${payload.errorNodeId ? ` at node "${payload.errorNodeId}"` : ''}`;
    case 'run.succeeded':
      return `Run of ${workflow} succeeded`;
    case 'approval.waiting':
      return `Approval waiting: ${workflow}, node "${payload.nodeId ?? '?'}"`;
    case 'quota.warning':
    case 'quota.exhausted': {
      const q = payload.quota;
      if (!q) return payload.event === 'quota.warning' ? 'A quota is almost used up' : 'A quota is used up';
      return `${payload.event === 'quota.warning' ? 'Quota warning' : 'Quota exhausted'}: ${q.percent}% of ${q.limit} ${QUOTA_LABELS[q.name]} used`;
    }
    default:
      return 'Test notification from Trellis';
  }
}

/** The message body for people (Slack, email): headline, details, link. */
export function messageText(payload: NotificationPayload): string {
  const lines = [headline(payload)];
  if (payload.message) lines.push(payload.message.slice(0, 1_000));
  if (payload.error) lines.push(`Error: ${payload.error.slice(0, 1_000)}`);
  if (payload.runId) lines.push(`Run: ${payload.runId}`);
  if (payload.event === TEST_EVENT) lines.push('This channel is set up: Trellis can reach it.');
  if (payload.url) lines.push(payload.url);
  return lines.join('\n');
}

/** A Slack-compatible incoming webhook body (Slack, Mattermost, Rocket.Chat, Discord's /slack). */
export function slackBody(payload: NotificationPayload): { text: string } {
  // Slack reads <url|label>, & < > must be escaped in the rest.
  const escape = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  const lines = messageText({ ...payload, url: undefined }).split('\n').map(escape);
  if (payload.url) lines.push(`<${payload.url}|${payload.event === 'approval.waiting' ? 'Review the run' : 'Open in Trellis'}>`);
  return { text: lines.join('\n') };
}

/** A signed webhook channel's JSON body: the payload and the delivery id (also in X-Trellis-Delivery). */
export function webhookBody(deliveryId: string, payload: NotificationPayload): string {
  const body: NotificationWebhookBody = { id: deliveryId, ...payload };
  return JSON.stringify(body);
}
