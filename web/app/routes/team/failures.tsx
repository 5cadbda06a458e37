// /t/:teamId/failures: the team's failures grouped by workflow, node and error code (GET …/failures),
// over the last day, week or month: how often, when first and last, the latest message, and the
// newest runs to open. Viewers see it too.
import { Form, Link, useNavigation, useSubmit } from 'react-router';
import { Badge, Button, EmptyState, Field, formatTime, PageHeader, Select, Table } from '../../components/ui.tsx';
import { clientFor } from '../../lib/api.server.ts';
import { formatNumber, queryString, shortRunId } from '../../lib/dashboard.ts';
import { requireTeam } from '../../lib/session.server.ts';
import { useHydrated } from '../../lib/use-hydrated.ts';
import { teamPath } from '../../lib/types.ts';
import type { Route } from './+types/failures.ts';

/** The windows offered, in hours; the API takes any `since`. */
const WINDOWS = [
  { value: '24h', label: 'Last 24 hours', hours: 24 },
  { value: '7d', label: 'Last 7 days', hours: 7 * 24 },
  { value: '30d', label: 'Last 30 days', hours: 30 * 24 },
] as const;
const DEFAULT_WINDOW = '7d';

export const meta: Route.MetaFunction = () => [{ title: 'Failures · Trellis' }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const { team } = await requireTeam(request, params.teamId);
  const url = new URL(request.url);
  const window = WINDOWS.find((w) => w.value === url.searchParams.get('window')) ?? WINDOWS.find((w) => w.value === DEFAULT_WINDOW)!;
  const since = new Date(Date.now() - window.hours * 3_600_000).toISOString();
  const answer = await clientFor(request).team(team.id).call('listFailures', { query: { since, limit: 100 } });
  return { team: { id: team.id }, window: window.value, groups: answer.items };
}

export default function Failures({ loaderData }: Route.ComponentProps) {
  const { team, window, groups } = loaderData;
  const hydrated = useHydrated();
  const submit = useSubmit();
  const navigation = useNavigation();
  const loading = navigation.state === 'loading' && navigation.location.pathname === teamPath(team.id, '/failures');
  const total = groups.reduce((sum, group) => sum + group.count, 0);
  const runsPath = (workflowId: string) => `${teamPath(team.id, '/runs')}${queryString({ workflowId, status: 'failed' })}`;

  return (
    <>
      <PageHeader title="Failures" description="Failed and timed-out runs, grouped by workflow, node and error code; the most recent first." />

      {/* Without JavaScript the Show button submits; with it, changing the window does. */}
      <Form method="get" className="mb-4 flex flex-wrap items-end gap-3" onChange={(event) => void submit(event.currentTarget)}>
        <Field label="Window" id="failures-window" className="w-full sm:w-48">
          <Select id="failures-window" name="window" defaultValue={window} key={window}>
            {WINDOWS.map((w) => (
              <option key={w.value} value={w.value}>
                {w.label}
              </option>
            ))}
          </Select>
        </Field>
        {!hydrated && (
          <Button type="submit" variant="secondary">
            Show
          </Button>
        )}
        {groups.length > 0 && (
          <p className="self-end pb-2.5 text-sm text-slate-600 dark:text-slate-400">
            {formatNumber(total)} failed run{total === 1 ? '' : 's'} in {formatNumber(groups.length)} group{groups.length === 1 ? '' : 's'}
          </p>
        )}
      </Form>

      {groups.length === 0 ? (
        <EmptyState title="No failures in this window">Runs that fail or time out show up here, grouped by where and how they failed.</EmptyState>
      ) : (
        <Table className={loading ? 'opacity-60 transition-opacity' : undefined}>
          <thead>
            <tr>
              <th scope="col">Workflow</th>
              <th scope="col">Node · code</th>
              <th scope="col" className="text-right">
                Count
              </th>
              <th scope="col" className="hidden md:table-cell">
                First seen
              </th>
              <th scope="col">Last seen</th>
              <th scope="col" className="hidden lg:table-cell">
                Runs
              </th>
            </tr>
          </thead>
          <tbody>
            {groups.map((group) => (
              <tr key={`${group.workflowId} ${group.nodeId ?? ''} ${group.code ?? ''}`} data-testid="failure-group">
                <td className="max-w-72">
                  <Link to={runsPath(group.workflowId)} className="font-medium">
                    {group.workflowName ?? 'Deleted workflow'}
                  </Link>
                  <p className="mt-1 line-clamp-2 text-xs break-words text-red-700 dark:text-red-300" title={group.message ?? undefined}>
                    {group.message ?? 'No error message'}
                  </p>
                </td>
                <td>
                  <span className="font-mono text-xs">{group.nodeId ?? 'whole run'}</span>
                  {group.code && <Badge className="ml-2">{group.code}</Badge>}
                </td>
                <td className="text-right tabular-nums">{formatNumber(group.count)}</td>
                <td className="hidden whitespace-nowrap md:table-cell">
                  <time dateTime={group.firstSeen}>{formatTime(group.firstSeen)}</time>
                </td>
                <td className="whitespace-nowrap">
                  <time dateTime={group.lastSeen}>{formatTime(group.lastSeen)}</time>
                </td>
                <td className="hidden lg:table-cell">
                  <ul className="flex flex-wrap gap-x-2">
                    {group.sampleRunIds.map((runId) => (
                      <li key={runId}>
                        <Link to={teamPath(team.id, `/runs/${encodeURIComponent(runId)}`)} className="font-mono text-xs" title={runId}>
                          {shortRunId(runId)}
                        </Link>
                      </li>
                    ))}
                  </ul>
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
