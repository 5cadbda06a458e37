// POST /theme {theme}: remembers the colour theme for a year and goes back where the form was.
import { redirect } from 'react-router';
import { safeNext } from '../../../contract/safe-next.ts';
import { THEME_COOKIE, THEMES, type Theme } from '../lib/theme.ts';
import type { Route } from './+types/theme.ts';

export async function action({ request }: Route.ActionArgs) {
  const form = await request.formData();
  const theme = String(form.get('theme'));
  const value: Theme = (THEMES as readonly string[]).includes(theme) ? (theme as Theme) : 'system';
  return redirect(safeNext(form.get('redirectTo')), {
    headers: { 'set-cookie': `${THEME_COOKIE}=${value}; Path=/; Max-Age=31536000; SameSite=Lax` },
  });
}

export function loader() {
  return redirect('/');
}
