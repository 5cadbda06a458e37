// "/": signed-in people go to their first team's dashboard, everyone else to the login page.
import { redirect } from 'react-router';
import { apiFetch } from '../lib/api.server.ts';
import { teamPath, type Me } from '../lib/types.ts';
import type { Route } from './+types/index.ts';

export async function loader({ request }: Route.LoaderArgs) {
  const response = await apiFetch(request, '/api/v1/me');
  if (!response.ok) return redirect('/login');
  const me = (await response.json()) as Me;
  const first = me.teams[0];
  return redirect(first ? teamPath(first.id) : '/account');
}
