// /teams/new: a team besides the personal one; its creator is its owner.
import { Form, Link, redirect } from 'react-router';
import { formErrors, SubmitButton } from '../components/auth-shell.tsx';
import { Alert, buttonClass, Card, Field, PageHeader } from '../components/ui.tsx';
import { attempt, clientFor } from '../lib/api.server.ts';
import { teamPath } from '../lib/types.ts';
import type { Route } from './+types/teams-new.ts';

export const meta: Route.MetaFunction = () => [{ title: 'New team · Trellis' }];

export async function action({ request }: Route.ActionArgs) {
  const form = await request.formData();
  const name = String(form.get('name') ?? '').trim();
  const result = await attempt(() => clientFor(request).call('createTeam', { body: { name } }));
  if (result.ok) return redirect(teamPath(result.data.id));
  return { name, problem: result.problem };
}

export default function NewTeam({ actionData }: Route.ComponentProps) {
  const errors = formErrors(actionData?.problem);
  return (
    <div className="mx-auto max-w-lg">
      <PageHeader title="New team" description="Teams share workflows, runs, credentials and API keys. You will be its owner and can invite others." />
      <Card>
        <Form method="post" className="space-y-4">
          <Field label="Name" name="name" required maxLength={100} autoComplete="off" defaultValue={actionData?.name} error={errors.name} placeholder="e.g. Marketing automation" />
          {errors.form && <Alert>{errors.form}</Alert>}
          <div className="flex flex-wrap justify-end gap-2">
            <Link to="/" className={buttonClass('secondary')}>
              Cancel
            </Link>
            <SubmitButton>Create team</SubmitButton>
          </div>
        </Form>
      </Card>
    </div>
  );
}
