// /register: name, email and password. The API emails a verification link (/verify-email?token=…),
// or, for an address that has an account, a note to its owner; the answer is the same either way,
// so success here is always "check your email".
import { Form, Link } from 'react-router';
import { AuthShell, formErrors, SubmitButton } from '../../components/auth-shell.tsx';
import { Alert, Field } from '../../components/ui.tsx';
import { attempt, clientFor, signInProviders } from '../../lib/api.server.ts';
import type { Problem } from '../../lib/problems.ts';
import type { Route } from './+types/register.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Sign up · Trellis' }];

export async function loader({ request }: Route.LoaderArgs) {
  return { providers: await signInProviders(request) };
}

type ActionResult = { intent: 'register' | 'resend'; name: string; email: string; problem?: Problem; registered?: boolean; resent?: boolean };

export async function action({ request }: Route.ActionArgs): Promise<ActionResult> {
  const form = await request.formData();
  const name = String(form.get('name') ?? '').trim();
  const email = String(form.get('email') ?? '').trim();
  if (form.get('intent') === 'resend') {
    const sent = await attempt(() => clientFor(request, { public: true }).call('resendVerification', { body: { email } }));
    return { intent: 'resend', name, email, registered: true, ...(sent.ok ? { resent: true } : { problem: sent.problem }) };
  }
  const password = String(form.get('password') ?? '');
  const result = await attempt(() => clientFor(request, { public: true }).call('register', { body: { name, email, password } }));
  if (result.ok) return { intent: 'register', name, email, registered: true };
  return { intent: 'register', name, email, problem: result.problem };
}

export default function Register({ loaderData, actionData }: Route.ComponentProps) {
  const { providers } = loaderData;
  if (actionData?.registered) return <CheckEmail email={actionData.email} resent={actionData.resent} problem={actionData.problem} />;
  const errors = formErrors(actionData?.problem);
  return (
    <AuthShell
      title="Create your Trellis account"
      footer={
        <p>
          Already have an account? <Link to="/login">Log in</Link>
        </p>
      }
    >
      <Form method="post" className="space-y-4">
        <Field label="Name" name="name" autoComplete="name" required maxLength={100} defaultValue={actionData?.name} error={errors.name} />
        <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={actionData?.email} error={errors.email} />
        <Field label="Password" name="password" type="password" autoComplete="new-password" required error={errors.password} hint="At least 12 characters; a passphrase works well." />
        {errors.form && <Alert>{errors.form}</Alert>}
        <SubmitButton intent="register" className="w-full">
          Sign up
        </SubmitButton>
      </Form>
      {(providers.google || providers.github) && (
        <p className="text-center text-sm text-slate-600 dark:text-slate-400">
          You can also sign up with{' '}
          {providers.google && <a href="/api/v1/auth/oauth/google">Google</a>}
          {providers.google && providers.github && ' or '}
          {providers.github && <a href="/api/v1/auth/oauth/github">GitHub</a>}.
        </p>
      )}
    </AuthShell>
  );
}

function CheckEmail({ email, resent, problem }: { email: string; resent?: boolean | undefined; problem?: Problem | undefined }) {
  const resendError = problem ? Object.values(formErrors(problem))[0] : undefined;
  return (
    <AuthShell title="Check your email" description={<>We sent an email to <strong className="font-medium text-slate-900 dark:text-slate-100">{email}</strong>. Follow its link to activate your account, then log in. If the address already has an account, the email says how to get back into it.</>}>
      {resent && <Alert tone="success">A new link is on its way.</Alert>}
      {resendError && <Alert>{resendError}</Alert>}
      <Form method="post" className="space-y-3">
        <input type="hidden" name="email" value={email} />
        <p className="text-sm text-slate-600 dark:text-slate-400">Nothing arrived after a few minutes? Check your spam folder, or ask for another link.</p>
        <SubmitButton intent="resend" variant="secondary" className="w-full">
          Resend verification email
        </SubmitButton>
      </Form>
      <p className="text-center text-sm">
        <Link to="/login">Go to log in</Link>
      </p>
    </AuthShell>
  );
}
