// /admin (instance admins only, docs/decisions/035-instance-admin.md): every team with its plan
// and this month's usage, and a plan picker per team. The API decides who may see it; this page
// only turns its 403 into a 404 so the page does not advertise itself.
import { data, Form, useFetcher } from 'react-router';
import { Alert, Badge, Button, EmptyState, PageHeader, Select, Table, buttonClass, formatTime, inputClass, useActionToast } from '../components/ui.tsx';
import { ApiError, attempt, clientFor } from '../lib/api.server.ts';
import type { Problem } from '../lib/problems.ts';
import { requireMe } from '../lib/session.server.ts';
import type { AdminTeamView, PlanName } from '../lib/types.ts';
import type { Route } from './+types/admin.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Instance admin · Trellis' }];

const PLANS = ['free', 'pro', 'enterprise'] as const;
const PER_PAGE = 50;

export async function loader({ request }: Route.LoaderArgs) {
  const me = await requireMe(request);
  if (!me.instanceAdmin) throw data('Not found', { status: 404 });
  const url = new URL(request.url);
  const q = (url.searchParams.get('q') ?? '').slice(0, 100);
  const cursor = url.searchParams.get('cursor');
  try {
    const teams = await clientFor(request).call('adminListTeams', { query: { limit: PER_PAGE, ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) } });
    return { teams: teams.items, nextCursor: teams.nextCursor, q, olderPage: Boolean(cursor) };
  } catch (error) {
    // A stale or hand-edited cursor: start from the newest teams again.
    if (error instanceof ApiError && error.status === 400) return { teams: [], nextCursor: null, q, olderPage: Boolean(cursor) };
    throw error;
  }
}

type ActionResult = { toast?: string; problem?: Problem };

export async function action({ request }: Route.ActionArgs) {
  const form = await request.formData();
  const teamId = String(form.get('teamId') ?? '');
  const plan = String(form.get('plan') ?? '') as PlanName; // the API refuses an unknown plan
  const result = await attempt(() => clientFor(request).call('adminChangePlan', { params: { teamId }, body: { plan } }));
  if (!result.ok) return data({ problem: result.problem } satisfies ActionResult, { status: result.problem.status ?? 400 });
  return { toast: `${result.data.name} is now on the ${result.data.plan} plan` } satisfies ActionResult;
}

function PlanPicker({ team }: { team: AdminTeamView }) {
  const fetcher = useFetcher<ActionResult>();
  useActionToast(fetcher.data);
  const busy = fetcher.state !== 'idle';
  return (
    <fetcher.Form method="post" className="flex items-center gap-2">
      <input type="hidden" name="teamId" value={team.id} />
      <label htmlFor={`plan-${team.id}`} className="sr-only">
        Plan of {team.name}
      </label>
      <Select id={`plan-${team.id}`} name="plan" defaultValue={team.plan} key={team.plan} className="w-32">
        {PLANS.map((plan) => (
          <option key={plan} value={plan}>
            {plan}
          </option>
        ))}
      </Select>
      <Button type="submit" size="sm" variant="secondary" disabled={busy}>
        {busy ? 'Saving…' : 'Set plan'}
      </Button>
      {fetcher.data?.problem && <span className="text-xs text-red-600">{fetcher.data.problem.detail ?? 'Refused'}</span>}
    </fetcher.Form>
  );
}

const quota = (used: number, limit: number | null) => (limit === null ? `${used.toLocaleString('en')}` : `${used.toLocaleString('en')} / ${limit.toLocaleString('en')}`);

export default function Admin({ loaderData }: Route.ComponentProps) {
  const { teams, nextCursor, q, olderPage } = loaderData;
  return (
    <div className="mx-auto max-w-6xl space-y-6">
      <PageHeader title="Instance admin" description="Every team on this Trellis instance, its plan and what it used this month (UTC)." />
      <Form method="get" className="flex gap-2" role="search">
        <label htmlFor="admin-search" className="sr-only">
          Team name
        </label>
        <input id="admin-search" name="q" defaultValue={q} placeholder="Team name" maxLength={100} className={inputClass} />
        <button type="submit" className={buttonClass('secondary')}>
          Search
        </button>
      </Form>
      {teams.length === 0 ? (
        <EmptyState title={q ? 'No team matches' : 'No teams'} />
      ) : (
        <Table>
          <thead>
            <tr>
              <th scope="col">Team</th>
              <th scope="col">Members</th>
              <th scope="col">Runs</th>
              <th scope="col" className="hidden md:table-cell">AI tokens</th>
              <th scope="col" className="hidden md:table-cell">AI cost</th>
              <th scope="col" className="hidden lg:table-cell">Created</th>
              <th scope="col">Plan</th>
            </tr>
          </thead>
          <tbody>
            {teams.map((team) => (
              <tr key={team.id}>
                <td>
                  <span className="font-medium">{team.name}</span> {team.personal && <Badge>personal</Badge>}
                  <div className="font-mono text-xs text-slate-500">{team.id}</div>
                </td>
                <td>{team.members}</td>
                <td>{quota(team.usage.runs, team.limits.runsPerMonth)}</td>
                <td className="hidden md:table-cell">{quota(team.usage.aiTokens, team.limits.aiTokensPerMonth)}</td>
                <td className="hidden md:table-cell">${team.usage.costUsd.toFixed(2)}</td>
                <td className="hidden lg:table-cell">{formatTime(team.createdAt)}</td>
                <td>
                  <PlanPicker team={team} />
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      <div className="flex gap-3 text-sm">
        {olderPage && <a href={`/admin${q ? `?q=${encodeURIComponent(q)}` : ''}`}>Newest teams</a>}
        {nextCursor && <a href={`/admin?${new URLSearchParams({ ...(q ? { q } : {}), cursor: nextCursor }).toString()}`}>Older teams</a>}
      </div>
      <Alert tone="info">A new plan applies from the team&apos;s next request on; nothing running is stopped.</Alert>
    </div>
  );
}
