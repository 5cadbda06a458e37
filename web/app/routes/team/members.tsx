// /t/:teamId/settings/members: who is in the team and with which role; admins and owners invite,
// change roles and remove people. The API enforces the same rules (core/permissions.ts); this page
// only hides what the signed-in role may not do.
import { useEffect, useRef, useState } from 'react';
import { data, redirect, useFetcher } from 'react-router';
import { Alert, Badge, Button, Card, EmptyState, Field, PageHeader, Select, Table, formatTime, useActionToast } from '../../components/ui.tsx';
import { attempt, clientFor } from '../../lib/api.server.ts';
import { fieldErrors, type Problem } from '../../lib/problems.ts';
import { requireTeam } from '../../lib/session.server.ts';
import { canAdmin, type Role } from '../../lib/types.ts';
import type { Route } from './+types/members.ts';
import { ConfirmAction } from '../../components/confirm-action.tsx';
import type { InvitationView, MemberView } from '../../lib/types.ts';

type Member = MemberView;

type Invitation = InvitationView;

const ROLES: Role[] = ['owner', 'admin', 'editor', 'viewer'];

/** Roles `actor` may grant or take away: only owners touch the owner role (as the API rules). */
function canManage(actor: Role, target: Role): boolean {
  return canAdmin(actor) && (target !== 'owner' || actor === 'owner');
}

export const meta: Route.MetaFunction = ({ loaderData }) => [{ title: `Members · ${loaderData?.team.name ?? 'Team'} · Trellis` }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const { me, team } = await requireTeam(request, params.teamId);
  const api = clientFor(request).team(team.id);
  const [members, invitations] = await Promise.all([
    api.call('listMembers', { query: { limit: 100 } }),
    // Only admins may see pending invitations (members:invite).
    canAdmin(team.role) ? api.call('listInvitations', { query: { limit: 100 } }) : Promise.resolve(null),
  ]);
  return { me: { id: me.user.id }, team, members: members.items, moreMembers: members.nextCursor !== null, invitations: invitations?.items ?? null };
}

function failed(intent: string, problem: Problem) {
  return data({ intent, ok: false as const, toast: undefined, errors: fieldErrors(problem) }, { status: problem.status ?? 400 });
}

export async function action({ request, params }: Route.ActionArgs) {
  const { me, team } = await requireTeam(request, params.teamId);
  const api = clientFor(request).team(team.id);
  const form = await request.formData();
  const intent = String(form.get('intent') ?? '');
  const text = (name: string) => String(form.get(name) ?? '').trim();

  if (intent === 'invite') {
    const email = text('email');
    const result = await attempt(() => api.call('invite', { body: { email, role: text('role') as Role } }));
    if (!result.ok) return failed(intent, result.problem);
    return { intent, ok: true as const, toast: `Invitation sent to ${email}`, errors: {} };
  }
  if (intent === 'changeRole') {
    const role = text('role') as Role; // the API refuses an unknown role
    const result = await attempt(() => api.call('changeMemberRole', { params: { userId: text('userId') }, body: { role } }));
    if (!result.ok) return failed(intent, result.problem);
    return { intent, ok: true as const, toast: `Role changed to ${role}`, errors: {} };
  }
  if (intent === 'remove') {
    const userId = text('userId');
    const result = await attempt(() => api.call('removeMember', { params: { userId } }));
    if (!result.ok) return failed(intent, result.problem);
    // Whoever leaves a team can no longer see its pages.
    if (userId === me.user.id) return redirect('/');
    return { intent, ok: true as const, toast: 'Member removed', errors: {} };
  }
  if (intent === 'revokeInvitation') {
    const result = await attempt(() => api.call('withdrawInvitation', { params: { invitationId: text('invitationId') } }));
    if (!result.ok) return failed(intent, result.problem);
    return { intent, ok: true as const, toast: 'Invitation revoked', errors: {} };
  }
  return failed(intent, { detail: 'Unknown action', status: 400 });
}

export default function Members({ loaderData }: Route.ComponentProps) {
  const { me, team, members, moreMembers, invitations } = loaderData;
  const admin = canAdmin(team.role);
  const [removing, setRemoving] = useState<Member | null>(null);
  const self = members.find((member) => member.userId === me.id);

  return (
    <div className="mx-auto max-w-5xl space-y-6">
      <PageHeader
        title="Members"
        description={admin ? 'Invite people, change their roles or remove them.' : 'The people in this team. Admins and owners manage members.'}
      />

      {admin && <InviteForm actorRole={team.role} />}

      <Card title="Team members">
        {members.length === 0 ? (
          <EmptyState title="No members" />
        ) : (
          <Table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" className="hidden sm:table-cell">Email</th>
                <th scope="col">Role</th>
                <th scope="col" className="hidden md:table-cell">Joined</th>
                {admin && <th scope="col" aria-label="Actions" />}
              </tr>
            </thead>
            <tbody>
              {members.map((member) => (
                <MemberRow key={member.userId} member={member} actorRole={team.role} isSelf={member.userId === me.id} onRemove={() => setRemoving(member)} />
              ))}
            </tbody>
          </Table>
        )}
        {moreMembers && <p className="mt-3 text-sm text-slate-500 dark:text-slate-400">Showing the 100 newest members.</p>}
        {!admin && self && (
          <div className="mt-4 flex justify-end">
            <Button variant="secondary" size="sm" onClick={() => setRemoving(self)}>
              Leave team
            </Button>
          </div>
        )}
      </Card>

      {invitations && <Invitations invitations={invitations} />}

      {/* Keyed by member: each opening starts without the previous attempt's error. */}
      <RemoveDialog key={removing?.userId ?? 'none'} member={removing} isSelf={removing?.userId === me.id} teamName={team.name} onClose={() => setRemoving(null)} />
    </div>
  );
}

function InviteForm({ actorRole }: { actorRole: Role }) {
  const fetcher = useFetcher<typeof action>();
  const formRef = useRef<HTMLFormElement>(null);
  const result = fetcher.data;
  useActionToast(result);
  useEffect(() => {
    if (result?.ok) formRef.current?.reset();
  }, [result]);
  const errors = result && !result.ok ? result.errors : {};
  const grantable = ROLES.filter((role) => canManage(actorRole, role));
  return (
    <Card title="Invite someone">
      <fetcher.Form ref={formRef} method="post" className="grid gap-3 sm:grid-cols-[1fr_10rem_auto] sm:items-start">
        <input type="hidden" name="intent" value="invite" />
        <Field label="Email" name="email" type="email" autoComplete="off" required error={errors.email} />
        <Field label="Role" id="invite-role" error={errors.role}>
          <Select id="invite-role" name="role" defaultValue="editor" aria-invalid={errors.role ? true : undefined}>
            {grantable.map((role) => (
              <option key={role} value={role}>
                {role}
              </option>
            ))}
          </Select>
        </Field>
        <Button type="submit" className="sm:mt-6" disabled={fetcher.state !== 'idle'}>
          {fetcher.state !== 'idle' ? 'Sending…' : 'Send invitation'}
        </Button>
      </fetcher.Form>
      {errors.form && (
        <div className="mt-3">
          <Alert>{errors.form}</Alert>
        </div>
      )}
      <p className="mt-3 text-xs text-slate-500 dark:text-slate-400">The invitation link is emailed and stays valid for 7 days.</p>
    </Card>
  );
}

function MemberRow({ member, actorRole, isSelf, onRemove }: { member: Member; actorRole: Role; isSelf: boolean; onRemove: () => void }) {
  const fetcher = useFetcher<typeof action>();
  useActionToast(fetcher.data);
  const admin = canAdmin(actorRole);
  const manageable = canManage(actorRole, member.role);
  // Optimistic while the change is saved; back to the stored role if it was refused.
  const pendingRole = fetcher.formData?.get('role');
  const role = typeof pendingRole === 'string' ? pendingRole : member.role;
  const error = fetcher.data && !fetcher.data.ok ? (fetcher.data.errors.form ?? fetcher.data.errors.role) : undefined;
  const selectId = `role-${member.userId}`;
  return (
    <tr>
      <td className="font-medium">
        {member.name || '—'}
        {isSelf && <span className="ml-2 text-xs font-normal text-slate-500 dark:text-slate-400">(you)</span>}
        {/* Phones: the email under the name instead of a column of its own. */}
        <span className="block text-xs font-normal break-all text-slate-600 sm:hidden dark:text-slate-400">{member.email}</span>
      </td>
      <td className="hidden break-all sm:table-cell">{member.email}</td>
      {/* relative: keeps the visually hidden label inside the table's scroll area on phones */}
      <td className="relative">
        {admin ? (
          <fetcher.Form method="post" className="flex items-center gap-2">
            <input type="hidden" name="intent" value="changeRole" />
            <input type="hidden" name="userId" value={member.userId} />
            <label htmlFor={selectId} className="sr-only">
              Role for {member.email}
            </label>
            <Select
              id={selectId}
              name="role"
              value={role}
              disabled={!manageable}
              className="w-28 min-w-28 py-1"
              aria-invalid={error ? true : undefined}
              onChange={(event) => void fetcher.submit(event.currentTarget.form)}
            >
              {ROLES.filter((option) => option === member.role || canManage(actorRole, option)).map((option) => (
                <option key={option} value={option}>
                  {option}
                </option>
              ))}
            </Select>
            <noscript>
              <Button type="submit" size="sm" variant="secondary">
                Save
              </Button>
            </noscript>
          </fetcher.Form>
        ) : (
          <Badge>{member.role}</Badge>
        )}
        {error && (
          <p className="mt-1 text-xs text-red-600 dark:text-red-400" role="alert">
            {error}
          </p>
        )}
      </td>
      <td className="hidden whitespace-nowrap text-slate-600 md:table-cell dark:text-slate-400">{formatTime(member.joinedAt)}</td>
      {admin && (
        <td className="text-right">
          {manageable && (
            <Button variant="danger-ghost" size="sm" aria-label={`Remove ${member.email}`} onClick={onRemove}>
              Remove
            </Button>
          )}
        </td>
      )}
    </tr>
  );
}

function RemoveDialog({ member, isSelf, teamName, onClose }: { member: Member | null; isSelf: boolean; teamName: string; onClose: () => void }) {
  return (
    <ConfirmAction
      open={member !== null}
      onClose={onClose}
      title={isSelf ? `Leave ${teamName}?` : 'Remove member?'}
      confirmLabel={isSelf ? 'Leave team' : 'Remove member'}
      fields={{ intent: 'remove', userId: member?.userId ?? '' }}
    >
      {isSelf
        ? 'You will lose access to this team’s workflows and runs. Someone must invite you again to come back.'
        : `${member?.name || member?.email} (${member?.email}) will lose access to this team at once.`}
    </ConfirmAction>
  );
}

function Invitations({ invitations }: { invitations: Invitation[] }) {
  return (
    <Card title="Pending invitations">
      {invitations.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">No pending invitations.</p>
      ) : (
        <Table>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col" className="hidden md:table-cell">Sent</th>
              <th scope="col" className="hidden sm:table-cell">Expires</th>
              <th scope="col" aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {invitations.map((invitation) => (
              <InvitationRow key={invitation.id} invitation={invitation} />
            ))}
          </tbody>
        </Table>
      )}
    </Card>
  );
}

function InvitationRow({ invitation }: { invitation: Invitation }) {
  const fetcher = useFetcher<typeof action>();
  useActionToast(fetcher.data);
  const error = fetcher.data && !fetcher.data.ok ? fetcher.data.errors.form : undefined;
  return (
    <tr>
      <td className="break-all">{invitation.email}</td>
      <td>
        <Badge>{invitation.role}</Badge>
      </td>
      <td className="hidden whitespace-nowrap text-slate-600 md:table-cell dark:text-slate-400">{formatTime(invitation.createdAt)}</td>
      <td className="hidden whitespace-nowrap text-slate-600 sm:table-cell dark:text-slate-400">{formatTime(invitation.expiresAt)}</td>
      <td className="text-right">
        <fetcher.Form method="post">
          <input type="hidden" name="intent" value="revokeInvitation" />
          <input type="hidden" name="invitationId" value={invitation.id} />
          <Button type="submit" variant="ghost" size="sm" aria-label={`Revoke invitation for ${invitation.email}`} disabled={fetcher.state !== 'idle'}>
            Revoke
          </Button>
        </fetcher.Form>
        {error && (
          <p className="mt-1 text-xs text-red-600 dark:text-red-400" role="alert">
            {error}
          </p>
        )}
      </td>
    </tr>
  );
}
