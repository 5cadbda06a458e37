// /api/v1/teams/{teamId}/…/runs: start, list, read, live events (SSE), approvals, cancel, rerun.
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Logger } from '../../core/log.ts';
import type { Platform } from '../../core/platform.ts';
import type { RunEvent } from '../../workflows/events.ts';
import type { RunEventHub } from '../events.ts';
import type { AuthMiddleware } from '../middleware/authenticate.ts';
import { parseBody, parseQuery } from '../middleware/validate.ts';
import { actorOf } from './workflows.ts';
import { FINAL_RUN_STATUSES } from '../../workflows/messages.ts';

export const StartRunRequest = z.object({ input: z.unknown().optional(), version: z.number().int().min(1).optional() });
export const DecisionRequest = z.object({
  decision: z.enum(['approve', 'reject']),
  comment: z.string().max(5_000).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export const RerunRequest = z.object({ fromNode: z.string().max(200).optional() });
const ListRunsQuery = z.object({
  workflowId: z.string().max(100).optional(),
  status: z.enum(['running', 'waiting', 'succeeded', 'failed', 'cancelled', 'timed_out']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});

/** A stream that falls this far behind drops token events (node and run events still go out). */
const SLOW_CLIENT_BYTES = 1024 * 1024;

export function runRoutes(platform: Platform, guards: AuthMiddleware, hub: RunEventHub, logger: Logger): Router {
  const router = Router();
  const { requireTeamRole } = guards;
  const team = (req: { params: Record<string, unknown> }) => req.params.teamId as string;
  const runId = (req: { params: Record<string, unknown> }) => req.params.runId as string;

  router.post('/api/v1/teams/:teamId/workflows/:id/runs', requireTeamRole('runs:write'), async (req, res) => {
    const body = parseBody(StartRunRequest, req.body);
    const key = req.get('Idempotency-Key');
    if (key !== undefined && (key.length === 0 || key.length > 200)) {
      return void res.status(400).type('application/problem+json').json({ type: 'about:blank', title: 'Bad Request', status: 400, code: 'invalid_request', detail: 'Idempotency-Key must be 1–200 characters' });
    }
    const started = await platform.runs.start(team(req), {
      workflowId: req.params.id as string, version: body.version, input: body.input, idempotencyKey: key,
      trigger: 'api', triggeredBy: actorOf(req),
    });
    res.status(202).location(`/api/v1/teams/${team(req)}/runs/${started.runId}`).json({ runId: started.runId, status: 'running' });
  });

  router.get('/api/v1/teams/:teamId/runs', requireTeamRole('runs:read'), async (req, res) => {
    res.json(await platform.runs.list(team(req), parseQuery(ListRunsQuery, req.query)));
  });

  router.get('/api/v1/teams/:teamId/runs/:runId', requireTeamRole('runs:read'), async (req, res) => {
    res.json(await platform.runs.get(team(req), runId(req)));
  });

  router.get('/api/v1/teams/:teamId/runs/:runId/events', requireTeamRole('runs:read'), async (req, res) => {
    // Subscribe before reading the snapshot so nothing falls between the two.
    const pending: RunEvent[] = [];
    let ready = false;
    let closed = false;
    let sequence = 0;
    const send = (stream: Response, type: string, data: unknown) => {
      if (closed) return;
      stream.write(`id: ${++sequence}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const finish = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      unsubscribe?.();
      res.end();
    };
    const deliver = (event: RunEvent) => {
      if (event.type === 'token' && res.writableLength > SLOW_CLIENT_BYTES) return;
      send(res, event.type, event);
      if (event.type === 'run') finish();
    };
    const unsubscribe: (() => void) | undefined = await hub
      .subscribe(runId(req), (event) => (ready ? deliver(event) : pending.push(event)))
      .catch((error: unknown) => {
        logger.warn({ err: (error as Error).message }, 'live events unavailable; sending the snapshot only');
        return undefined;
      });
    const snapshot = await platform.runs.get(team(req), runId(req)).catch((error: unknown) => {
      unsubscribe?.();
      throw error;
    });
    res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    // A reconnecting client (Last-Event-ID) gets a fresh snapshot: it replaces all it missed.
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', finish);
    send(res, 'snapshot', snapshot);
    if (FINAL_RUN_STATUSES.has(snapshot.status)) {
      send(res, 'run', { type: 'run', runId: snapshot.runId, status: snapshot.status, output: snapshot.output, error: snapshot.error });
      return finish();
    }
    ready = true;
    for (const event of pending.splice(0)) deliver(event);
    if (!unsubscribe) finish();
  });

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
    await platform.runs.cancel(team(req), runId(req));
    res.status(202).json({ runId: runId(req), status: 'cancelling' });
  });

  router.post('/api/v1/teams/:teamId/runs/:runId/rerun', requireTeamRole('runs:write'), async (req, res) => {
    const body = parseBody(RerunRequest, req.body);
    const started = await platform.runs.rerun(team(req), runId(req), actorOf(req), body.fromNode);
    res.status(202).json({ runId: started.runId, status: 'running' });
  });

  return router;
}
