// /invitations/:token: the link from an invitation email. Accepting needs a signed-in account with
// the invited address; anyone else is sent to log in first and comes back here afterwards.
import { Form, Link, redirect } from 'react-router';
import { AuthShell, SubmitButton } from '../../components/auth-shell.tsx';
import { Alert, Button } from '../../components/ui.tsx';
import { attempt, clientFor } from '../../lib/api.server.ts';
import { requireMe } from '../../lib/session.server.ts';
import { teamPath } from '../../lib/types.ts';
import type { Route } from './+types/invitation.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Invitation · Trellis' }];

export async function loader({ request, params }: Route.LoaderArgs) {
  // Not signed in: requireMe redirects to /login?next=/invitations/<token>.
  const me = await requireMe(request);
  return { email: me.user.email, token: params.token };
}

export async function action({ request, params }: Route.ActionArgs) {
  const token = params.token ?? '';
  const result = await attempt(() => clientFor(request).call('acceptInvitation', { params: { token } }));
  if (result.ok) return redirect(teamPath(result.data.team.id));
  return { problem: result.problem };
}

// Problems that trying again cannot fix.
const FINAL_PROBLEMS = new Set(['invalid_token', 'invitation_email_mismatch']);

export default function Invitation({ loaderData, actionData }: Route.ComponentProps) {
  const { email, token } = loaderData;
  const problem = actionData?.problem;
  return (
    <AuthShell title="Join a team" description={<>You were invited to a Trellis team. You are signed in as <strong className="font-medium text-slate-900 dark:text-slate-100">{email}</strong>.</>}>
      {problem && (
        <Alert>
          {problem.code === 'invalid_token'
            ? 'This invitation is invalid, has expired or was already used. Ask the team for a new one.'
            : problem.code === 'invitation_email_mismatch'
              ? `This invitation was sent to another email address, not ${email}. Log out, then sign in with the invited address.`
              : problem.code === 'email_not_verified'
                ? 'Confirm your email address before accepting: follow the link in the verification email.'
                : (problem.detail ?? 'The invitation could not be accepted.')}
        </Alert>
      )}
      {!(problem?.code && FINAL_PROBLEMS.has(problem.code)) && (
        <Form method="post">
          <SubmitButton className="w-full">Accept invitation</SubmitButton>
        </Form>
      )}
      {problem?.code === 'invitation_email_mismatch' && (
        // Back here after signing in with the right account.
        <Form method="post" action="/logout">
          <input type="hidden" name="next" value={`/invitations/${token}`} />
          <Button type="submit" variant="secondary" className="w-full">
            Log out and switch account
          </Button>
        </Form>
      )}
      <p className="text-center text-sm">
        <Link to="/">Not now</Link>
      </p>
    </AuthShell>
  );
}
