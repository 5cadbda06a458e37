// /api/v1/teams: teams, members, invitations. Every team route goes through requireTeamRole.
import { type Router, type Request } from 'express';
import { apiRouter } from './router.ts';
import type { Identity } from '../../core/identity.ts';
import { ChangeRoleRequest, CreateTeamRequest, InviteRequest, PageQuery, UpdateTeamRequest } from '../../contract/index.ts';
import type { Role } from '../../core/permissions.ts';
import type { Actor } from '../../core/teams/service.ts';
import { requireUser, type AuthMiddleware } from '../middleware/authenticate.ts';
import { parseBody, parseQuery } from '../middleware/validate.ts';


function actor(req: Request): Actor {
  if (req.auth?.kind !== 'user' || !req.team?.role) throw new Error('actor() needs a member (requireTeamRole with a people-only action)');
  return { userId: req.auth.user.id, role: req.team.role, name: req.auth.user.name };
}

export function teamRoutes(identity: Identity, guards: AuthMiddleware): Router {
  const router = apiRouter();
  const { teams } = identity;
  const { requireTeamRole } = guards;

  router.post('/api/v1/teams', requireUser, async (req, res) => {
    const body = parseBody(CreateTeamRequest, req.body);
    if (req.auth?.kind !== 'user') return;
    const team = await teams.create(req.auth.user.id, body.name);
    res.status(201).location(`/api/v1/teams/${team.id}`).json(team);
  });

  router.get('/api/v1/teams', requireUser, async (req, res) => {
    if (req.auth?.kind !== 'user') return;
    res.json({ items: await teams.listForUser(req.auth.user.id), nextCursor: null });
  });

  router.get('/api/v1/teams/:teamId', requireTeamRole('team:read'), (req, res) => {
    const team = req.team!;
    res.json({ id: team.id, name: team.name, plan: team.plan, role: team.role });
  });

  router.patch('/api/v1/teams/:teamId', requireTeamRole('team:update'), async (req, res) => {
    const body = parseBody(UpdateTeamRequest, req.body);
    res.json(await teams.rename(req.params.teamId as string, body.name, req.team!.role as Role));
  });

  router.get('/api/v1/teams/:teamId/members', requireTeamRole('members:read'), async (req, res) => {
    res.json(await teams.listMembers(req.params.teamId as string, parseQuery(PageQuery, req.query)));
  });

  router.patch('/api/v1/teams/:teamId/members/:userId', requireTeamRole('members:update'), async (req, res) => {
    const body = parseBody(ChangeRoleRequest, req.body);
    res.json(await teams.changeRole(req.params.teamId as string, actor(req), req.params.userId as string, body.role));
  });

  // Leaving needs only membership; removing someone else is checked against the table inside.
  router.delete('/api/v1/teams/:teamId/members/:userId', requireTeamRole('members:leave'), async (req, res) => {
    await teams.removeMember(req.params.teamId as string, actor(req), req.params.userId as string);
    res.status(204).end();
  });

  router.post('/api/v1/teams/:teamId/invitations', requireTeamRole('members:invite'), async (req, res) => {
    const body = parseBody(InviteRequest, req.body);
    res.status(201).json(await teams.invite(req.params.teamId as string, actor(req), body));
  });

  router.get('/api/v1/teams/:teamId/invitations', requireTeamRole('members:invite'), async (req, res) => {
    res.json(await teams.listInvitations(req.params.teamId as string, parseQuery(PageQuery, req.query)));
  });

  router.delete('/api/v1/teams/:teamId/invitations/:invitationId', requireTeamRole('members:invite'), async (req, res) => {
    await teams.revokeInvitation(req.params.teamId as string, req.params.invitationId as string);
    res.status(204).end();
  });

  router.post('/api/v1/invitations/:token/accept', requireUser, async (req, res) => {
    if (req.auth?.kind !== 'user') return;
    res.json(await teams.accept(req.params.token as string, req.auth.user));
  });

  return router;
}
