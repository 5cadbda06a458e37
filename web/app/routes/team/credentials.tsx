// /t/:teamId/settings/credentials: secrets that nodes use (AI provider keys, HTTP auth). They are
// written once and sealed by the API; neither the list nor any other answer ever contains them.
// HTTP credentials name the hosts they may be sent to; only admins change those afterwards.
import { useEffect, useEffectEvent, useState } from 'react';
import { data, useFetcher } from 'react-router';
import { Alert, Badge, Button, CopyButton, Dialog, DialogActions, EmptyState, Field, PageHeader, Select, Table, formatTime, useActionToast } from '../../components/ui.tsx';
import { attempt, clientFor } from '../../lib/api.server.ts';
import { fieldErrors, type Problem } from '../../lib/problems.ts';
import { requireTeam } from '../../lib/session.server.ts';
import { canAdmin, canEdit } from '../../lib/types.ts';
import type { Route } from './+types/credentials.ts';
import { ConfirmAction } from '../../components/confirm-action.tsx';
import type { CredentialSummary } from '../../lib/types.ts';

type Credential = CredentialSummary;

interface SecretField {
  /** The key in the credential's `data` (core/credentials/service.ts, CredentialData). */
  key: string;
  label: string;
  secret?: boolean;
  optional?: boolean;
  placeholder?: string;
  hint?: string;
}

/** Each credential type and the fields of its `data`, as the API validates them; `hosts`: bound to allowed hosts. */
const TYPES = {
  openai: {
    label: 'OpenAI-compatible API key',
    hosts: false,
    fields: [
      { key: 'apiKey', label: 'API key', secret: true, placeholder: 'sk-…' },
      { key: 'baseUrl', label: 'Base URL', optional: true, placeholder: 'https://api.openai.com/v1', hint: 'Optional: for any OpenAI-compatible server. Empty means OpenAI.' },
    ],
  },
  http_header: {
    label: 'HTTP header',
    hosts: true,
    fields: [
      { key: 'name', label: 'Header name', placeholder: 'X-Api-Key', hint: 'Letters, digits and dashes.' },
      { key: 'value', label: 'Header value', secret: true },
    ],
  },
  http_basic: {
    label: 'HTTP basic auth',
    hosts: true,
    fields: [
      { key: 'username', label: 'Username' },
      { key: 'password', label: 'Password', secret: true, optional: true },
    ],
  },
  http_bearer: {
    label: 'HTTP bearer token',
    hosts: true,
    fields: [{ key: 'token', label: 'Token', secret: true }],
  },
} satisfies Record<string, { label: string; hosts: boolean; fields: SecretField[] }>;
type CredentialType = keyof typeof TYPES;
const isType = (value: string): value is CredentialType => Object.hasOwn(TYPES, value);

/** The host patterns typed into the form: separated by commas, spaces or new lines. */
const hostList = (value: FormDataEntryValue | null) => String(value ?? '').split(/[\s,]+/).filter(Boolean);
const HOSTS_HINT = 'The secret is sent only to these hosts: api.example.com, *.example.com (its subdomains) or an IP address; separate them with commas.';

export const meta: Route.MetaFunction = ({ loaderData }) => [{ title: `Credentials · ${loaderData?.team.name ?? 'Team'} · Trellis` }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const { team } = await requireTeam(request, params.teamId);
  // credentials:read needs an editor; viewers get the explanation instead of a 403.
  if (!canEdit(team.role)) return { team, credentials: null };
  const list = await clientFor(request).team(team.id).call('listCredentials');
  return { team, credentials: list.items };
}

/** Field errors, keeping `data.<key>` whole so each secret field gets its own message. */
function credentialErrors(problem: Problem): Record<string, string> {
  const errors = fieldErrors(problem);
  for (const { path, message } of problem.problems ?? []) {
    if (path.startsWith('data.')) errors[path] ??= message;
  }
  if (Object.keys(errors).some((key) => key.startsWith('data.'))) delete errors.data;
  // A duplicate name is a 409 without a field path: it belongs next to the name.
  if (problem.code === 'conflict' && errors.form) {
    errors.name = errors.form;
    delete errors.form;
  }
  return errors;
}

function failed(intent: string, problem: Problem) {
  return data({ intent, ok: false as const, toast: undefined, errors: credentialErrors(problem) }, { status: problem.status ?? 400 });
}

export async function action({ request, params }: Route.ActionArgs) {
  const { team } = await requireTeam(request, params.teamId);
  const api = clientFor(request).team(team.id);
  const form = await request.formData();
  const intent = String(form.get('intent') ?? '');

  if (intent === 'create') {
    const name = String(form.get('name') ?? '').trim();
    const type = String(form.get('type') ?? '');
    if (!isType(type)) return failed(intent, { status: 400, problems: [{ path: 'type', message: 'Choose a type' }] });
    // Only the chosen type's fields; secrets are sent exactly as typed (no trimming).
    const secretData: Record<string, string> = {};
    for (const field of TYPES[type].fields as SecretField[]) {
      const value = String(form.get(`data.${field.key}`) ?? '');
      if (value === '' && field.optional && field.key !== 'password') continue;
      secretData[field.key] = field.secret ? value : value.trim();
    }
    const allowedHosts = TYPES[type].hosts ? { allowedHosts: hostList(form.get('allowedHosts')) } : {};
    const result = await attempt(() => api.call('createCredential', { body: { name, type, data: secretData, ...allowedHosts } }));
    if (!result.ok) return failed(intent, result.problem);
    return { intent, ok: true as const, toast: `Credential "${name}" saved`, errors: {} as Record<string, string> };
  }
  if (intent === 'hosts') {
    const id = String(form.get('credentialId') ?? '');
    const result = await attempt(() => api.call('setCredentialHosts', { params: { credentialId: id }, body: { allowedHosts: hostList(form.get('allowedHosts')) } }));
    if (!result.ok) return failed(intent, result.problem);
    return { intent, ok: true as const, toast: 'Allowed hosts saved', errors: {} as Record<string, string> };
  }
  if (intent === 'delete') {
    const result = await attempt(() => api.call('deleteCredential', { params: { credentialId: String(form.get('credentialId') ?? '') } }));
    if (!result.ok) return failed(intent, result.problem);
    return { intent, ok: true as const, toast: 'Credential deleted', errors: {} as Record<string, string> };
  }
  return failed(intent, { status: 400, detail: 'Unknown action' });
}

export default function Credentials({ loaderData }: Route.ComponentProps) {
  const { credentials, team } = loaderData;
  const [creating, setCreating] = useState(0); // > 0: the dialog is open; each opening is a fresh form
  const [deleting, setDeleting] = useState<Credential | null>(null);
  const [editingHosts, setEditingHosts] = useState<Credential | null>(null);
  const admin = canAdmin(team.role);

  if (!credentials) {
    return (
      <div className="mx-auto max-w-5xl">
        <PageHeader title="Credentials" />
        <Alert tone="info">Only editors, admins and owners can see and manage credentials.</Alert>
      </div>
    );
  }

  return (
    <div className="mx-auto max-w-5xl space-y-6">
      <PageHeader
        title="Credentials"
        description="Secrets for AI and HTTP nodes, encrypted at rest and never shown again once saved. Nodes use a credential by its ID."
        actions={<Button onClick={() => setCreating((n) => n + 1)}>New credential</Button>}
      />

      {credentials.length === 0 ? (
        <EmptyState title="No credentials yet">Add an AI provider key or HTTP authentication for your nodes to use.</EmptyState>
      ) : (
        <Table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col" className="hidden sm:table-cell">ID</th>
              <th scope="col">Type</th>
              <th scope="col">Allowed hosts</th>
              <th scope="col" className="hidden md:table-cell">Created</th>
              <th scope="col" aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {credentials.map((credential) => (
              <tr key={credential.id}>
                <td className="font-medium break-all">{credential.name}</td>
                <td className="hidden sm:table-cell">
                  <div className="flex items-center gap-1">
                    <code className="font-mono text-xs whitespace-nowrap">{credential.id}</code>
                    <CopyButton text={credential.id} label="Copy ID" />
                  </div>
                </td>
                <td>
                  <Badge>{isType(credential.type) ? TYPES[credential.type].label : credential.type}</Badge>
                </td>
                <td className="text-sm break-all">
                  {!isType(credential.type) || !TYPES[credential.type].hosts ? (
                    <span className="text-slate-500 dark:text-slate-400">its base URL</span>
                  ) : credential.allowedHosts?.length ? (
                    <span className="font-mono text-xs">{credential.allowedHosts.join(', ')}</span>
                  ) : (
                    <Badge status="waiting">None set: not sent anywhere</Badge>
                  )}
                </td>
                <td className="hidden whitespace-nowrap text-slate-600 md:table-cell dark:text-slate-400">{formatTime(credential.createdAt)}</td>
                <td className="text-right whitespace-nowrap">
                  {admin && isType(credential.type) && TYPES[credential.type].hosts && (
                    <Button variant="ghost" size="sm" aria-label={`Edit allowed hosts of ${credential.name}`} onClick={() => setEditingHosts(credential)}>
                      Hosts
                    </Button>
                  )}
                  <Button variant="danger-ghost" size="sm" aria-label={`Delete ${credential.name}`} onClick={() => setDeleting(credential)}>
                    Delete
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}

      {creating > 0 && <NewCredentialDialog key={creating} onClose={() => setCreating(0)} />}
      {editingHosts && <HostsDialog key={editingHosts.id} credential={editingHosts} onClose={() => setEditingHosts(null)} />}
      <ConfirmAction
        key={deleting?.id ?? 'none'}
        open={deleting !== null}
        title={`Delete credential "${deleting?.name ?? ''}"?`}
        confirmLabel="Delete credential"
        fields={{ intent: 'delete', credentialId: deleting?.id ?? '' }}
        onClose={() => setDeleting(null)}
      >
        Nodes that use it fail from their next run on. This cannot be undone.
      </ConfirmAction>
    </div>
  );
}

function NewCredentialDialog({ onClose }: { onClose: () => void }) {
  const fetcher = useFetcher<typeof action>();
  const [type, setType] = useState<CredentialType>('openai');
  const result = fetcher.data;
  useActionToast(result);
  const close = useEffectEvent(onClose);
  useEffect(() => {
    if (result?.ok) close(); // the secret leaves the page with the form
  }, [result]);
  const errors = result && !result.ok ? result.errors : {};
  return (
    <Dialog open onClose={onClose} title="New credential">
      <fetcher.Form method="post" className="space-y-4" autoComplete="off">
        <input type="hidden" name="intent" value="create" />
        <Field label="Name" name="name" required maxLength={100} placeholder="e.g. openai-prod" error={errors.name} />
        <Field label="Type" id="credential-type" error={errors.type}>
          <Select id="credential-type" name="type" value={type} onChange={(event) => isType(event.target.value) && setType(event.target.value)}>
            {Object.entries(TYPES).map(([value, { label }]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </Select>
        </Field>
        {(TYPES[type].fields as SecretField[]).map((field) => (
          <Field
            key={`${type}.${field.key}`}
            label={field.label}
            name={`data.${field.key}`}
            type={field.secret ? 'password' : field.key === 'baseUrl' ? 'url' : 'text'}
            autoComplete={field.secret ? 'new-password' : 'off'}
            spellCheck={false}
            required={!field.optional}
            placeholder={field.placeholder}
            hint={field.hint}
            error={errors[`data.${field.key}`]}
          />
        ))}
        {TYPES[type].hosts && (
          <Field label="Allowed hosts" name="allowedHosts" required spellCheck={false} placeholder="api.example.com, *.example.com" hint={HOSTS_HINT} error={errors.allowedHosts} />
        )}
        {(errors.form ?? errors.data) && <Alert>{errors.form ?? errors.data}</Alert>}
        <DialogActions onCancel={onClose} submit="Save credential" busy={fetcher.state !== 'idle'} busyLabel="Saving…" />
      </fetcher.Form>
    </Dialog>
  );
}

function HostsDialog({ credential, onClose }: { credential: Credential; onClose: () => void }) {
  const fetcher = useFetcher<typeof action>();
  const result = fetcher.data;
  useActionToast(result);
  const close = useEffectEvent(onClose);
  useEffect(() => {
    if (result?.ok) close();
  }, [result]);
  const errors = result && !result.ok ? result.errors : {};
  return (
    <Dialog open onClose={onClose} title={`Allowed hosts of "${credential.name}"`}>
      <fetcher.Form method="post" className="space-y-4" autoComplete="off">
        <input type="hidden" name="intent" value="hosts" />
        <input type="hidden" name="credentialId" value={credential.id} />
        <Field
          label="Allowed hosts"
          name="allowedHosts"
          required
          spellCheck={false}
          defaultValue={(credential.allowedHosts ?? []).join(', ')}
          placeholder="api.example.com, *.example.com"
          hint={HOSTS_HINT}
          error={errors.allowedHosts}
        />
        {errors.form && <Alert>{errors.form}</Alert>}
        <DialogActions onCancel={onClose} submit="Save hosts" busy={fetcher.state !== 'idle'} busyLabel="Saving…" />
      </fetcher.Form>
    </Dialog>
  );
}

