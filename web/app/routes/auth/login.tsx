// /login: email and password, or Google/GitHub. The API sets the session cookie on its answer;
// the action hands that Set-Cookie on to the browser with the redirect to `next`.
import { Form, Link, redirect } from 'react-router';
import { safeNext } from '../../../../contract/safe-next.ts';
import { AuthShell, formErrors, oauthErrorMessage, SubmitButton } from '../../components/auth-shell.tsx';
import { Alert, buttonClass, Field } from '../../components/ui.tsx';
import { attempt, clientFor, cookiesFrom, signInProviders } from '../../lib/api.server.ts';
import type { Problem } from '../../lib/problems.ts';
import type { Route } from './+types/login.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Log in · Trellis' }];

export async function loader({ request }: Route.LoaderArgs) {
  const url = new URL(request.url);
  const next = safeNext(url.searchParams.get('next'));
  // Someone already signed in has nothing to do here. An unreachable API just shows the form.
  const me = await clientFor(request, { public: true }).call('getMe').catch(() => undefined);
  if (me) throw redirect(next);
  const error = url.searchParams.get('error');
  return { next, oauthError: error ? oauthErrorMessage(error) : undefined, providers: await signInProviders(request) };
}

type ActionResult = { intent: 'login' | 'resend'; email: string; problem?: Problem; unverified?: boolean; resent?: boolean };

export async function action({ request }: Route.ActionArgs): Promise<ActionResult | Response> {
  const form = await request.formData();
  const email = String(form.get('email') ?? '').trim();
  if (form.get('intent') === 'resend') {
    const sent = await attempt(() => clientFor(request, { public: true }).call('resendVerification', { body: { email } }));
    return sent.ok ? { intent: 'resend', email, unverified: true, resent: true } : { intent: 'resend', email, unverified: true, problem: sent.problem };
  }
  const password = String(form.get('password') ?? '');
  const result = await attempt(() => clientFor(request, { public: true }).callRaw('login', { body: { email, password } }));
  if (result.ok) return redirect(safeNext(form.get('next')), { headers: cookiesFrom(result.data) });
  return { intent: 'login', email, problem: result.problem, unverified: result.problem.code === 'email_not_verified' };
}

/** Google/GitHub sign-in, coming back to `next` afterwards (e.g. an invitation). */
function oauthHref(provider: 'google' | 'github', next: string): string {
  return `/api/v1/auth/oauth/${provider}${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`;
}

export default function Login({ loaderData, actionData }: Route.ComponentProps) {
  const { next, oauthError, providers } = loaderData;
  const errors = actionData?.intent === 'login' && !actionData.unverified ? formErrors(actionData.problem) : {};
  const resendError = actionData?.intent === 'resend' ? Object.values(formErrors(actionData.problem))[0] : undefined;
  return (
    <AuthShell
      title="Log in to Trellis"
      footer={
        <p>
          New to Trellis? <Link to="/register">Create an account</Link>
        </p>
      }
    >
      {oauthError && !actionData && <Alert>{oauthError}</Alert>}

      {(providers.google || providers.github) && (
        <>
          <div className="grid gap-2">
            {providers.google && (
              <a href={oauthHref('google', next)} className={buttonClass('secondary', 'md', 'w-full')}>
                Continue with Google
              </a>
            )}
            {providers.github && (
              <a href={oauthHref('github', next)} className={buttonClass('secondary', 'md', 'w-full')}>
                Continue with GitHub
              </a>
            )}
          </div>

          <div className="flex items-center gap-3 text-xs text-slate-500 dark:text-slate-400" aria-hidden="true">
            <span className="h-px flex-1 bg-slate-200 dark:bg-slate-800" />
            or
            <span className="h-px flex-1 bg-slate-200 dark:bg-slate-800" />
          </div>
        </>
      )}

      <Form method="post" className="space-y-4">
        <input type="hidden" name="next" value={next} />
        <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={actionData?.email} error={errors.email} />
        <div className="space-y-1">
          <Field label="Password" name="password" type="password" autoComplete="current-password" required error={errors.password} />
          <p className="text-right text-sm">
            <Link to="/forgot-password">Forgot password?</Link>
          </p>
        </div>
        {errors.form && <Alert>{errors.form}</Alert>}
        <SubmitButton intent="login" className="w-full">
          Log in
        </SubmitButton>
      </Form>

      {actionData?.unverified && (
        <div className="space-y-3">
          {actionData.resent ? (
            <Alert tone="success">If {actionData.email} still needs confirming, a new verification link is on its way. Check your inbox.</Alert>
          ) : (
            <Alert tone="info">{actionData.problem?.detail ?? 'Confirm your email address first: follow the link we sent you.'}</Alert>
          )}
          {resendError && <Alert>{resendError}</Alert>}
          <Form method="post">
            <input type="hidden" name="email" value={actionData.email} />
            <SubmitButton intent="resend" variant="secondary" className="w-full">
              Resend verification email
            </SubmitButton>
          </Form>
        </div>
      )}
    </AuthShell>
  );
}
