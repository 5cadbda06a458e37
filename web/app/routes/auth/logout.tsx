// POST /logout: revokes the session at the API and drops the cookie. The cookie is cleared here
// too, so the browser is signed out even when the API cannot be reached.
import { redirect } from 'react-router';
import { safeNext } from '../../../../contract/safe-next.ts';
import { clientFor, cookiesFrom } from '../../lib/api.server.ts';
import type { Route } from './+types/logout.ts';

export async function action({ request }: Route.ActionArgs) {
  const form = await request.formData().catch(() => undefined);
  const response = await clientFor(request, { public: true }).callRaw('logout').catch(() => undefined);
  const headers = response ? cookiesFrom(response) : new Headers();
  headers.append('set-cookie', 'trellis_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax');
  // A page may ask to come back after signing in again (an invitation for another address).
  const next = safeNext(form?.get('next'));
  return redirect(next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`, { headers });
}

// Signing out changes state, so a plain GET /logout does nothing.
export function loader() {
  return redirect('/');
}
