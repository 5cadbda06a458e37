// /t/:teamId/workflows: the team's workflows with their last run; search, create, duplicate, delete.
import { useState } from 'react';
import { Form, Link, redirect, useFetcher, useNavigation, useSearchParams } from 'react-router';
import { Alert, Badge, Button, Dialog, DialogActions, EmptyState, Field, formatTime, PageHeader, Table, useActionToast } from '../../components/ui.tsx';
import { attempt, clientFor } from '../../lib/api.server.ts';
import { collectPages, copyName, statusLabel } from '../../lib/dashboard.ts';
import { fieldErrors, type Problem } from '../../lib/problems.ts';
import { requireTeam } from '../../lib/session.server.ts';
import { canEdit, teamPath, type GraphInput } from '../../lib/types.ts';
import type { Route } from './+types/workflows.ts';

/** Enough for every plan but the unlimited one; the page says when more exist. */
const WORKFLOW_CAP = 500;

/** A new workflow starts as one output node that returns its input: valid, runnable, easy to extend. */
const STARTER_GRAPH: GraphInput = {
  nodes: [{ id: 'output', type: 'output', config: { value: '{{ input }}' }, position: { x: 0, y: 0 } }],
  edges: [],
};

export const meta: Route.MetaFunction = () => [{ title: 'Workflows · Trellis' }];

const listPath = (teamId: string) => teamPath(teamId, '/workflows');

export async function loader({ request, params }: Route.LoaderArgs) {
  const { team } = await requireTeam(request, params.teamId);
  const query = new URL(request.url).searchParams.get('q') ?? '';
  // The API searches names and descriptions (case-insensitive) and gives each workflow its last run.
  const api = clientFor(request).team(team.id);
  const workflows = await collectPages((cursor) => api.call('listWorkflows', { query: { q: query.trim().slice(0, 200) || undefined, limit: 100, cursor } }), { cap: WORKFLOW_CAP });
  return {
    team: { id: team.id, role: team.role },
    query,
    total: workflows.items.length,
    capped: workflows.capped,
    workflows: workflows.items,
  };
}

type ActionResult = { intent: string; problem: Problem; toast?: undefined } | { intent: string; toast: string; problem?: undefined };

export async function action({ request, params }: Route.ActionArgs): Promise<ActionResult | Response> {
  const { team } = await requireTeam(request, params.teamId);
  const form = await request.formData();
  const intent = String(form.get('intent') ?? '');
  const id = String(form.get('id') ?? '');
  const api = clientFor(request).team(team.id);

  if (intent === 'create') {
    const result = await attempt(() => api.call('createWorkflow', { body: { name: String(form.get('name') ?? ''), graph: STARTER_GRAPH } }));
    if (!result.ok) return { intent, problem: result.problem };
    return redirect(teamPath(team.id, `/workflows/${encodeURIComponent(result.data.id)}`));
  }
  if (intent === 'duplicate') {
    const result = await attempt(async () => {
      const original = await api.call('getWorkflow', { params: { id } });
      return api.call('createWorkflow', {
        body: { name: copyName(original.name), ...(original.description ? { description: original.description } : {}), graph: original.graph },
      });
    });
    if (!result.ok) return { intent, problem: result.problem };
    return { intent, toast: `Created “${result.data.name}”` };
  }
  if (intent === 'delete') {
    const result = await attempt(() => api.call('deleteWorkflow', { params: { id } }));
    if (!result.ok) return { intent, problem: result.problem };
    return { intent, toast: `Deleted “${String(form.get('name') ?? 'the workflow')}”` };
  }
  return { intent, problem: { title: 'Bad Request', status: 400, detail: 'Unknown action' } };
}

type Row = Route.ComponentProps['loaderData']['workflows'][number];

export default function Workflows({ loaderData, actionData }: Route.ComponentProps) {
  const { team, query, workflows } = loaderData;
  const editor = canEdit(team.role);
  const [searchParams] = useSearchParams();
  // ?new=1 (the dashboard's "Create a workflow") opens the dialog straight away.
  const [creating, setCreating] = useState(() => editor && searchParams.get('new') === '1');
  const [deleting, setDeleting] = useState<Row | null>(null);
  const navigation = useNavigation();
  const busyId = navigation.state !== 'idle' && navigation.formData ? String(navigation.formData.get('id') ?? '') : null;
  useActionToast(actionData);
  const actionProblem = actionData?.problem;

  return (
    <>
      <PageHeader
        title="Workflows"
        description="Graphs of steps that run durably; open one to edit it in the designer."
        actions={
          editor && (
            <Button type="button" onClick={() => setCreating(true)}>
              New workflow
            </Button>
          )
        }
      />

      <Form method="get" role="search" className="mb-4 flex flex-wrap items-end gap-2">
        <Field label="Search workflows" name="q" type="search" defaultValue={query} placeholder="Name or description" className="w-full max-w-sm" />
        <Button type="submit" variant="secondary">
          Search
        </Button>
        {query && (
          <Link to={listPath(team.id)} className="self-end pb-2.5 text-sm">
            Clear search
          </Link>
        )}
      </Form>

      {actionProblem && (
        <div className="mb-4">
          <Alert>
            {actionData.intent === 'delete' ? 'Could not delete the workflow: ' : actionData.intent === 'duplicate' ? 'Could not duplicate the workflow: ' : ''}
            {actionProblem.detail ?? actionProblem.title ?? 'Something went wrong'}
          </Alert>
        </div>
      )}
      {loaderData.capped && (
        <div className="mb-4">
          <Alert tone="info">Showing the newest {loaderData.total} workflows only.</Alert>
        </div>
      )}

      {workflows.length === 0 ? (
        query ? (
          <EmptyState title={`No workflows match “${query}”`}>
            <Link to={listPath(team.id)}>Show all workflows</Link>
          </EmptyState>
        ) : (
          <EmptyState title="No workflows yet">{editor ? 'Create one with “New workflow”: it starts with a single output node in the designer.' : 'An editor or admin can create the first one.'}</EmptyState>
        )
      ) : (
        <Table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col" className="hidden md:table-cell">
                Description
              </th>
              <th scope="col">Version</th>
              <th scope="col" className="hidden sm:table-cell">
                Updated
              </th>
              <th scope="col">Last run</th>
              {editor && (
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {workflows.map((workflow) => (
              <tr key={workflow.id}>
                <td className="font-medium">
                  <Link to={teamPath(team.id, `/workflows/${encodeURIComponent(workflow.id)}`)}>{workflow.name}</Link>
                  {workflow.tool && (
                    <span className="ml-2" title={`Offered to agents and MCP clients as the tool “${workflow.tool.name}”`}>
                      <Badge>tool</Badge>
                    </span>
                  )}
                </td>
                <td className="hidden max-w-xs truncate text-slate-600 md:table-cell dark:text-slate-400" title={workflow.description ?? undefined}>
                  {workflow.description || '—'}
                </td>
                <td className="tabular-nums">v{workflow.version}</td>
                <td className="hidden whitespace-nowrap sm:table-cell">
                  <time dateTime={workflow.updatedAt}>{formatTime(workflow.updatedAt)}</time>
                </td>
                <td>
                  {workflow.lastRun ? (
                    <Link to={teamPath(team.id, `/runs/${encodeURIComponent(workflow.lastRun.runId)}`)} className="no-underline" title={`Started ${formatTime(workflow.lastRun.startedAt)}`}>
                      <Badge status={workflow.lastRun.status}>{statusLabel(workflow.lastRun.status)}</Badge>
                    </Link>
                  ) : (
                    <span className="text-slate-500 dark:text-slate-400">—</span>
                  )}
                </td>
                {editor && (
                  <td>
                    <div className="flex justify-end gap-1">
                      <Form method="post">
                        <input type="hidden" name="intent" value="duplicate" />
                        <input type="hidden" name="id" value={workflow.id} />
                        <Button type="submit" variant="ghost" size="sm" disabled={busyId === workflow.id}>
                          Duplicate
                        </Button>
                      </Form>
                      <Button type="button" variant="danger-ghost" size="sm" onClick={() => setDeleting(workflow)}>
                        Delete
                      </Button>
                    </div>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </Table>
      )}

      {editor && <CreateDialog open={creating} onClose={() => setCreating(false)} />}
      {editor && <DeleteDialog workflow={deleting} onClose={() => setDeleting(null)} />}
    </>
  );
}

function CreateDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const fetcher = useFetcher<ActionResult>();
  const errors = fieldErrors(fetcher.data?.problem);
  const busy = fetcher.state !== 'idle';
  return (
    <Dialog open={open} onClose={onClose} title="New workflow">
      {/* On success the action redirects to the designer; errors come back here. */}
      <fetcher.Form method="post" className="space-y-4">
        <input type="hidden" name="intent" value="create" />
        <Field label="Name" name="name" required maxLength={200} autoComplete="off" error={errors.name} />
        {errors.form && <Alert>{errors.form}</Alert>}
        {errors.graph && <Alert>The starter graph was refused: {errors.graph}</Alert>}
        <DialogActions onCancel={onClose} submit="Create" busy={busy} busyLabel="Creating…" />
      </fetcher.Form>
    </Dialog>
  );
}

function DeleteDialog({ workflow, onClose }: { workflow: Row | null; onClose: () => void }) {
  return (
    <Dialog open={workflow !== null} onClose={onClose} title="Delete workflow?">
      {workflow && (
        // A navigation (not a fetcher): the result shows on the page as a toast or an alert.
        <Form method="post" onSubmit={onClose} className="space-y-4">
          <input type="hidden" name="intent" value="delete" />
          <input type="hidden" name="id" value={workflow.id} />
          <input type="hidden" name="name" value={workflow.name} />
          <p className="text-sm">
            “{workflow.name}” will be deleted; its past runs stay in the runs list. This cannot be undone.
          </p>
          <DialogActions onCancel={onClose} submit="Delete workflow" variant="danger" />
        </Form>
      )}
    </Dialog>
  );
}
