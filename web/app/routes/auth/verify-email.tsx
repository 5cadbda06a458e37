// /verify-email?token=…: the link from the verification email. Confirming spends the token, so it
// is a POST: the page submits its form by itself once loaded, and shows the "Verify email" button
// for browsers without JavaScript (and for mail scanners that open links, which never submit).
import { useEffect, useRef } from 'react';
import { Form, Link, useNavigation, useSubmit } from 'react-router';
import { AuthShell, formErrors, SubmitButton } from '../../components/auth-shell.tsx';
import { Alert, buttonClass, Field } from '../../components/ui.tsx';
import { attempt, clientFor } from '../../lib/api.server.ts';
import type { Problem } from '../../lib/problems.ts';
import type { Route } from './+types/verify-email.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Verify email · Trellis' }];

export function loader({ request }: Route.LoaderArgs) {
  return { token: new URL(request.url).searchParams.get('token') ?? '' };
}

type ActionResult = { intent: 'verify' | 'resend'; verified?: boolean; email?: string; resent?: boolean; problem?: Problem };

export async function action({ request }: Route.ActionArgs): Promise<ActionResult> {
  const form = await request.formData();
  if (form.get('intent') === 'resend') {
    const email = String(form.get('email') ?? '').trim();
    const sent = await attempt(() => clientFor(request, { public: true }).call('resendVerification', { body: { email } }));
    return sent.ok ? { intent: 'resend', email, resent: true } : { intent: 'resend', email, problem: sent.problem };
  }
  const token = String(form.get('token') ?? '');
  const result = await attempt(() => clientFor(request, { public: true }).call('verifyEmail', { body: { token } }));
  return result.ok ? { intent: 'verify', verified: true, email: result.data.user.email } : { intent: 'verify', problem: result.problem };
}

export default function VerifyEmail({ loaderData, actionData }: Route.ComponentProps) {
  const { token } = loaderData;
  const submit = useSubmit();
  const navigation = useNavigation();
  const form = useRef<HTMLFormElement>(null);
  const submitted = useRef(false);

  // Once per page (the ref survives StrictMode's second effect run): the token works only once.
  useEffect(() => {
    if (!token || actionData || submitted.current || !form.current) return;
    submitted.current = true;
    void submit(form.current);
  }, [token, actionData, submit]);

  if (actionData?.verified) {
    return (
      <AuthShell title="Email verified" description={<>Thanks, {actionData.email} is confirmed. You can log in now.</>}>
        <Link to="/login" className={buttonClass('primary', 'md', 'w-full')}>
          Log in
        </Link>
      </AuthShell>
    );
  }

  const verifyFailed = actionData?.intent === 'verify' || actionData?.intent === 'resend';
  if (!token || verifyFailed) {
    const verifyError = actionData?.intent === 'verify' ? actionData.problem : undefined;
    return (
      <AuthShell title="This link does not work" description="Ask for a new verification link: we will email it to you.">
        <Alert>
          {verifyError?.code === 'invalid_token' || !verifyError
            ? 'The verification link is invalid, has expired or was already used.'
            : (verifyError.detail ?? 'The email address could not be verified.')}
        </Alert>
        <ResendForm result={actionData?.intent === 'resend' ? actionData : undefined} />
        <p className="text-center text-sm">
          Already verified? <Link to="/login">Log in</Link>
        </p>
      </AuthShell>
    );
  }

  const busy = navigation.state !== 'idle';
  return (
    <AuthShell title="Verify your email" description={busy ? 'Confirming your email address…' : 'Confirm your email address to activate your account.'}>
      <Form method="post" ref={form}>
        <input type="hidden" name="token" value={token} />
        <SubmitButton intent="verify" className="w-full">
          Verify email
        </SubmitButton>
      </Form>
    </AuthShell>
  );
}

function ResendForm({ result }: { result: ActionResult | undefined }) {
  const errors = formErrors(result?.problem);
  if (result?.resent) {
    return <Alert tone="success">If {result.email} has an account waiting for confirmation, a new link is on its way. Check your inbox.</Alert>;
  }
  return (
    <Form method="post" className="space-y-3">
      <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={result?.email} error={errors.email} />
      {errors.form && <Alert>{errors.form}</Alert>}
      <SubmitButton intent="resend" className="w-full">
        Resend verification email
      </SubmitButton>
    </Form>
  );
}
