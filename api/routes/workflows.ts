// /api/v1/teams/{teamId}/workflows: saved graphs with immutable versions, their webhooks and
// schedules, and credentials.
import { type Router, type Request } from 'express';
import { apiRouter } from './router.ts';
import { z } from 'zod';
import * as contract from '../../contract/platform.ts';
import type { Platform } from '../../core/platform.ts';
import { WorkflowTool } from '../../core/workflows/tool.ts';
import type { AuthMiddleware } from '../middleware/authenticate.ts';
import { parseBody, parseQuery } from '../middleware/validate.ts';

// The contract's shapes; a tool's input schema is also checked for its bounds (core/workflows/tool.ts).
export const CreateWorkflowRequest = contract.CreateWorkflowRequest.extend({ tool: WorkflowTool.nullable().optional() });
export const UpdateWorkflowRequest = contract.UpdateWorkflowRequest.extend({ tool: WorkflowTool.nullable().optional() });
const { CreateScheduleRequest, UpdateScheduleRequest, WebhookRequest, ListWorkflowsQuery } = contract;

/** Who acts: the signed-in user's id, or the API key's id. */
export function actorOf(req: Request): string {
  if (req.auth?.kind === 'user') return req.auth.user.id;
  if (req.auth?.kind === 'key') return req.auth.key.id;
  return 'anonymous';
}

const param = (req: Request, name: string) => req.params[name] as string;

export function workflowRoutes(platform: Platform, guards: AuthMiddleware): Router {
  const router = apiRouter();
  const { requireTeamRole } = guards;
  const base = '/api/v1/teams/:teamId/workflows';

  router.post(base, requireTeamRole('workflows:write'), async (req, res) => {
    const body = parseBody(CreateWorkflowRequest, req.body);
    const created = await platform.workflows.create(param(req, 'teamId'), actorOf(req), body);
    res.status(201).location(`${req.baseUrl}${req.path}/${created.id}`).json(created);
  });
  router.get(base, requireTeamRole('workflows:read'), async (req, res) => {
    const { q, search, ...page } = parseQuery(ListWorkflowsQuery, req.query);
    const listed = await platform.workflows.list(param(req, 'teamId'), { ...page, search: q || search });
    // Each workflow's newest run, one indexed probe per listed workflow (core/runs/stats.ts).
    const lastRuns = await platform.stats.lastRuns(param(req, 'teamId'), listed.items.map((w) => w.id));
    res.json({ ...listed, items: listed.items.map((w) => ({ ...w, lastRun: lastRuns.get(w.id) ?? null })) });
  });
  router.get(`${base}/:id`, requireTeamRole('workflows:read'), async (req, res) => {
    res.json(await platform.workflows.get(param(req, 'teamId'), param(req, 'id')));
  });
  router.get(`${base}/:id/versions`, requireTeamRole('workflows:read'), async (req, res) => {
    res.json({ items: await platform.workflows.listVersions(param(req, 'teamId'), param(req, 'id')) });
  });
  router.get(`${base}/:id/versions/:version`, requireTeamRole('workflows:read'), async (req, res) => {
    const version = parseQuery(z.object({ version: z.coerce.number().int().min(1) }), { version: req.params.version }).version;
    res.json(await platform.workflows.getVersion(param(req, 'teamId'), param(req, 'id'), version));
  });
  router.put(`${base}/:id`, requireTeamRole('workflows:write'), async (req, res) => {
    const body = parseBody(UpdateWorkflowRequest, req.body);
    const updated = await platform.workflows.update(param(req, 'teamId'), param(req, 'id'), actorOf(req), body);
    if (body.graph !== undefined) await platform.schedules.workflowUpdated(param(req, 'teamId'), param(req, 'id'));
    res.json(updated);
  });
  router.delete(`${base}/:id`, requireTeamRole('workflows:write'), async (req, res) => {
    await platform.workflows.delete(param(req, 'teamId'), param(req, 'id'));
    res.status(204).end();
  });

  // Webhooks of a workflow (the secret is shown once, at creation).
  router.post(`${base}/:id/webhooks`, requireTeamRole('workflows:write'), async (req, res) => {
    const body = parseBody(WebhookRequest, req.body ?? {});
    const hook = await platform.webhooks.create(param(req, 'teamId'), param(req, 'id'), actorOf(req), body);
    res.status(201).set('Cache-Control', 'no-store').json(hook);
  });
  router.patch(`${base}/:id/webhooks/:webhookId`, requireTeamRole('workflows:write'), async (req, res) => {
    const body = parseBody(WebhookRequest, req.body ?? {});
    res.json(await platform.webhooks.update(param(req, 'teamId'), param(req, 'id'), param(req, 'webhookId'), body));
  });
  router.get(`${base}/:id/webhooks`, requireTeamRole('workflows:read'), async (req, res) => {
    res.json({ items: await platform.webhooks.list(param(req, 'teamId'), param(req, 'id')) });
  });
  router.delete(`${base}/:id/webhooks/:webhookId`, requireTeamRole('workflows:write'), async (req, res) => {
    await platform.webhooks.delete(param(req, 'teamId'), param(req, 'id'), param(req, 'webhookId'));
    res.status(204).end();
  });

  // Schedules of a workflow.
  router.post(`${base}/:id/schedules`, requireTeamRole('workflows:write'), async (req, res) => {
    const body = parseBody(CreateScheduleRequest, req.body);
    res.status(201).json(await platform.schedules.create(param(req, 'teamId'), param(req, 'id'), actorOf(req), body));
  });
  router.get(`${base}/:id/schedules`, requireTeamRole('workflows:read'), async (req, res) => {
    res.json({ items: await platform.schedules.list(param(req, 'teamId'), param(req, 'id')) });
  });
  router.patch(`${base}/:id/schedules/:scheduleId`, requireTeamRole('workflows:write'), async (req, res) => {
    const body = parseBody(UpdateScheduleRequest, req.body ?? {});
    res.json(await platform.schedules.update(param(req, 'teamId'), param(req, 'id'), param(req, 'scheduleId'), body));
  });
  router.delete(`${base}/:id/schedules/:scheduleId`, requireTeamRole('workflows:write'), async (req, res) => {
    await platform.schedules.delete(param(req, 'teamId'), param(req, 'id'), param(req, 'scheduleId'));
    res.status(204).end();
  });
  for (const [verb, paused] of [['pause', true], ['resume', false]] as const) {
    router.post(`${base}/:id/schedules/:scheduleId/${verb}`, requireTeamRole('workflows:write'), async (req, res) => {
      res.json(await platform.schedules.setPaused(param(req, 'teamId'), param(req, 'id'), param(req, 'scheduleId'), paused));
    });
  }

  // Credentials (never returned once stored).
  router.post('/api/v1/teams/:teamId/credentials', requireTeamRole('credentials:write'), async (req, res) => {
    const body = parseBody(contract.CreateCredential, req.body);
    res.status(201).json(await platform.credentials.create(param(req, 'teamId'), actorOf(req), body));
  });
  router.get('/api/v1/teams/:teamId/credentials', requireTeamRole('credentials:read'), async (req, res) => {
    res.json({ items: await platform.credentials.list(param(req, 'teamId')) });
  });
  router.patch('/api/v1/teams/:teamId/credentials/:credentialId', requireTeamRole('credentials:hosts'), async (req, res) => {
    const body = parseBody(contract.UpdateCredentialHosts, req.body);
    res.json(await platform.credentials.setAllowedHosts(param(req, 'teamId'), param(req, 'credentialId'), body));
  });
  router.delete('/api/v1/teams/:teamId/credentials/:credentialId', requireTeamRole('credentials:write'), async (req, res) => {
    await platform.credentials.delete(param(req, 'teamId'), param(req, 'credentialId'));
    res.status(204).end();
  });

  return router;
}
