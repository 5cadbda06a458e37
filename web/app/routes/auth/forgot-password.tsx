// /forgot-password: asks the API to email a reset link. The answer is the same whether or not an
// account exists for the address, so the page cannot be used to find out who has an account.
import { Form, Link } from 'react-router';
import { AuthShell, formErrors, SubmitButton } from '../../components/auth-shell.tsx';
import { Alert, Field } from '../../components/ui.tsx';
import { attempt, clientFor } from '../../lib/api.server.ts';
import type { Problem } from '../../lib/problems.ts';
import type { Route } from './+types/forgot-password.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Forgot password · Trellis' }];

type ActionResult = { email: string; sent?: boolean; problem?: Problem };

export async function action({ request }: Route.ActionArgs): Promise<ActionResult> {
  const form = await request.formData();
  const email = String(form.get('email') ?? '').trim();
  const result = await attempt(() => clientFor(request, { public: true }).call('requestPasswordReset', { body: { email } }));
  return result.ok ? { email, sent: true } : { email, problem: result.problem };
}

export default function ForgotPassword({ actionData }: Route.ComponentProps) {
  const footer = (
    <p>
      Remembered it? <Link to="/login">Log in</Link>
    </p>
  );
  if (actionData?.sent) {
    return (
      <AuthShell title="Check your email" footer={footer}>
        <Alert tone="success">If an account exists for {actionData.email}, we sent a link to reset its password. The link works for one hour.</Alert>
      </AuthShell>
    );
  }
  const errors = formErrors(actionData?.problem);
  return (
    <AuthShell title="Reset your password" description="Enter the email address of your account and we will send you a link to choose a new password." footer={footer}>
      <Form method="post" className="space-y-4">
        <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={actionData?.email} error={errors.email} />
        {errors.form && <Alert>{errors.form}</Alert>}
        <SubmitButton className="w-full">Send reset link</SubmitButton>
      </Form>
    </AuthShell>
  );
}
