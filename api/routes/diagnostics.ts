// The foundation's end-to-end check: start the built-in hello graph and read its result.
// It needs no credentials, so it is off unless TRELLIS_DIAGNOSTICS=true, never in production, and
// reads only the runs it started (team "system"); see docs/decisions/006-diagnostics-endpoint.md.
import { type Router } from 'express';
import { apiRouter } from './router.ts';
import { HelloRunRequest } from '../../contract/ops.ts';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { NotFoundError } from '../../core/errors.ts';
import { HELLO_GRAPH } from '../../core/runs/hello-graph.ts';
import { startRun, type EngineSettings } from '../../core/runs/start-run.ts';
import type { RunState } from '../../workflows/interpreter/state.ts';
import { getRunState } from '../../workflows/messages.ts';
import { parseBody } from '../middleware/validate.ts';


export function diagnosticsRoutes(deps: { temporal: Client; engine: EngineSettings }): Router {
  const router = apiRouter();
  router.post('/api/v1/diagnostics/hello-runs', async (req, res) => {
    const body = parseBody(HelloRunRequest, req.body);
    const { runId } = await startRun(deps.temporal, deps.engine, {
      graph: HELLO_GRAPH,
      version: 1,
      input: { name: body.name },
      teamId: 'system',
      workflowId: 'hello',
      trigger: 'system',
    });
    res.status(202).location(`/api/v1/diagnostics/hello-runs/${runId}`).json({ runId, status: 'running' });
  });
  router.get('/api/v1/diagnostics/hello-runs/:runId', async (req, res) => {
    const handle = deps.temporal.workflow.getHandle(req.params.runId);
    try {
      const description = await handle.describe();
      // A team's run is none of an anonymous caller's business, whatever id they guessed.
      if (description.searchAttributes.TeamId?.[0] !== 'system') throw new NotFoundError(`Run ${req.params.runId}`);
      // The query answers even after completion while the history is retained.
      const state: RunState = await handle.query(getRunState);
      res.json({ runId: req.params.runId, temporalStatus: description.status.name, ...state });
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw new NotFoundError(`Run ${req.params.runId}`);
      throw error;
    }
  });
  return router;
}
