// /t/:teamId/workflows/:workflowId/triggers: what starts runs of a workflow besides the Run
// button — signed webhooks (URL and secret shown once, with a curl example that signs correctly)
// and cron schedules (Temporal Schedules: time zone, input, pause/resume, next fire times).
import { useEffect, useRef, useState } from 'react';
import { data, Link, useFetcher } from 'react-router';
import { Alert, Badge, Button, Card, CopyButton, Dialog, Field, PageHeader, SecretOnce, Table, Textarea, buttonClass, formatTime, useActionToast } from '../../components/ui.tsx';
import { ApiError, attempt, clientFor } from '../../lib/api.server.ts';
import { fieldErrors, type Problem } from '../../lib/problems.ts';
import { requireTeam } from '../../lib/session.server.ts';
import { canEdit, teamPath } from '../../lib/types.ts';
import { curlExample } from '../../lib/webhook-curl.ts';
import type { Route } from './+types/triggers.ts';
import { ConfirmAction } from '../../components/confirm-action.tsx';
import type { ScheduleView, WebhookView } from '../../lib/types.ts';

type Webhook = WebhookView;

type Schedule = ScheduleView;

const EXAMPLE_BODY = { hello: 'world' };

export const meta: Route.MetaFunction = ({ loaderData }) => [{ title: `Triggers · ${loaderData?.workflow.name ?? 'Workflow'} · Trellis` }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const { team } = await requireTeam(request, params.teamId);
  const api = clientFor(request).team(team.id);
  const workflowId = params.workflowId ?? '';
  try {
    const [workflow, webhooks, schedules] = await Promise.all([
      api.call('getWorkflow', { params: { id: workflowId } }),
      api.call('listWebhooks', { params: { id: workflowId } }),
      api.call('listSchedules', { params: { id: workflowId } }),
    ]);
    // Only what the page shows: the graph can be large.
    return { team, workflow: { id: workflow.id, name: workflow.name, version: workflow.version }, webhooks: webhooks.items, schedules: schedules.items };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) throw data('No such workflow', { status: 404 });
    throw error;
  }
}

type ActionResult = {
  intent: string;
  ok: boolean;
  toast?: string;
  errors: Record<string, string>;
  webhook?: { id: string; url: string; secret: string };
};

function failed(intent: string, problem: Problem) {
  return data<ActionResult>({ intent, ok: false, errors: fieldErrors(problem) }, { status: problem.status ?? 400 });
}

function done(intent: string, toast: string): ActionResult {
  return { intent, ok: true, toast, errors: {} };
}

/** The schedule's input: empty means none; anything else must be JSON. */
function parseInput(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, message: `Not valid JSON: ${(error as Error).message}` };
  }
}

export async function action({ request, params }: Route.ActionArgs) {
  const { team } = await requireTeam(request, params.teamId);
  const api = clientFor(request).team(team.id);
  const workflowId = params.workflowId ?? '';
  const form = await request.formData();
  const intent = String(form.get('intent') ?? '');
  const id = (name: string) => String(form.get(name) ?? '');

  switch (intent) {
    case 'createWebhook': {
      const result = await attempt(() => api.call('createWebhook', { params: { id: workflowId }, body: {} }));
      if (!result.ok) return failed(intent, result.problem);
      const { id: webhookId, url, secret } = result.data;
      // The secret travels in this one answer only: never in a loader, never logged.
      return data<ActionResult>({ intent, ok: true, toast: 'Webhook created', errors: {}, webhook: { id: webhookId, url, secret } }, { headers: { 'Cache-Control': 'no-store' } });
    }
    case 'deleteWebhook': {
      const result = await attempt(() => api.call('deleteWebhook', { params: { id: workflowId, webhookId: id('webhookId') } }));
      if (!result.ok) return failed(intent, result.problem);
      return done(intent, 'Webhook deleted');
    }
    case 'createSchedule': {
      const cron = String(form.get('cron') ?? '').trim();
      const timezone = String(form.get('timezone') ?? '').trim();
      const input = parseInput(String(form.get('input') ?? ''));
      const problems: NonNullable<Problem['problems']> = [];
      if (!cron) problems.push({ path: 'cron', message: 'Enter a cron expression' });
      if (!input.ok) problems.push({ path: 'input', message: input.message });
      if (problems.length > 0 || !input.ok) return failed(intent, { status: 400, problems });
      const body = { cron, ...(timezone ? { timezone } : {}), ...(input.value !== undefined ? { input: input.value } : {}) };
      const result = await attempt(() => api.call('createSchedule', { params: { id: workflowId }, body }));
      if (!result.ok) return failed(intent, result.problem);
      return done(intent, 'Schedule created');
    }
    case 'pauseSchedule':
    case 'resumeSchedule': {
      const verb = intent === 'pauseSchedule' ? 'pause' : 'resume';
      const result = await attempt(() => api.call(verb === 'pause' ? 'pauseSchedule' : 'resumeSchedule', { params: { id: workflowId, scheduleId: id('scheduleId') } }));
      if (!result.ok) return failed(intent, result.problem);
      return done(intent, verb === 'pause' ? 'Schedule paused' : 'Schedule resumed');
    }
    case 'deleteSchedule': {
      const result = await attempt(() => api.call('deleteSchedule', { params: { id: workflowId, scheduleId: id('scheduleId') } }));
      if (!result.ok) return failed(intent, result.problem);
      return done(intent, 'Schedule deleted');
    }
    default:
      return failed(intent, { status: 400, detail: 'Unknown action' });
  }
}

export default function Triggers({ loaderData }: Route.ComponentProps) {
  const { team, workflow, webhooks, schedules } = loaderData;
  const editor = canEdit(team.role);
  const designer = teamPath(team.id, `/workflows/${encodeURIComponent(workflow.id)}`);
  return (
    <div className="mx-auto max-w-5xl space-y-6">
      <nav aria-label="Breadcrumb" className="text-sm text-slate-600 dark:text-slate-400">
        <Link to={teamPath(team.id, '/workflows')}>Workflows</Link>
        <span aria-hidden="true"> / </span>
        <Link to={designer}>{workflow.name}</Link>
        <span aria-hidden="true"> / </span>
        <span aria-current="page">Triggers</span>
      </nav>
      <PageHeader
        title={workflow.name}
        description="Triggers: signed webhooks and schedules start runs of this workflow's latest version."
        actions={
          <Link to={designer} className={buttonClass('secondary')}>
            Open in designer
          </Link>
        }
      />
      <WebhooksCard webhooks={webhooks} editor={editor} />
      <SchedulesCard schedules={schedules} editor={editor} />
    </div>
  );
}

function WebhooksCard({ webhooks, editor }: { webhooks: Webhook[]; editor: boolean }) {
  const fetcher = useFetcher<typeof action>();
  const result = fetcher.data;
  useActionToast(result);
  const [created, setCreated] = useState<ActionResult['webhook'] | null>(null);
  useEffect(() => {
    if (result?.ok && result.webhook) setCreated(result.webhook);
  }, [result]);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const error = result && !result.ok && fetcher.state === 'idle' ? result.errors.form : undefined;

  return (
    <Card
      title="Webhooks"
      actions={
        editor && (
          <fetcher.Form method="post">
            <input type="hidden" name="intent" value="createWebhook" />
            <Button type="submit" size="sm" disabled={fetcher.state !== 'idle'}>
              {fetcher.state !== 'idle' ? 'Creating…' : 'New webhook'}
            </Button>
          </fetcher.Form>
        )
      }
    >
      <p className="mb-4 text-sm text-slate-600 dark:text-slate-400">
        POST JSON to the URL, signed with the webhook's secret: <code className="text-xs">X-Trellis-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "&lt;t&gt;.&lt;body&gt;")&gt;</code>. The body becomes the run's input; add{' '}
        <code className="text-xs">?wait=true</code> to wait for the output.
      </p>
      {error && (
        <div className="mb-4">
          <Alert>{error}</Alert>
        </div>
      )}
      {webhooks.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">No webhooks yet.</p>
      ) : (
        <Table>
          <thead>
            <tr>
              <th scope="col" className="hidden sm:table-cell">ID</th>
              <th scope="col">URL</th>
              <th scope="col" className="hidden md:table-cell">Created</th>
              {editor && <th scope="col" aria-label="Actions" />}
            </tr>
          </thead>
          <tbody>
            {webhooks.map((hook) => (
              <tr key={hook.id}>
                <td className="hidden sm:table-cell">
                  <code className="font-mono text-xs whitespace-nowrap">{hook.id}</code>
                </td>
                <td>
                  <div className="flex min-w-0 items-center gap-2">
                    <code className="font-mono text-xs break-all">{hook.url}</code>
                    <span className="shrink-0 whitespace-nowrap">
                      <CopyButton text={hook.url} label="Copy URL" />
                    </span>
                  </div>
                  <details className="mt-1">
                    <summary className="cursor-pointer text-xs text-slate-600 dark:text-slate-400">curl example</summary>
                    <CurlSnippet snippet={curlExample({ url: hook.url, secret: '<your webhook secret>', body: EXAMPLE_BODY })} />
                  </details>
                </td>
                <td className="hidden whitespace-nowrap text-slate-600 md:table-cell dark:text-slate-400">{formatTime(hook.createdAt)}</td>
                {editor && (
                  <td className="text-right">
                    <Button variant="danger-ghost" size="sm" aria-label={`Delete webhook ${hook.id}`} onClick={() => setDeleting(hook)}>
                      Delete
                    </Button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </Table>
      )}

      <Dialog open={created !== null} onClose={() => setCreated(null)} title="Webhook created">
        {created && (
          <div className="space-y-4">
            <div className="space-y-2">
              <p className="text-sm font-medium">URL</p>
              <div className="flex items-center gap-2">
                <code className="block flex-1 overflow-x-auto rounded bg-slate-100 px-3 py-2 font-mono text-xs dark:bg-slate-800">{created.url}</code>
                <CopyButton text={created.url} />
              </div>
            </div>
            <SecretOnce label="Signing secret" value={created.secret} />
            <div className="space-y-2">
              <p className="text-sm font-medium">Try it (bash, with curl and openssl)</p>
              <CurlSnippet snippet={curlExample({ url: created.url, secret: created.secret, body: EXAMPLE_BODY })} />
            </div>
            <div className="flex justify-end">
              <Button onClick={() => setCreated(null)}>Done</Button>
            </div>
          </div>
        )}
      </Dialog>
      <ConfirmAction
        key={deleting?.id ?? 'none'}
        open={deleting !== null}
        title="Delete webhook?"
        confirmLabel="Delete webhook"
        fields={{ intent: 'deleteWebhook', webhookId: deleting?.id ?? '' }}
        onClose={() => setDeleting(null)}
      >
        Calls to <code className="text-xs break-all">{deleting?.url}</code> are refused from now on. This cannot be undone.
      </ConfirmAction>
    </Card>
  );
}

function CurlSnippet({ snippet }: { snippet: string }) {
  return (
    <div className="space-y-1">
      <pre className="max-h-64 overflow-auto rounded bg-slate-900 p-3 font-mono text-xs text-slate-100 dark:bg-slate-950">
        <code>{snippet}</code>
      </pre>
      <div className="flex justify-end">
        <CopyButton text={snippet} label="Copy curl" />
      </div>
    </div>
  );
}

/**
 * "2026-11-26 09:00" in the schedule's own time zone. Built from formatToParts with fixed options
 * so the server and the browser render the same text (no hydration mismatch).
 */
function inZone(iso: string, timeZone: string): string {
  try {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(iso));
    const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
    return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}`;
  } catch {
    return formatTime(iso);
  }
}

function SchedulesCard({ schedules, editor }: { schedules: Schedule[]; editor: boolean }) {
  const [deleting, setDeleting] = useState<Schedule | null>(null);
  return (
    <Card title="Schedules">
      {editor && <NewScheduleForm />}
      {schedules.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">No schedules yet.</p>
      ) : (
        <Table>
          <thead>
            <tr>
              <th scope="col">Cron</th>
              <th scope="col">Time zone</th>
              <th scope="col">State</th>
              <th scope="col">Next runs</th>
              <th scope="col" className="hidden md:table-cell">Input</th>
              {editor && <th scope="col" aria-label="Actions" />}
            </tr>
          </thead>
          <tbody>
            {schedules.map((schedule) => (
              <ScheduleRow key={schedule.id} schedule={schedule} editor={editor} onDelete={() => setDeleting(schedule)} />
            ))}
          </tbody>
        </Table>
      )}
      <ConfirmAction
        key={deleting?.id ?? 'none'}
        open={deleting !== null}
        title="Delete schedule?"
        confirmLabel="Delete schedule"
        fields={{ intent: 'deleteSchedule', scheduleId: deleting?.id ?? '' }}
        onClose={() => setDeleting(null)}
      >
        The schedule <code className="text-xs">{deleting?.cron}</code> ({deleting?.timezone}) starts no more runs. Runs already started go on.
      </ConfirmAction>
    </Card>
  );
}

function ScheduleRow({ schedule, editor, onDelete }: { schedule: Schedule; editor: boolean; onDelete: () => void }) {
  const fetcher = useFetcher<typeof action>();
  useActionToast(fetcher.data);
  const error = fetcher.data && !fetcher.data.ok && fetcher.state === 'idle' ? fetcher.data.errors.form : undefined;
  // Shown as the state it is about to be while the change is saved.
  const pending = fetcher.formData?.get('intent');
  const paused = pending === 'pauseSchedule' ? true : pending === 'resumeSchedule' ? false : schedule.paused;
  const input = schedule.input === undefined || schedule.input === null ? '' : JSON.stringify(schedule.input);
  return (
    <tr className="align-top">
      <td>
        <code className="font-mono text-xs whitespace-nowrap">{schedule.cron}</code>
      </td>
      <td className="whitespace-nowrap">{schedule.timezone}</td>
      <td>
        <Badge status={paused ? 'waiting' : 'succeeded'}>{paused ? 'paused' : 'active'}</Badge>
      </td>
      <td>
        {schedule.nextRunTimes.length === 0 ? (
          <span className="text-slate-500 dark:text-slate-400">—</span>
        ) : (
          <ol className={paused ? 'text-slate-400 line-through dark:text-slate-500' : 'text-slate-700 dark:text-slate-300'} aria-label={`Next runs of ${schedule.cron}`}>
            {schedule.nextRunTimes.slice(0, 5).map((time) => (
              <li key={time} className="text-xs whitespace-nowrap">
                <time dateTime={time} title={formatTime(time)}>
                  {inZone(time, schedule.timezone)}
                </time>
              </li>
            ))}
          </ol>
        )}
      </td>
      <td className="hidden md:table-cell">
        {input && input !== '{}' ? (
          <code className="block max-w-48 truncate font-mono text-xs" title={input}>
            {input}
          </code>
        ) : (
          <span className="text-slate-500 dark:text-slate-400">—</span>
        )}
      </td>
      {editor && (
        <td className="text-right">
          <div className="flex justify-end gap-1">
            <fetcher.Form method="post">
              <input type="hidden" name="intent" value={paused ? 'resumeSchedule' : 'pauseSchedule'} />
              <input type="hidden" name="scheduleId" value={schedule.id} />
              <Button type="submit" variant="secondary" size="sm" disabled={fetcher.state !== 'idle'}>
                {paused ? 'Resume' : 'Pause'}
              </Button>
            </fetcher.Form>
            <Button variant="danger-ghost" size="sm" aria-label={`Delete schedule ${schedule.cron}`} onClick={onDelete}>
              Delete
            </Button>
          </div>
          {error && (
            <p className="mt-1 text-xs text-red-600 dark:text-red-400" role="alert">
              {error}
            </p>
          )}
        </td>
      )}
    </tr>
  );
}

function NewScheduleForm() {
  const fetcher = useFetcher<typeof action>();
  const result = fetcher.data;
  useActionToast(result);
  const formRef = useRef<HTMLFormElement>(null);
  const [input, setInput] = useState('');
  const [timezone, setTimezone] = useState('UTC');
  const [zones, setZones] = useState<string[]>([]);
  // The server renders UTC; the browser then offers its own zone (and the list of all zones).
  useEffect(() => {
    setTimezone(Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
    setZones(Intl.supportedValuesOf('timeZone'));
  }, []);
  useEffect(() => {
    if (result?.ok && result.intent === 'createSchedule') {
      formRef.current?.reset();
      setInput('');
    }
  }, [result]);
  const serverErrors = result && !result.ok && result.intent === 'createSchedule' ? result.errors : {};
  const parsed = parseInput(input);
  const inputError = !parsed.ok ? parsed.message : serverErrors.input;
  return (
    <fetcher.Form
      ref={formRef}
      method="post"
      className="mb-5 space-y-3 rounded-md border border-slate-200 p-4 dark:border-slate-800"
      onSubmit={(event) => {
        if (!parseInput(input).ok) event.preventDefault(); // the error is shown next to the field
      }}
    >
      <input type="hidden" name="intent" value="createSchedule" />
      <div className="grid gap-3 sm:grid-cols-2">
        <Field
          label="Cron"
          name="cron"
          required
          placeholder="0 9 * * 1-5"
          spellCheck={false}
          autoComplete="off"
          className="[&_input]:font-mono"
          hint="minute hour day-of-month month day-of-week, or @hourly, @daily, @weekly …"
          error={serverErrors.cron}
        />
        <Field
          label="Time zone"
          name="timezone"
          value={timezone}
          onChange={(event) => setTimezone(event.target.value)}
          list="time-zones"
          spellCheck={false}
          autoComplete="off"
          hint="An IANA zone such as Europe/Paris."
          error={serverErrors.timezone}
        />
        <datalist id="time-zones">
          {zones.map((zone) => (
            <option key={zone} value={zone} />
          ))}
        </datalist>
      </div>
      <Field label="Input (JSON)" id="schedule-input" error={inputError} hint="Optional: the input of every scheduled run, e.g. {&quot;report&quot;: &quot;daily&quot;}.">
        <Textarea
          id="schedule-input"
          name="input"
          rows={3}
          spellCheck={false}
          value={input}
          onChange={(event) => setInput(event.target.value)}
          placeholder='{"report": "daily"}'
          aria-invalid={inputError ? true : undefined}
          aria-describedby="schedule-input-message"
        />
      </Field>
      {serverErrors.form && <Alert>{serverErrors.form}</Alert>}
      <div className="flex justify-end">
        <Button type="submit" disabled={fetcher.state !== 'idle'}>
          {fetcher.state !== 'idle' ? 'Creating…' : 'Create schedule'}
        </Button>
      </div>
    </fetcher.Form>
  );
}

