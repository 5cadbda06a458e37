// /reset-password?token=…: the link from the reset email. Setting the new password signs out every
// session of the account (the API also clears this browser's cookie), so success leads to log in.
import { data, Form, Link } from 'react-router';
import { AuthShell, formErrors, SubmitButton } from '../../components/auth-shell.tsx';
import { Alert, buttonClass, Field } from '../../components/ui.tsx';
import { attempt, clientFor, cookiesFrom } from '../../lib/api.server.ts';
import type { Problem } from '../../lib/problems.ts';
import type { Route } from './+types/reset-password.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Reset password · Trellis' }];

export function loader({ request }: Route.LoaderArgs) {
  return { token: new URL(request.url).searchParams.get('token') ?? '' };
}

export async function action({ request }: Route.ActionArgs) {
  const form = await request.formData();
  const token = String(form.get('token') ?? '');
  const password = String(form.get('password') ?? '');
  const result = await attempt(() => clientFor(request, { public: true }).callRaw('confirmPasswordReset', { body: { token, password } }));
  if (result.ok) return data({ changed: true as boolean, problem: undefined as Problem | undefined }, { headers: cookiesFrom(result.data) });
  return { changed: false, problem: result.problem };
}

const requestNewLink = (
  <p className="text-center text-sm">
    <Link to="/forgot-password">Ask for a new link</Link>
  </p>
);

export default function ResetPassword({ loaderData, actionData }: Route.ComponentProps) {
  const { token } = loaderData;
  if (actionData?.changed) {
    return (
      <AuthShell title="Password changed" description="Your new password is set, and every session of your account was signed out.">
        <Link to="/login" className={buttonClass('primary', 'md', 'w-full')}>
          Log in
        </Link>
      </AuthShell>
    );
  }
  if (!token) {
    return (
      <AuthShell title="This link does not work">
        <Alert>The reset link is incomplete. Open the link from the email again, or ask for a new one.</Alert>
        {requestNewLink}
      </AuthShell>
    );
  }
  const problem = actionData?.problem;
  const errors = formErrors(problem);
  // The token is not a field the person can correct: a bad one is a form-level error.
  if (errors.token) {
    errors.form = 'The reset link is invalid.';
    delete errors.token;
  }
  const tokenSpent = problem?.code === 'invalid_token';
  return (
    <AuthShell title="Choose a new password" description="All your sessions will be signed out once it is set.">
      <Form method="post" className="space-y-4">
        <input type="hidden" name="token" value={token} />
        <Field label="New password" name="password" type="password" autoComplete="new-password" required error={errors.password} hint="At least 12 characters; a passphrase works well." />
        {errors.form && <Alert>{tokenSpent ? 'This reset link is invalid, has expired or was already used.' : errors.form}</Alert>}
        {(tokenSpent || errors.form) && requestNewLink}
        <SubmitButton className="w-full">Set new password</SubmitButton>
      </Form>
    </AuthShell>
  );
}
