// The wire shapes the client speaks, from the repository's one contract (contract/, zod schemas
// that the api answers with and the OpenAPI document is generated from); each type has its
// schema's name. Types only: nothing here exists at run time, so the client stays free of
// dependencies (zod included).
import type { z } from 'zod';
import type {
  CreateWorkflowRequest, NodeEvent, ReconnectEvent, Run, RunEndEvent, StartRunRequest, TokenEvent, UpdateWorkflowRequest,
} from '../../contract/index.ts';

export type {
  FieldProblem, Me, NodeState, NodeStatus, Page, Problem, Queue, Run, RunStarted, RunStatus, RunSummary, Team, User, Webhook,
  Workflow, WorkflowAtVersion, WorkflowListItem, WorkflowSummary, WorkflowToolSettings, WorkflowVersion,
} from '../../contract/index.ts';

/** The statuses a run ends in (the contract's one list; that module is free of zod, so the client stays dependency-free). */
export { FINAL_RUN_STATUSES } from '../../contract/run-status.ts';

/** POST …/workflows */
export type CreateWorkflowRequest = z.input<typeof CreateWorkflowRequest>;
/** PUT …/workflows/{id}: a graph makes a new version; name, description and tool alone do not. */
export type UpdateWorkflowRequest = z.input<typeof UpdateWorkflowRequest>;
/** POST …/workflows/{id}/runs, plus the Idempotency-Key header: the same key answers with the same run. */
export type StartRunRequest = z.input<typeof StartRunRequest> & { idempotencyKey?: string };

/** The SSE message id, when the server sent one (sent back as Last-Event-ID on a reconnection). */
type WithId = { id?: string };
/**
 * Events of GET …/runs/{runId}/events, discriminated by `type` (the SSE `event:` name):
 * `snapshot` (the whole run, first on every connection: a reconnection's snapshot replaces
 * whatever was missed), `node`, `token`, `run` (the run ended: the last event) and `reconnect`
 * (the server ended this connection at its lifetime; the iterator reconnects by itself).
 */
export type RunStreamEvent =
  | ({ type: 'snapshot'; run: Run } & WithId)
  | (z.infer<typeof NodeEvent> & WithId)
  | (z.infer<typeof TokenEvent> & WithId)
  | (z.infer<typeof RunEndEvent> & WithId)
  | ({ type: 'reconnect' } & z.infer<typeof ReconnectEvent> & WithId);
