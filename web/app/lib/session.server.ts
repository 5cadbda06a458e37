// Who is signed in, and in which team: loaders of signed-in pages start here.
import { data } from 'react-router';
import { clientFor } from './api.server.ts';
import type { Me, TeamView } from './types.ts';

// The layout's loader and the page's loader run for the same request: ask the API once.
const meOfRequest = new WeakMap<Request, Promise<Me>>();

/** The signed-in user and their teams; redirects to /login when there is no valid session. */
export function requireMe(request: Request): Promise<Me> {
  let me = meOfRequest.get(request);
  if (!me) {
    me = clientFor(request).call('getMe');
    meOfRequest.set(request, me);
  }
  return me;
}

/** The signed-in user and the team named in the URL; 404 when they are not a member. */
export async function requireTeam(request: Request, teamId: string | undefined): Promise<{ me: Me; team: TeamView }> {
  const me = await requireMe(request);
  const team = me.teams.find((candidate) => candidate.id === teamId);
  if (!team) throw data('No such team', { status: 404 });
  return { me, team };
}
