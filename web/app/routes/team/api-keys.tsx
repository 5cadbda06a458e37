// /t/:teamId/settings/api-keys (admins): keys for scripts and other services. A new key is shown
// exactly once, right after it is created; the API keeps only its hash and a visible prefix.
// Every key expires (docs/decisions/024-api-key-lifetime.md): the list shows when, and when it was last used.
import { useState } from 'react';
import { data, useFetcher } from 'react-router';
import { Alert, Badge, Button, Dialog, DialogActions, EmptyState, Field, PageHeader, SecretOnce, Select, Table, formatTime, useActionToast } from '../../components/ui.tsx';
import { attempt, clientFor } from '../../lib/api.server.ts';
import { fieldErrors, type Problem } from '../../lib/problems.ts';
import { requireTeam } from '../../lib/session.server.ts';
import { canAdmin } from '../../lib/types.ts';
import type { Route } from './+types/api-keys.ts';
import { ConfirmAction } from '../../components/confirm-action.tsx';
import type { ApiKeyView, Scope } from '../../lib/types.ts';

type ApiKey = ApiKeyView;

const SCOPES = [
  { scope: 'workflows:read', description: 'List and read workflows, their versions and triggers' },
  { scope: 'workflows:write', description: 'Create, edit and delete workflows, webhooks and schedules' },
  { scope: 'runs:read', description: 'List runs, read their results and live events' },
  { scope: 'runs:write', description: 'Start, cancel and rerun runs; answer approvals' },
] as const;

/** Lifetimes offered for a new key, in days (the API allows up to 365; 90 is its default). */
const LIFETIMES = [
  { days: 30, label: '30 days' },
  { days: 90, label: '90 days' },
  { days: 180, label: '180 days' },
  { days: 365, label: '1 year' },
] as const;

export const meta: Route.MetaFunction = ({ loaderData }) => [{ title: `API keys · ${loaderData?.team.name ?? 'Team'} · Trellis` }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const { team } = await requireTeam(request, params.teamId);
  if (!canAdmin(team.role)) return { team, keys: null, moreKeys: false };
  const keys = await clientFor(request).team(team.id).call('listApiKeys', { query: { limit: 100 } });
  return { team, keys: keys.items, moreKeys: keys.nextCursor !== null };
}

function failed(intent: string, problem: Problem) {
  return data({ intent, ok: false as const, toast: undefined, created: null, errors: fieldErrors(problem) }, { status: problem.status ?? 400 });
}

export async function action({ request, params }: Route.ActionArgs) {
  const { team } = await requireTeam(request, params.teamId);
  const api = clientFor(request).team(team.id);
  const form = await request.formData();
  const intent = String(form.get('intent') ?? '');

  if (intent === 'create') {
    const name = String(form.get('name') ?? '').trim();
    const scopes = form.getAll('scopes').map(String) as Scope[]; // the API refuses an unknown scope
    const days = Number(form.get('lifetimeDays') ?? 90);
    const missing: Problem['problems'] = [];
    if (!name) missing.push({ path: 'name', message: 'Give the key a name' });
    if (scopes.length === 0) missing.push({ path: 'scopes', message: 'Choose at least one scope' });
    if (!LIFETIMES.some((lifetime) => lifetime.days === days)) missing.push({ path: 'expiresAt', message: 'Choose how long the key works' });
    if (missing.length > 0) return failed(intent, { status: 400, problems: missing });
    const result = await attempt(() => api.call('createApiKey', { body: { name, scopes, expiresAt: new Date(Date.now() + days * 86_400_000).toISOString() } }));
    if (!result.ok) return failed(intent, result.problem);
    const { key, prefix } = result.data;
    // The key itself goes to this one answer only (never to a loader, never logged).
    return data({ intent, ok: true as const, toast: `API key "${name}" created`, created: { name, prefix, key }, errors: {} as Record<string, string> }, { headers: { 'Cache-Control': 'no-store' } });
  }
  if (intent === 'delete') {
    const result = await attempt(() => api.call('revokeApiKey', { params: { keyId: String(form.get('keyId') ?? '') } }));
    if (!result.ok) return failed(intent, result.problem);
    return { intent, ok: true as const, toast: 'API key deleted', created: null, errors: {} as Record<string, string> };
  }
  return failed(intent, { status: 400, detail: 'Unknown action' });
}

export default function ApiKeys({ loaderData }: Route.ComponentProps) {
  const { keys, moreKeys } = loaderData;
  const [creating, setCreating] = useState(0); // > 0: the dialog is open; each opening is a fresh form
  const [deleting, setDeleting] = useState<ApiKey | null>(null);

  if (!keys) {
    return (
      <div className="mx-auto max-w-5xl">
        <PageHeader title="API keys" />
        <Alert tone="info">Only admins and owners can see and manage API keys.</Alert>
      </div>
    );
  }

  return (
    <div className="mx-auto max-w-5xl space-y-6">
      <PageHeader
        title="API keys"
        description={
          <>
            Keys let scripts and services call the API as this team: <code className="text-xs">Authorization: Bearer trk_…</code>
          </>
        }
        actions={<Button onClick={() => setCreating((n) => n + 1)}>New API key</Button>}
      />

      {keys.length === 0 ? (
        <EmptyState title="No API keys yet">Create one for each script or service, with only the scopes it needs.</EmptyState>
      ) : (
        <Table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Scopes</th>
              <th scope="col" className="hidden md:table-cell">Created</th>
              <th scope="col" className="hidden sm:table-cell">Last used</th>
              <th scope="col">Expires</th>
              <th scope="col" aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr key={key.id}>
                <td className="font-medium">{key.name}</td>
                <td>
                  <code className="font-mono text-xs whitespace-nowrap">{key.prefix}…</code>
                </td>
                <td>
                  <div className="flex flex-wrap gap-1">
                    {key.scopes.map((scope) => (
                      <Badge key={scope}>{scope}</Badge>
                    ))}
                  </div>
                </td>
                <td className="hidden whitespace-nowrap text-slate-600 md:table-cell dark:text-slate-400">{formatTime(key.createdAt)}</td>
                <td className="hidden whitespace-nowrap text-slate-600 sm:table-cell dark:text-slate-400">{key.lastUsedAt ? formatTime(key.lastUsedAt) : 'Never'}</td>
                <td className="whitespace-nowrap text-slate-600 dark:text-slate-400">
                  {key.expired ? <Badge status="failed">Expired</Badge> : key.expiresAt ? formatTime(key.expiresAt) : 'Never'}
                </td>
                <td className="text-right">
                  <Button variant="danger-ghost" size="sm" aria-label={`Delete ${key.name}`} onClick={() => setDeleting(key)}>
                    Delete
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {moreKeys && <p className="text-sm text-slate-500 dark:text-slate-400">Showing the 100 newest keys.</p>}

      {creating > 0 && <NewKeyDialog key={creating} onClose={() => setCreating(0)} />}
      <ConfirmAction
        key={deleting?.id ?? 'none'}
        open={deleting !== null}
        title={`Delete API key "${deleting?.name ?? ''}"?`}
        confirmLabel="Delete key"
        fields={{ intent: 'delete', keyId: deleting?.id ?? '' }}
        onClose={() => setDeleting(null)}
      >
        Programs using this key are refused from the next request on. This cannot be undone.
      </ConfirmAction>
    </div>
  );
}

function NewKeyDialog({ onClose }: { onClose: () => void }) {
  const fetcher = useFetcher<typeof action>();
  const result = fetcher.data;
  useActionToast(result);
  const errors = result && !result.ok ? result.errors : {};
  const created = result?.ok ? result.created : null;
  return (
    <Dialog open onClose={onClose} title="New API key">
      {created ? (
        <div className="space-y-4">
          <SecretOnce label={`API key "${created.name}"`} value={created.key} />
          <div className="flex justify-end">
            <Button onClick={onClose}>Done</Button>
          </div>
        </div>
      ) : (
        <fetcher.Form method="post" className="space-y-4">
          <input type="hidden" name="intent" value="create" />
          <Field label="Name" name="name" required maxLength={100} autoComplete="off" placeholder="e.g. CI deploys" error={errors.name} />
          <Field label="Expires after" id="key-lifetime" error={errors.expiresAt}>
            <Select id="key-lifetime" name="lifetimeDays" defaultValue="90" aria-invalid={errors.expiresAt ? true : undefined}>
              {LIFETIMES.map(({ days, label }) => (
                <option key={days} value={days}>
                  {label}
                </option>
              ))}
            </Select>
          </Field>
          <fieldset aria-describedby={errors.scopes ? 'scopes-error' : undefined}>
            <legend className="mb-2 text-sm font-medium text-slate-700 dark:text-slate-300">Scopes</legend>
            <div className="space-y-2">
              {SCOPES.map(({ scope, description }) => (
                <div key={scope} className="flex items-start gap-2">
                  <input id={`scope-${scope}`} type="checkbox" name="scopes" value={scope} aria-describedby={`scope-${scope}-hint`} className="mt-0.5 size-4 accent-brand-600" />
                  <div>
                    <label htmlFor={`scope-${scope}`} className="font-mono text-sm">
                      {scope}
                    </label>
                    <p id={`scope-${scope}-hint`} className="text-xs text-slate-500 dark:text-slate-400">
                      {description}
                    </p>
                  </div>
                </div>
              ))}
            </div>
            {errors.scopes && (
              <p id="scopes-error" className="mt-2 text-sm text-red-600 dark:text-red-400" role="alert">
                {errors.scopes}
              </p>
            )}
          </fieldset>
          {errors.form && <Alert>{errors.form}</Alert>}
          <DialogActions onCancel={onClose} submit="Create key" busy={fetcher.state !== 'idle'} busyLabel="Creating…" />
        </fetcher.Form>
      )}
    </Dialog>
  );
}

