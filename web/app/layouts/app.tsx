// The frame of every signed-in page: team switcher, navigation, theme and account menu.
// On narrow screens (approval pages on a phone) the sidebar becomes a top bar.
import { Form, NavLink, Outlet, useLocation, useRouteLoaderData } from 'react-router';
import { cx } from '../components/ui.tsx';
import { requireMe } from '../lib/session.server.ts';
import { canAdmin, teamPath } from '../lib/types.ts';
import type { Route } from './+types/app.ts';

export async function loader({ request, params }: Route.LoaderArgs) {
  const me = await requireMe(request);
  const teamId = (params as { teamId?: string }).teamId;
  return { me, team: me.teams.find((team) => team.id === teamId) ?? me.teams[0] ?? null };
}

const navClass = ({ isActive }: { isActive: boolean }) =>
  cx(
    'block shrink-0 whitespace-nowrap rounded-md px-3 py-1.5 text-sm no-underline',
    isActive ? 'bg-brand-50 font-medium text-brand-700 dark:bg-slate-800 dark:text-white' : 'text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800',
  );

export default function AppLayout({ loaderData }: Route.ComponentProps) {
  const { me, team } = loaderData;
  const location = useLocation();
  const theme = useRouteLoaderData<{ theme: string }>('root')?.theme ?? 'system';
  return (
    <div className="min-h-screen md:flex">
      <aside className="border-b border-slate-200 bg-white md:sticky md:top-0 md:h-screen md:w-60 md:shrink-0 md:border-r md:border-b-0 dark:border-slate-800 dark:bg-slate-900">
        <div className="flex items-center justify-between gap-2 px-4 py-3 md:block">
          <a href="/" className="text-lg font-semibold text-slate-900 no-underline dark:text-white">
            Trellis
          </a>
          {team && (
            <Form method="get" action="/" className="md:mt-3" onChange={(event) => {
              const value = (event.target as unknown as HTMLSelectElement).value;
              window.location.assign(value === '__new' ? '/teams/new' : teamPath(value));
            }}>
              <label htmlFor="team-switcher" className="sr-only">
                Team
              </label>
              <select id="team-switcher" name="team" defaultValue={team.id} className="w-full rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900">
                {me.teams.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name} ({t.role})
                  </option>
                ))}
                <option value="__new">+ New team…</option>
              </select>
            </Form>
          )}
        </div>
        <nav aria-label="Main" className="flex gap-1 overflow-x-auto px-3 pb-2 md:block md:space-y-1 md:pb-0">
          {team && (
            <>
              <NavLink to={teamPath(team.id)} end className={navClass}>
                Dashboard
              </NavLink>
              <NavLink to={teamPath(team.id, '/workflows')} className={navClass}>
                Workflows
              </NavLink>
              <NavLink to={teamPath(team.id, '/runs')} className={navClass}>
                Runs
              </NavLink>
              <NavLink to={teamPath(team.id, '/failures')} className={navClass}>
                Failures
              </NavLink>
              <p className="mt-4 hidden px-3 text-xs font-semibold tracking-wide text-slate-500 uppercase md:block">Team</p>
              <NavLink to={teamPath(team.id, '/settings/members')} className={navClass}>
                Members
              </NavLink>
              {canAdmin(team.role) && (
                <NavLink to={teamPath(team.id, '/settings/api-keys')} className={navClass}>
                  API keys
                </NavLink>
              )}
              <NavLink to={teamPath(team.id, '/settings/credentials')} className={navClass}>
                Credentials
              </NavLink>
              {canAdmin(team.role) && (
                <NavLink to={teamPath(team.id, '/settings/notifications')} className={navClass}>
                  Notifications
                </NavLink>
              )}
            </>
          )}
          <p className="mt-4 hidden px-3 text-xs font-semibold tracking-wide text-slate-500 uppercase md:block">You</p>
          <NavLink to="/account" className={navClass}>
            Account
          </NavLink>
          {me.instanceAdmin && (
            <NavLink to="/admin" className={navClass}>
              Instance admin
            </NavLink>
          )}
        </nav>
        <div className="flex items-center justify-between gap-2 border-t border-slate-200 px-4 py-2 md:absolute md:bottom-0 md:block md:w-60 md:space-y-2 md:border-t-0 md:py-4 dark:border-slate-800">
          <p className="hidden truncate text-xs text-slate-500 md:block" title={me.user.email}>
            {me.user.name} · {me.user.email}
          </p>
          <div className="flex w-full justify-between gap-2 md:w-auto md:justify-start">
            <Form method="post" action="/theme" className="flex gap-1">
              <input type="hidden" name="redirectTo" value={location.pathname + location.search} />
              <label htmlFor="theme" className="sr-only">
                Theme
              </label>
              <select id="theme" name="theme" className="rounded-md border border-slate-300 bg-white px-1 py-1 text-xs dark:border-slate-700 dark:bg-slate-900" defaultValue={theme} key={theme} onChange={(event) => event.currentTarget.form?.requestSubmit()}>
                <option value="system">System theme</option>
                <option value="light">Light</option>
                <option value="dark">Dark</option>
              </select>
              <noscript>
                <button type="submit">Set</button>
              </noscript>
            </Form>
            <Form method="post" action="/logout">
              <button type="submit" className="rounded-md px-2 py-1 text-xs text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800">
                Log out
              </button>
            </Form>
          </div>
        </div>
      </aside>
      <main className="min-w-0 flex-1 px-4 py-6 md:px-8">
        <Outlet />
      </main>
    </div>
  );
}
