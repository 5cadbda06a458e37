// /account: the signed-in person's profile, password, login history and active sessions.
import { useEffect, useRef } from 'react';
import { data, Form, Link, redirect } from 'react-router';
import { formErrors, SubmitButton } from '../components/auth-shell.tsx';
import { Alert, Badge, Card, Field, formatTime, PageHeader, Table, useActionToast } from '../components/ui.tsx';
import { attempt, clientFor, cookiesFrom } from '../lib/api.server.ts';
import type { Problem } from '../lib/problems.ts';
import { requireMe } from '../lib/session.server.ts';
import type { Route } from './+types/account.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Account · Trellis' }];

const LOGINS_PER_PAGE = 20;

export async function loader({ request }: Route.LoaderArgs) {
  const cursor = new URL(request.url).searchParams.get('logins');
  const api = clientFor(request);
  const [me, logins, sessions] = await Promise.all([
    requireMe(request),
    attempt(() => api.call('listMyLogins', { query: { limit: LOGINS_PER_PAGE, ...(cursor ? { cursor } : {}) } })),
    api.call('listMySessions'),
  ]);
  // A stale or hand-edited cursor: start from the newest attempts again.
  if (!logins.ok) throw redirect('/account');
  return { user: me.user, logins: logins.data, sessions: sessions.items, olderPage: Boolean(cursor) };
}

type Intent = 'profile' | 'password' | 'revoke';
type ActionResult = { intent: Intent; toast?: string; problem?: Problem };

export async function action({ request }: Route.ActionArgs) {
  const api = clientFor(request);
  const form = await request.formData();
  const intent = String(form.get('intent')) as Intent;
  const failed = (problem: Problem): ActionResult => ({ intent, problem });
  switch (intent) {
    case 'profile': {
      const result = await attempt(() => api.call('updateMe', { body: { name: String(form.get('name') ?? '') } }));
      return result.ok ? ({ intent, toast: 'Profile saved' } satisfies ActionResult) : failed(result.problem);
    }
    case 'password': {
      const currentPassword = form.get('currentPassword');
      const body = { newPassword: String(form.get('newPassword') ?? ''), ...(typeof currentPassword === 'string' ? { currentPassword } : {}) };
      const result = await attempt(() => api.callRaw('changePassword', { body }));
      // Every session was revoked; the API's answer carries this browser's new session cookie.
      if (result.ok) return data({ intent, toast: 'Password changed; your other sessions were signed out' } satisfies ActionResult, { headers: cookiesFrom(result.data) });
      return failed(result.problem);
    }
    case 'revoke': {
      const sessionId = String(form.get('sessionId') ?? '');
      const result = await attempt(() => api.call('revokeMySession', { params: { sessionId } }));
      return result.ok ? ({ intent, toast: 'Session revoked' } satisfies ActionResult) : failed(result.problem);
    }
    default:
      return failed({ detail: 'Unknown action' });
  }
}

const METHOD_LABELS: Record<string, string> = { password: 'Password', google: 'Google', github: 'GitHub' };
const REASON_LABELS: Record<string, string> = {
  wrong_password: 'wrong password',
  email_not_verified: 'email not verified',
  no_password: 'account has no password',
  unknown_email: 'unknown email',
  state_mismatch: 'sign-in expired or started elsewhere',
  email_unverified: 'provider email not verified',
};

function reasonLabel(reason: string): string {
  if (reason.startsWith('provider_error:')) return `refused by the provider (${reason.slice('provider_error:'.length)})`;
  return REASON_LABELS[reason] ?? reason.replaceAll('_', ' ');
}

export default function Account({ loaderData, actionData }: Route.ComponentProps) {
  const { user, logins, sessions, olderPage } = loaderData;
  const result = actionData as ActionResult | undefined;
  useActionToast(result);
  const errorsFor = (intent: Intent) => (result?.intent === intent ? formErrors(result.problem) : {});
  const profileErrors = errorsFor('profile');
  const passwordErrors = errorsFor('password');
  const revokeErrors = errorsFor('revoke');

  // Clear the password fields once the change went through (without JS the page is fresh anyway).
  const passwordForm = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (result?.intent === 'password' && result.toast) passwordForm.current?.reset();
  }, [result]);

  return (
    <div className="mx-auto max-w-5xl space-y-6">
      <PageHeader title="Account" description="Your profile, password, and where your account is signed in." />

      <div className="grid gap-6 lg:grid-cols-2">
        <Card title="Profile">
          <Form method="post" className="space-y-4">
            <Field label="Name" name="name" required maxLength={100} autoComplete="name" defaultValue={user.name} error={profileErrors.name} />
            <div className="space-y-1 text-sm">
              <p className="font-medium text-slate-700 dark:text-slate-300">Email address</p>
              <p className="flex flex-wrap items-center gap-2">
                <span className="break-all">{user.email}</span>
                {user.emailVerified ? <Badge status="succeeded">verified</Badge> : <Badge status="waiting">not verified</Badge>}
              </p>
            </div>
            {profileErrors.form && <Alert>{profileErrors.form}</Alert>}
            <div className="flex justify-end">
              <SubmitButton intent="profile">Save profile</SubmitButton>
            </div>
          </Form>
        </Card>

        <Card title={user.hasPassword ? 'Password' : 'Set a password'}>
          <Form method="post" className="space-y-4" ref={passwordForm}>
            {!user.hasPassword && <p className="text-sm text-slate-600 dark:text-slate-400">You sign in with Google or GitHub. A password lets you sign in with your email address too.</p>}
            {user.hasPassword && <Field label="Current password" name="currentPassword" type="password" autoComplete="current-password" required error={passwordErrors.currentPassword} />}
            <Field label="New password" name="newPassword" type="password" autoComplete="new-password" required error={passwordErrors.newPassword} hint="At least 12 characters. Your other sessions will be signed out." />
            {passwordErrors.form && <Alert>{passwordErrors.form}</Alert>}
            <div className="flex justify-end">
              <SubmitButton intent="password">{user.hasPassword ? 'Change password' : 'Set password'}</SubmitButton>
            </div>
          </Form>
        </Card>
      </div>

      <Card title="Active sessions">
        {revokeErrors.form && (
          <div className="mb-4">
            <Alert>{revokeErrors.form}</Alert>
          </div>
        )}
        <Table>
          <thead>
            <tr>
              <th scope="col">Signed in</th>
              <th scope="col">Method</th>
              <th scope="col">IP address</th>
              <th scope="col">Browser</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((session) => (
              <tr key={session.id}>
                <td className="whitespace-nowrap">{formatTime(session.createdAt)}</td>
                <td>{METHOD_LABELS[session.method] ?? session.method}</td>
                <td className="font-mono text-xs">{session.ip ?? '—'}</td>
                <td className="max-w-xs truncate" title={session.userAgent ?? undefined}>
                  {session.userAgent ?? '—'}
                </td>
                <td className="whitespace-nowrap">{formatTime(session.expiresAt)}</td>
                <td className="text-right">
                  {session.current ? (
                    <Badge status="running">This session</Badge>
                  ) : (
                    <Form method="post">
                      <input type="hidden" name="sessionId" value={session.id} />
                      <SubmitButton intent="revoke" variant="secondary" className="h-8 px-3">
                        Revoke<span className="sr-only"> session signed in {formatTime(session.createdAt)}{session.ip ? ` from ${session.ip}` : ''}</span>
                      </SubmitButton>
                    </Form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
        <p className="mt-3 text-xs text-slate-500 dark:text-slate-400">To end this session, use Log out.</p>
      </Card>

      <Card
        title="Login history"
        actions={
          <div className="flex gap-3 text-sm">
            {olderPage && <Link to="/account">Newest</Link>}
            {logins.nextCursor && <Link to={`/account?logins=${encodeURIComponent(logins.nextCursor)}`}>Older attempts</Link>}
          </div>
        }
      >
        {logins.items.length === 0 ? (
          <p className="text-sm text-slate-600 dark:text-slate-400">No sign-in attempts recorded yet.</p>
        ) : (
          <Table>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Method</th>
                <th scope="col">Result</th>
                <th scope="col">IP address</th>
                <th scope="col">Browser</th>
              </tr>
            </thead>
            <tbody>
              {logins.items.map((login) => (
                <tr key={login.id}>
                  <td className="whitespace-nowrap">{formatTime(login.time)}</td>
                  <td>{METHOD_LABELS[login.method] ?? login.method}</td>
                  <td>
                    {login.success ? (
                      <Badge status="succeeded">Success</Badge>
                    ) : (
                      <span className="inline-flex flex-wrap items-center gap-1.5">
                        <Badge status="failed">Failed</Badge>
                        {login.reason && <span className="text-xs text-slate-600 dark:text-slate-400">{reasonLabel(login.reason)}</span>}
                      </span>
                    )}
                  </td>
                  <td className="font-mono text-xs">{login.ip ?? '—'}</td>
                  <td className="max-w-xs truncate" title={login.userAgent ?? undefined}>
                    {login.userAgent ?? '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </Card>
    </div>
  );
}
