// The frame of the public account pages (log in, sign up, verify, reset, invitation): the Trellis
// name above one centred card. Also the small pieces those pages share: how an API problem maps
// to field errors, a submit button that knows its form is pending, and readable OAuth errors.
import type { ReactNode } from 'react';
import { useNavigation } from 'react-router';
import type { Problem } from '../lib/problems.ts';
import { fieldErrors } from '../lib/problems.ts';
import { Button } from './ui.tsx';

export function AuthShell({ title, description, children, footer }: { title: string; description?: ReactNode; children: ReactNode; footer?: ReactNode }) {
  return (
    <main className="flex min-h-screen flex-col items-center justify-start px-4 py-10 sm:justify-center">
      <a href="/" className="mb-6 flex items-center gap-2 text-xl font-semibold tracking-tight text-slate-900 no-underline dark:text-white">
        <img src="/favicon.svg" alt="" width={28} height={28} className="h-7 w-7" />
        Trellis
      </a>
      <div className="w-full max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm sm:p-8 dark:border-slate-800 dark:bg-slate-900">
        <h1 className="text-xl font-semibold tracking-tight">{title}</h1>
        {description && <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">{description}</p>}
        <div className="mt-6 space-y-4">{children}</div>
      </div>
      {footer && <div className="mt-6 space-y-1 text-center text-sm text-slate-600 dark:text-slate-400">{footer}</div>}
    </main>
  );
}

/**
 * Field errors for a form. Policy refusals (weak_password, wrong_password …) name one field with a
 * fragment ("is wrong") and say the whole sentence in `detail`; the sentence reads better.
 */
export function formErrors(problem: Problem | undefined): Record<string, string> {
  const errors = fieldErrors(problem);
  if (problem?.detail && problem.code !== 'invalid_request' && problem.problems?.length === 1) {
    const field = Object.keys(errors).find((name) => name !== 'form');
    if (field) errors[field] = problem.detail;
  }
  for (const [field, message] of Object.entries(errors)) {
    // zod's wording for an empty string; browsers usually stop this earlier (`required`).
    if (/^Too small: expected string to have >=1 characters?$/.test(message)) errors[field] = 'This field is required';
  }
  return errors;
}

/** A submit button that is disabled while its form (told apart by `intent`) is being sent. */
export function SubmitButton({ children, intent, className, variant = 'primary' }: { children: ReactNode; intent?: string; className?: string; variant?: 'primary' | 'secondary' | 'danger' }) {
  const navigation = useNavigation();
  const busy = navigation.state === 'submitting' && (intent === undefined || navigation.formData?.get('intent') === intent);
  return (
    <Button type="submit" name={intent ? 'intent' : undefined} value={intent} variant={variant} disabled={busy} aria-busy={busy || undefined} className={className}>
      {children}
    </Button>
  );
}

/** Why an OAuth sign-in came back to the login page (`?error=` from the API's callback). */
export function oauthErrorMessage(code: string): string {
  switch (code) {
    case 'oauth_denied':
      return 'The sign-in was cancelled or refused at the provider. Try again, or log in with your password.';
    case 'oauth_state_mismatch':
      return 'The sign-in took too long or was started in another browser. Please start again.';
    case 'oauth_email_unverified':
      return 'That account has no verified email address. Verify one with the provider, then try again.';
    case 'oauth_provider_not_configured':
      return 'Signing in with that provider is not set up on this server. Log in with your email and password instead.';
    case 'oauth_failed':
      return 'The provider did not confirm the sign-in. Please try again.';
    case 'invalid_request':
      return 'The provider sent back an incomplete answer. Please try again.';
    default:
      return 'Signing in with that provider did not work. Please try again.';
  }
}
