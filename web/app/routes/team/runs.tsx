// /t/:teamId/runs: the team's runs, newest first, filtered by workflow and status, page by page.
import { Form, Link, useNavigation, useSubmit } from 'react-router';
import { Alert, Badge, Button, EmptyState, Field, formatDuration, formatTime, PageHeader, Select, Table } from '../../components/ui.tsx';
import { attempt, clientFor } from '../../lib/api.server.ts';
import { RUN_STATUSES } from '../../../../contract/run-status.ts';
import { collectPages, queryString, runDurationMs, shortRunId, statusLabel } from '../../lib/dashboard.ts';
import type { Problem } from '../../lib/problems.ts';
import { requireTeam } from '../../lib/session.server.ts';
import { useHydrated } from '../../lib/use-hydrated.ts';
import { teamPath, type QueueSummary, type RunStatus } from '../../lib/types.ts';
import type { Route } from './+types/runs.ts';

const PAGE_SIZE = 50;
const WORKFLOW_CAP = 500;

/** The order statuses appear in the filter: as a run goes through them. */
const STATUS_OPTIONS = RUN_STATUSES;

export const meta: Route.MetaFunction = () => [{ title: 'Runs · Trellis' }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const { team } = await requireTeam(request, params.teamId);
  const api = clientFor(request).team(team.id);
  const url = new URL(request.url);
  const filters = { workflowId: url.searchParams.get('workflowId') ?? '', status: url.searchParams.get('status') ?? '', q: url.searchParams.get('q') ?? '' };
  const cursor = url.searchParams.get('cursor') ?? '';
  const [workflows, runs, queue] = await Promise.all([
    collectPages((next) => api.call('listWorkflows', { query: { limit: 100, cursor: next } }), { cap: WORKFLOW_CAP }),
    // The filters go to the API as typed: it validates them, and its 400 is shown, not thrown.
    attempt(() => api.call('listRuns', {
      query: { workflowId: filters.workflowId || undefined, status: (filters.status || undefined) as RunStatus | undefined, q: filters.q || undefined, cursor: cursor || undefined, limit: PAGE_SIZE },
    })),
    // The team's queue at a glance (a failure here never hides the list).
    attempt(() => api.call('getQueue')),
  ]);
  return {
    team: { id: team.id },
    filters,
    cursor,
    workflows: workflows.items.map((workflow) => ({ id: workflow.id, name: workflow.name })),
    // Each summary names its workflow (the API joins it in SQL).
    runs: runs.ok ? runs.data.items : [],
    nextCursor: runs.ok ? runs.data.nextCursor : null,
    problem: runs.ok ? null : runs.problem,
    queue: queue.ok ? queue.data : null,
  };
}

export default function Runs({ loaderData }: Route.ComponentProps) {
  const { team, filters, cursor, workflows, runs, nextCursor, problem, queue } = loaderData;
  const hydrated = useHydrated();
  const submit = useSubmit();
  const navigation = useNavigation();
  const loading = navigation.state === 'loading' && navigation.location.pathname === teamPath(team.id, '/runs');
  const filtered = Boolean(filters.workflowId || filters.status || filters.q);
  // A filter value the lists do not know (a deleted workflow, a hand-edited URL) still shows as selected.
  const unknownWorkflow = filters.workflowId && !workflows.some((workflow) => workflow.id === filters.workflowId);
  const listPath = (search: Record<string, string>) => `${teamPath(team.id, '/runs')}${queryString(search)}`;
  const unknownStatus = filters.status && !(STATUS_OPTIONS as readonly string[]).includes(filters.status);

  return (
    <>
      <PageHeader title="Runs" description="Every run of the team's workflows, newest first." />
      {queue && <QueueLine queue={queue} queuedPath={listPath({ status: 'queued' })} />}

      {/* Without JavaScript the Filter button submits; with it, changing a select does. */}
      <Form method="get" className="mb-4 flex flex-wrap items-end gap-3" onChange={(event) => void submit(event.currentTarget)}>
        <Field label="Workflow" id="filter-workflow" className="w-full sm:w-64">
          <Select id="filter-workflow" name="workflowId" defaultValue={filters.workflowId} key={`w-${filters.workflowId}`}>
            <option value="">All workflows</option>
            {unknownWorkflow && <option value={filters.workflowId}>Unknown workflow ({filters.workflowId})</option>}
            {workflows.map((workflow) => (
              <option key={workflow.id} value={workflow.id}>
                {workflow.name}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Search runs" name="q" type="search" defaultValue={filters.q} key={`q-${filters.q}`} placeholder="Workflow, error or run id" className="w-full sm:w-64" onChange={(event) => event.stopPropagation()} />
        <Field label="Status" id="filter-status" className="w-full sm:w-48">
          <Select id="filter-status" name="status" defaultValue={filters.status} key={`s-${filters.status}`}>
            <option value="">All statuses</option>
            {unknownStatus && <option value={filters.status}>{filters.status}</option>}
            {STATUS_OPTIONS.map((status) => (
              <option key={status} value={status}>
                {statusLabel(status)}
              </option>
            ))}
          </Select>
        </Field>
        {!hydrated && (
          <Button type="submit" variant="secondary">
            Filter
          </Button>
        )}
        {filtered && (
          <Link to={listPath({})} className="self-end pb-2.5 text-sm">
            Clear filters
          </Link>
        )}
      </Form>

      {problem && (
        <div className="mb-4">
          <ProblemAlert problem={problem} />
        </div>
      )}

      {!problem && runs.length === 0 ? (
        <EmptyState title={cursor ? 'No more runs' : filtered ? 'No runs match these filters' : 'No runs yet'}>
          {cursor ? <Link to={listPath(filters)}>Back to the newest runs</Link> : filtered ? null : 'Runs appear here once a workflow is started from the designer, the API, a webhook or a schedule.'}
        </EmptyState>
      ) : runs.length > 0 ? (
        <Table className={loading ? 'opacity-60 transition-opacity' : undefined}>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Workflow</th>
              <th scope="col">Status</th>
              <th scope="col" className="hidden sm:table-cell">
                Trigger
              </th>
              <th scope="col" className="hidden md:table-cell">
                Started
              </th>
              <th scope="col" className="hidden md:table-cell">
                Duration
              </th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <tr key={run.runId}>
                <td>
                  <Link to={teamPath(team.id, `/runs/${encodeURIComponent(run.runId)}`)} className="font-mono text-xs" title={run.runId}>
                    {shortRunId(run.runId)}
                  </Link>
                </td>
                <td className="max-w-56 truncate">{run.workflowName ?? <span className="text-slate-500 dark:text-slate-400">Deleted workflow</span>}</td>
                <td className="whitespace-nowrap">
                  <Badge status={run.status}>{statusLabel(run.status)}</Badge>
                  {run.queue && (
                    <span className="ml-2 text-xs text-slate-500 dark:text-slate-400" data-testid="queue-place">
                      #{run.queue.position} · P{run.queue.priority}
                    </span>
                  )}
                </td>
                <td className="hidden sm:table-cell">{run.trigger}</td>
                <td className="hidden whitespace-nowrap md:table-cell">
                  <time dateTime={run.startedAt}>{formatTime(run.startedAt)}</time>
                </td>
                <td className="hidden tabular-nums md:table-cell">{formatDuration(runDurationMs(run))}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      ) : null}

      {(cursor || nextCursor) && (
        <nav aria-label="Pages" className="mt-4 flex justify-between gap-2">
          {cursor ? (
            <Link to={listPath(filters)} className="text-sm">
              <span aria-hidden="true">←</span> Newer
            </Link>
          ) : (
            <span />
          )}
          {nextCursor && (
            <Link to={listPath({ ...filters, cursor: nextCursor })} className="text-sm">
              Next page <span aria-hidden="true">→</span>
            </Link>
          )}
        </nav>
      )}
    </>
  );
}

/** Runs beyond the plan's concurrent runs wait in the team's queue (1 leaves first). */
function QueueLine({ queue, queuedPath }: { queue: QueueSummary; queuedPath: string }) {
  return (
    <p className="-mt-4 mb-4 text-sm text-slate-600 dark:text-slate-400" data-testid="queue-summary">
      <span className="font-medium text-slate-800 dark:text-slate-200">
        {queue.running} of {queue.allowed ?? 'unlimited'}
      </span>{' '}
      running ·{' '}
      {queue.queued > 0 ? (
        <>
          <Link to={queuedPath}>{queue.queued} queued</Link>
          {queue.byPriority.length > 1 && ` (${queue.byPriority.map((p) => `${p.queued} at priority ${p.priority}`).join(', ')})`}
          {queue.oldest && ` · oldest waiting ${formatDuration(queue.oldest.waitedMs)}`}
        </>
      ) : (
        'nothing queued'
      )}
    </p>
  );
}

function ProblemAlert({ problem }: { problem: Problem }) {
  return (
    <Alert>
      <p className="font-medium">{problem.detail ?? problem.title ?? 'The runs could not be listed'}</p>
      {problem.problems && problem.problems.length > 0 && (
        <ul className="mt-1 list-disc pl-5">
          {problem.problems.map((item) => (
            <li key={`${item.path}:${item.message}`}>
              {item.path === 'workflowId' ? 'Workflow' : item.path === 'status' ? 'Status' : item.path === 'q' ? 'Search' : item.path}: {item.message}
            </li>
          ))}
        </ul>
      )}
    </Alert>
  );
}
