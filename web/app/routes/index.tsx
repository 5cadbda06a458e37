// "/": signed-in people go to their first team's dashboard, everyone else to the login page.
import { redirect } from 'react-router';
import { ApiError, clientFor } from '../lib/api.server.ts';
import { teamPath } from '../lib/types.ts';
import type { Route } from './+types/index.ts';

export async function loader({ request }: Route.LoaderArgs) {
  // An API that cannot be reached is an error page, not the login page.
  const me = await clientFor(request, { public: true }).call('getMe').catch((error: unknown) => {
    if (error instanceof ApiError && error.problem.code !== 'api_unreachable') return undefined;
    throw error;
  });
  if (!me) return redirect('/login');
  const first = me.teams[0];
  return redirect(first ? teamPath(first.id) : '/account');
}
