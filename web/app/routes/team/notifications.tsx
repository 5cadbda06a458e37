// /t/:teamId/settings/notifications (admins): where the team hears about failed and finished runs,
// approvals waiting and quotas running out — email, a Slack-compatible incoming webhook, or a
// signed webhook whose secret is shown once. Each channel can send a test, and shows its delivery
// log (docs/decisions/032-notifications.md).
import { useState } from 'react';
import { data, Link, useFetcher } from 'react-router';
import { ConfirmAction } from '../../components/confirm-action.tsx';
import { Alert, Badge, Button, Card, Dialog, DialogActions, EmptyState, Field, PageHeader, SecretOnce, Select, Table, formatTime, useActionToast } from '../../components/ui.tsx';
import { attempt, clientFor } from '../../lib/api.server.ts';
import { fieldErrors, type Problem } from '../../lib/problems.ts';
import { requireTeam } from '../../lib/session.server.ts';
import { canAdmin, teamPath, type ChannelType, type NotificationChannelView, type NotificationDeliveryView, type NotificationEvent } from '../../lib/types.ts';
import type { Route } from './+types/notifications.ts';

const EVENTS = [
  { event: 'run.failed', description: 'A run failed or timed out' },
  { event: 'run.succeeded', description: 'A run succeeded' },
  { event: 'approval.waiting', description: 'An approval waits (emails go to the members who may approve)' },
  { event: 'quota.warning', description: '80 % of a monthly quota is used' },
  { event: 'quota.exhausted', description: 'A monthly quota is used up' },
] as const;

const TYPES = [
  { type: 'email', label: 'Email' },
  { type: 'slack', label: 'Slack (incoming webhook)' },
  { type: 'webhook', label: 'Signed webhook' },
] as const;

export const meta: Route.MetaFunction = ({ loaderData }) => [{ title: `Notifications · ${loaderData?.team.name ?? 'Team'} · Trellis` }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const { team } = await requireTeam(request, params.teamId);
  if (!canAdmin(team.role)) return { team, channels: null, workflows: [], selected: null, deliveries: [] };
  const api = clientFor(request).team(team.id);
  const [channels, workflows] = await Promise.all([api.call('listNotificationChannels'), api.call('listWorkflows', { query: { limit: 100 } })]);
  // ?channel=<id> opens that channel's delivery log.
  const wanted = new URL(request.url).searchParams.get('channel');
  const selected = channels.items.find((c) => c.id === wanted) ?? null;
  const deliveries = selected ? (await api.call('listNotificationDeliveries', { params: { channelId: selected.id }, query: { limit: 50 } })).items : [];
  return { team, channels: channels.items, workflows: workflows.items.map((w) => ({ id: w.id, name: w.name })), selected, deliveries };
}

function failed(intent: string, problem: Problem) {
  return data({ intent, ok: false as const, toast: undefined, secret: null, errors: fieldErrors(problem) }, { status: problem.status ?? 400 });
}

export async function action({ request, params }: Route.ActionArgs) {
  const { team } = await requireTeam(request, params.teamId);
  const api = clientFor(request).team(team.id);
  const form = await request.formData();
  const intent = String(form.get('intent') ?? '');
  const channelId = String(form.get('channelId') ?? '');

  if (intent === 'create') {
    const type = String(form.get('type') ?? '') as ChannelType; // the API refuses an unknown type or event
    const target = String(form.get('target') ?? '').trim();
    const to = target.split(/[\s,;]+/).filter(Boolean);
    const config = type === 'email' ? (to.length > 0 ? { to } : {}) : { url: target };
    const workflowIds = form.getAll('workflowIds').map(String).filter(Boolean);
    const body = { name: String(form.get('name') ?? '').trim(), type, config, events: form.getAll('events').map(String) as NotificationEvent[], ...(workflowIds.length ? { workflowIds } : {}) };
    const result = await attempt(() => api.call('createNotificationChannel', { body }));
    if (!result.ok) return failed(intent, result.problem);
    // A webhook's signing secret goes to this one answer only.
    return data({ intent, ok: true as const, toast: `Channel "${body.name}" added`, secret: result.data.secret ?? null, errors: {} as Record<string, string> }, { headers: { 'Cache-Control': 'no-store' } });
  }
  if (intent === 'test') {
    const result = await attempt(() => api.call('testNotificationChannel', { params: { channelId } }));
    if (!result.ok) return failed(intent, result.problem);
    return { intent, ok: true as const, toast: 'Test sent: its outcome appears in the delivery log', secret: null, errors: {} as Record<string, string> };
  }
  if (intent === 'delete') {
    const result = await attempt(() => api.call('deleteNotificationChannel', { params: { channelId } }));
    if (!result.ok) return failed(intent, result.problem);
    return { intent, ok: true as const, toast: 'Channel removed', secret: null, errors: {} as Record<string, string> };
  }
  return failed(intent, { status: 400, detail: 'Unknown action' });
}

function target(channel: NotificationChannelView): string {
  return channel.type === 'email' ? (channel.config.to?.join(', ') ?? 'Members who may approve') : (channel.config.url ?? '');
}

export default function Notifications({ loaderData }: Route.ComponentProps) {
  const { team, channels, workflows, selected, deliveries } = loaderData;
  const [creating, setCreating] = useState(0);
  const [deleting, setDeleting] = useState<NotificationChannelView | null>(null);
  const tester = useFetcher<typeof action>();
  useActionToast(tester.data);

  if (!channels) {
    return (
      <div className="mx-auto max-w-5xl">
        <PageHeader title="Notifications" />
        <Alert tone="info">Only admins and owners can see and manage notification channels.</Alert>
      </div>
    );
  }
  const workflowName = new Map(workflows.map((w) => [w.id, w.name]));

  return (
    <div className="mx-auto max-w-5xl space-y-6">
      <PageHeader
        title="Notifications"
        description="Tell people or systems when runs fail or finish, approvals wait, or quotas run low."
        actions={<Button onClick={() => setCreating((n) => n + 1)}>New channel</Button>}
      />

      {channels.length === 0 ? (
        <EmptyState title="No notification channels yet">Add an email list, a Slack channel or a signed webhook.</EmptyState>
      ) : (
        <Table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Sends to</th>
              <th scope="col">Events</th>
              <th scope="col" className="hidden md:table-cell">Workflows</th>
              <th scope="col" aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {channels.map((channel) => (
              <tr key={channel.id}>
                <td className="font-medium">
                  <Link to={`?channel=${encodeURIComponent(channel.id)}`} aria-label={`Deliveries of ${channel.name}`}>
                    {channel.name}
                  </Link>
                  <div className="text-xs text-slate-500 dark:text-slate-400">{TYPES.find((t) => t.type === channel.type)?.label ?? channel.type}</div>
                </td>
                <td className="max-w-64 truncate font-mono text-xs" title={target(channel)}>
                  {target(channel)}
                </td>
                <td>
                  <div className="flex flex-wrap gap-1">
                    {channel.events.map((event) => (
                      <Badge key={event}>{event}</Badge>
                    ))}
                  </div>
                </td>
                <td className="hidden text-slate-600 md:table-cell dark:text-slate-400">
                  {channel.workflowIds?.length ? channel.workflowIds.map((id) => workflowName.get(id) ?? id).join(', ') : 'All'}
                </td>
                <td className="text-right whitespace-nowrap">
                  <tester.Form method="post" className="inline">
                    <input type="hidden" name="intent" value="test" />
                    <input type="hidden" name="channelId" value={channel.id} />
                    <Button type="submit" variant="secondary" size="sm" aria-label={`Send a test to ${channel.name}`} disabled={tester.state !== 'idle'}>
                      Send test
                    </Button>
                  </tester.Form>{' '}
                  <Button variant="danger-ghost" size="sm" aria-label={`Remove ${channel.name}`} onClick={() => setDeleting(channel)}>
                    Remove
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}

      {selected && <DeliveryLog channel={selected} deliveries={deliveries} closeTo={teamPath(team.id, '/settings/notifications')} />}

      {creating > 0 && <NewChannelDialog key={creating} workflows={workflows} onClose={() => setCreating(0)} />}
      <ConfirmAction
        key={deleting?.id ?? 'none'}
        open={deleting !== null}
        title={`Remove channel "${deleting?.name ?? ''}"?`}
        confirmLabel="Remove channel"
        fields={{ intent: 'delete', channelId: deleting?.id ?? '' }}
        onClose={() => setDeleting(null)}
      >
        Nothing more is sent to it, and its delivery log is deleted.
      </ConfirmAction>
    </div>
  );
}

function DeliveryLog({ channel, deliveries, closeTo }: { channel: NotificationChannelView; deliveries: NotificationDeliveryView[]; closeTo: string }) {
  return (
    <Card
      title={`Deliveries of "${channel.name}"`}
      actions={
        <div className="flex gap-2">
          <Link to={`?channel=${encodeURIComponent(channel.id)}`} className="text-sm">
            Refresh
          </Link>
          <Link to={closeTo} className="text-sm">
            Close
          </Link>
        </div>
      }
    >
      {deliveries.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">Nothing sent yet. Send a test to check the channel.</p>
      ) : (
        <Table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>
            {deliveries.map((d) => (
              <tr key={d.id}>
                <td className="whitespace-nowrap text-slate-600 dark:text-slate-400">{formatTime(d.at)}</td>
                <td>
                  <Badge>{d.event}</Badge>
                </td>
                <td>
                  <Badge status={d.status === 'sent' ? 'succeeded' : d.status === 'failed' ? 'failed' : 'running'}>{d.status}</Badge>
                </td>
                <td>{d.attempts}</td>
                <td className="max-w-80 text-xs break-words text-slate-600 dark:text-slate-400">{d.lastError ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </Card>
  );
}

function NewChannelDialog({ workflows, onClose }: { workflows: { id: string; name: string }[]; onClose: () => void }) {
  const fetcher = useFetcher<typeof action>();
  const result = fetcher.data;
  useActionToast(result);
  const [type, setType] = useState<string>('webhook');
  const errors = result && !result.ok ? result.errors : {};
  const created = result?.ok && result.intent === 'create';
  return (
    <Dialog open onClose={onClose} title="New notification channel">
      {created ? (
        <div className="space-y-4">
          {result.secret ? (
            <SecretOnce label="Signing secret (verify X-Trellis-Signature with it; it is not shown again)" value={result.secret} />
          ) : (
            <p className="text-sm">The channel is ready. Send a test to check it.</p>
          )}
          <div className="flex justify-end">
            <Button onClick={onClose}>Done</Button>
          </div>
        </div>
      ) : (
        <fetcher.Form method="post" className="space-y-4">
          <input type="hidden" name="intent" value="create" />
          <Field label="Name" name="name" required maxLength={100} autoComplete="off" placeholder="e.g. On-call" error={errors.name} />
          <Field label="Type" id="channel-type" error={errors.type}>
            <Select id="channel-type" name="type" value={type} onChange={(e) => setType(e.target.value)}>
              {TYPES.map((t) => (
                <option key={t.type} value={t.type}>
                  {t.label}
                </option>
              ))}
            </Select>
          </Field>
          <Field
            label={type === 'email' ? 'Email addresses' : type === 'slack' ? 'Incoming webhook URL' : 'Receiver URL'}
            name="target"
            autoComplete="off"
            maxLength={2000}
            placeholder={type === 'email' ? 'ops@example.com, oncall@example.com' : 'https://…'}
            hint={type === 'email' ? 'Comma-separated. Approvals go to the members who may approve.' : type === 'webhook' ? 'Trellis POSTs JSON signed with X-Trellis-Signature.' : undefined}
            error={errors.config}
          />
          <fieldset aria-describedby={errors.events ? 'events-error' : undefined}>
            <legend className="mb-2 text-sm font-medium text-slate-700 dark:text-slate-300">Events</legend>
            <div className="space-y-2">
              {EVENTS.map(({ event, description }) => (
                <div key={event} className="flex items-start gap-2">
                  <input id={`event-${event}`} type="checkbox" name="events" value={event} defaultChecked={event === 'run.failed'} className="mt-0.5 size-4 accent-brand-600" />
                  <label htmlFor={`event-${event}`} className="text-sm">
                    <span className="font-mono">{event}</span> <span className="text-slate-500 dark:text-slate-400">— {description}</span>
                  </label>
                </div>
              ))}
            </div>
            {errors.events && (
              <p id="events-error" className="mt-2 text-sm text-red-600 dark:text-red-400" role="alert">
                {errors.events}
              </p>
            )}
          </fieldset>
          {workflows.length > 0 && (
            <Field label="Only these workflows (runs and approvals)" id="channel-workflows" hint="None selected: every workflow." error={errors.workflowIds}>
              <Select id="channel-workflows" name="workflowIds" multiple size={Math.min(6, workflows.length)}>
                {workflows.map((w) => (
                  <option key={w.id} value={w.id}>
                    {w.name}
                  </option>
                ))}
              </Select>
            </Field>
          )}
          {errors.form && <Alert>{errors.form}</Alert>}
          <DialogActions onCancel={onClose} submit="Add channel" busy={fetcher.state !== 'idle'} busyLabel="Adding…" />
        </fetcher.Form>
      )}
    </Dialog>
  );
}
