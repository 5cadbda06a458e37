// /api/v1/teams/{teamId}/…/runs: start, list, read, live events (SSE), approvals, cancel, rerun.
import { type Router } from 'express';
import { apiRouter } from './router.ts';
import { DecisionRequest, ListRunsQuery, RerunRequest, StartRunRequest } from '../../contract/runs.ts';
import { UserError } from '../../core/errors.ts';
import type { Platform } from '../../core/platform.ts';
import type { AuthMiddleware } from '../middleware/authenticate.ts';
import { parseBody, parseQuery } from '../middleware/validate.ts';
import { actorOf } from './workflows.ts';
import type { RunEventStreams } from './run-events.ts';


export function runRoutes(platform: Platform, guards: AuthMiddleware, events: RunEventStreams): Router {
  const router = apiRouter();
  const { requireTeamRole } = guards;
  const team = (req: { params: Record<string, unknown> }) => req.params.teamId as string;
  const runId = (req: { params: Record<string, unknown> }) => req.params.runId as string;

  router.post('/api/v1/teams/:teamId/workflows/:id/runs', requireTeamRole('runs:write'), async (req, res) => {
    const body = parseBody(StartRunRequest, req.body);
    const key = req.get('Idempotency-Key');
    if (key !== undefined && (key.length === 0 || key.length > 200)) {
      throw new UserError('invalid_request', 'Idempotency-Key must be 1–200 characters', { problems: [{ path: 'Idempotency-Key', message: 'must be 1–200 characters' }] });
    }
    const started = await platform.runs.start(team(req), {
      workflowId: req.params.id as string, version: body.version, input: body.input, idempotencyKey: key, priority: body.priority,
      trigger: 'api', triggeredBy: actorOf(req),
    });
    // Queued until the team has a free slot (core/runs/dispatcher.ts): the answer never waits for Temporal.
    res.status(202).location(`/api/v1/teams/${team(req)}/runs/${started.runId}`).json({ runId: started.runId, status: started.status === 'queued' ? 'queued' : 'running' });
  });

  router.get('/api/v1/teams/:teamId/runs', requireTeamRole('runs:read'), async (req, res) => {
    res.json(await platform.runs.list(team(req), parseQuery(ListRunsQuery, req.query)));
  });

  router.get('/api/v1/teams/:teamId/runs/:runId', requireTeamRole('runs:read'), async (req, res) => {
    res.json(await platform.runs.get(team(req), runId(req)));
  });

  // Live events over SSE, capped per user/API key and per team, with a maximum lifetime (run-events.ts).
  router.get('/api/v1/teams/:teamId/runs/:runId/events', requireTeamRole('runs:read'), events.handler);

  // Whole outputs, from blob storage when they were too large to travel with the run state.
  router.get('/api/v1/teams/:teamId/runs/:runId/output', requireTeamRole('runs:read'), async (req, res) => {
    res.json({ output: await platform.runs.output(team(req), runId(req)) });
  });
  router.get('/api/v1/teams/:teamId/runs/:runId/nodes/:nodeId/output', requireTeamRole('runs:read'), async (req, res) => {
    res.json({ nodeId: req.params.nodeId, output: await platform.runs.output(team(req), runId(req), req.params.nodeId as string) });
  });

  router.post('/api/v1/teams/:teamId/runs/:runId/approvals/:nodeId', requireTeamRole('runs:approve'), async (req, res) => {
    const body = parseBody(DecisionRequest, req.body);
    const result = await platform.runs.decide(team(req), runId(req), { nodeId: req.params.nodeId as string, ...body, actor: actorOf(req) });
    res.json(result);
  });

  router.post('/api/v1/teams/:teamId/runs/:runId/cancel', requireTeamRole('runs:write'), async (req, res) => {
    // A queued run is cancelled at once; a running one is asked to stop.
    const status = await platform.runs.cancel(team(req), runId(req));
    res.status(202).json({ runId: runId(req), status });
  });

  router.post('/api/v1/teams/:teamId/runs/:runId/rerun', requireTeamRole('runs:write'), async (req, res) => {
    const body = parseBody(RerunRequest, req.body);
    const started = await platform.runs.rerun(team(req), runId(req), actorOf(req), body.fromNode);
    res.status(202).json({ runId: started.runId, status: started.status === 'queued' ? 'queued' : 'running' });
  });

  return router;
}
