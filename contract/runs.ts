// Runs on the wire: starting, listing, reading (with node states), deciding, the queue, stats,
// failure groups, and the events of the live stream (GET …/runs/{runId}/events, text/event-stream).
import { z } from 'zod';
import { answer, IsoDate, page, request } from './common.ts';
import { Priority } from './platform.ts';
import { NODE_STATUSES, RUN_STATUSES } from './run-status.ts';

export { RUN_STATUSES, FINAL_RUN_STATUSES, FAILED_RUN_STATUSES, NODE_STATUSES, isFinalRunStatus } from './run-status.ts';
export type { FinalRunStatus } from './run-status.ts';

export const RunStatus = answer('RunStatus', z.enum(RUN_STATUSES), 'queued: waiting for a slot (never in Temporal yet); waiting: an approval or a tool call awaits a decision');
export type RunStatus = z.infer<typeof RunStatus>;
export const NodeStatus = answer('NodeStatus', z.enum(NODE_STATUSES));
export type NodeStatus = z.infer<typeof NodeStatus>;

/** At most a year of days per answer (366 rows): the cost of a request stays bounded. */
export const MAX_STATS_DAYS = 366;

// ---- requests
export const StartRunRequest = request(
  'StartRunRequest',
  z.object({
    input: z.unknown().optional().describe("the run's input, available to expressions as `input`"),
    version: z.int().min(1).optional().describe('a version to run; default: the latest'),
    priority: Priority.optional().describe('1 (first) to 5; default 3'),
  }),
);
export const DecisionRequest = request(
  'DecisionRequest',
  z.object({
    decision: z.enum(['approve', 'reject']),
    comment: z.string().max(5_000).optional(),
    data: z.record(z.string(), z.unknown()).optional().describe("the approval node's form fields"),
  }),
);
export const RerunRequest = request('RerunRequest', z.object({ fromNode: z.string().max(200).optional().describe('reuse the outputs upstream of this node') }));
export const ListRunsQuery = z.object({
  workflowId: z.string().max(100).optional(),
  status: RunStatus.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
  /** Case-insensitive, in the run id, the error message and the workflow's name. */
  q: z.string().trim().max(200).optional(),
});
export type ListRunsQuery = z.infer<typeof ListRunsQuery>;
export const StatsQuery = z.object({
  days: z.coerce.number().int().min(1).max(MAX_STATS_DAYS).default(30),
  workflowId: z.string().min(1).max(100).optional(),
});
export type StatsQuery = z.infer<typeof StatsQuery>;
export const FailuresQuery = z.object({
  since: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).optional().describe('ISO date or date-time; default: 7 days ago'),
  workflowId: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
export type FailuresQuery = z.infer<typeof FailuresQuery>;

// ---- answers
export const BlobRef = answer('BlobRef', z.object({ $trellisRef: z.literal('blob'), id: z.string(), bytes: z.int() }), 'a large value kept in blob storage: fetch it from the …/output endpoints');
export type BlobRef = z.infer<typeof BlobRef>;

export const QueuePosition = answer('QueuePosition', z.object({ priority: z.int(), position: z.int().describe('1 leaves first'), enqueuedAt: IsoDate }), "where a queued run stands in its team's queue");
export type QueuePosition = z.infer<typeof QueuePosition>;

export const RunStarted = answer('RunStarted', z.object({ runId: z.string(), status: z.enum(['queued', 'running']) }));
export type RunStarted = z.infer<typeof RunStarted>;
export const RunCancelled = answer('RunCancelled', z.object({ runId: z.string(), status: z.enum(['cancelled', 'cancelling']) }));

export const RunSummary = answer(
  'RunSummary',
  z.object({
    runId: z.string(),
    workflowId: z.string(),
    version: z.int(),
    status: RunStatus,
    trigger: z.string().describe('api, webhook, schedule, rerun, map, subworkflow, mcp, …'),
    startedAt: IsoDate,
    endedAt: IsoDate.nullable(),
    error: z.string().nullable(),
    priority: Priority,
    waitedMs: z.int().describe('time spent queued (so far, while queued)'),
    queue: QueuePosition.optional(),
    workflowName: z.string().nullable().optional().describe("in lists: the workflow's name (kept after it is deleted)"),
  }),
);
export type RunSummary = z.infer<typeof RunSummary>;
export const RunPage = page('RunPage', RunSummary);

export const NodeError = answer('NodeError', z.object({ message: z.string(), kind: z.enum(['user', 'operational', 'timeout', 'cancelled', 'internal']), type: z.string().optional().describe('the failure type or code, e.g. HttpClientError, quota_ai_tokens') }));
export const AgentStep = answer(
  'AgentStep',
  z.object({
    index: z.int(),
    kind: z.enum(['model', 'tool']),
    status: z.enum(['running', 'succeeded', 'failed', 'waiting', 'rejected']),
    text: z.string().optional(),
    tool: z.string().optional(),
    arguments: z.unknown().optional(),
    result: z.unknown().optional(),
    error: z.string().optional(),
    tokens: z.number().optional(),
    costUsd: z.number().optional(),
    startedAt: IsoDate,
    endedAt: IsoDate.optional(),
  }),
  "one step of an agent node: a model turn or a tool call",
);
export const NodeState = answer(
  'NodeState',
  z.object({
    status: NodeStatus,
    attempts: z.int(),
    startedAt: IsoDate.optional(),
    endedAt: IsoDate.optional(),
    output: z.unknown().optional(),
    outputRef: BlobRef.optional(),
    error: NodeError.optional(),
    ports: z.array(z.string()).optional().describe('output ports taken (e.g. ["true"] for a condition)'),
    waiting: z.object({ message: z.string(), form: z.array(z.unknown()), deadline: IsoDate.optional() }).optional().describe('what a waiting node asks'),
    progress: z.object({ done: z.int(), total: z.int() }).optional().describe('map progress'),
    agent: z.object({ steps: z.array(AgentStep) }).optional(),
  }),
);
export type NodeState = z.infer<typeof NodeState>;

export const RunError = answer('RunError', z.object({ message: z.string(), nodeId: z.string().optional() }));
export const RunUsage = answer('RunUsage', z.object({ aiTokens: z.int(), costUsd: z.number() }));

export const Run = answer(
  'Run',
  z.object({
    runId: z.string(),
    workflowId: z.string(),
    version: z.int(),
    status: RunStatus,
    trigger: z.string(),
    startedAt: IsoDate,
    endedAt: IsoDate.optional(),
    priority: Priority,
    waitedMs: z.int(),
    queue: QueuePosition.optional(),
    workflowName: z.string().nullable().optional(),
    input: z.unknown(),
    output: z.unknown().optional(),
    outputRef: BlobRef.optional(),
    error: RunError.optional(),
    nodes: z.record(z.string(), NodeState),
    usage: RunUsage,
  }),
  'a run with its node states (live while it runs)',
);
export type Run = z.infer<typeof Run>;

export const RunOutput = answer('RunOutput', z.object({ output: z.unknown() }));
export const NodeOutput = answer('NodeOutput', z.object({ nodeId: z.string(), output: z.unknown() }));
export const Decided = answer('Decided', z.object({ nodeId: z.string(), decision: z.enum(['approve', 'reject']), decidedAt: IsoDate }));

export const Queue = answer(
  'Queue',
  z.object({
    queued: z.int(),
    byPriority: z.array(z.object({ priority: z.int(), queued: z.int() })),
    oldest: z.object({ runId: z.string(), enqueuedAt: IsoDate, waitedMs: z.int() }).nullable(),
    running: z.int().describe('root runs holding a slot (running or waiting)'),
    allowed: z.int().nullable().describe("the plan's concurrent runs; null: no limit"),
    next: z.array(z.object({ runId: z.string(), workflowId: z.string(), priority: z.int(), position: z.int(), enqueuedAt: IsoDate, waitedMs: z.int() })).describe('the runs that leave the queue next, in order'),
  }),
);
export type Queue = z.infer<typeof Queue>;

const statusCounts = Object.fromEntries(RUN_STATUSES.map((status) => [status, z.int()])) as Record<(typeof RUN_STATUSES)[number], z.ZodInt>;
export const DayStats = answer('DayStats', z.object({ day: z.iso.date(), total: z.int(), ...statusCounts }));
export type DayStats = z.infer<typeof DayStats>;
export const RunStats = answer(
  'RunStats',
  z.object({
    from: IsoDate.describe('midnight UTC of the first day counted'),
    to: IsoDate.describe('when the numbers were taken'),
    perDay: z.array(DayStats),
    totals: z.object({
      runs: z.int(),
      ...statusCounts,
      finished: z.int().describe('succeeded + failed + timed_out'),
      successRate: z.number().nullable().describe('succeeded / finished; null when nothing finished'),
    }),
  }),
);
export type RunStats = z.infer<typeof RunStats>;

export const FailureGroup = answer(
  'FailureGroup',
  z.object({
    workflowId: z.string(),
    workflowName: z.string().nullable(),
    nodeId: z.string().nullable().describe('the node the runs failed at; null when they failed as a whole'),
    code: z.string().nullable().describe("the failure's stable code (timed_out for a run that timed out without one)"),
    message: z.string().nullable().describe("the newest run's error message"),
    count: z.int(),
    firstSeen: IsoDate,
    lastSeen: IsoDate,
    sampleRunIds: z.array(z.string()).describe('up to 5, newest first'),
  }),
);
export type FailureGroup = z.infer<typeof FailureGroup>;
export const FailuresAnswer = answer('FailuresAnswer', z.object({ since: IsoDate, items: z.array(FailureGroup) }));
export type FailuresAnswer = z.infer<typeof FailuresAnswer>;

// ---- webhook deliveries (POST /hooks/{webhookId})
export const HookAccepted = answer('HookAccepted', z.object({ runId: z.string(), duplicate: z.boolean().describe('a replay: the run the first delivery started') }));
export const HookStarted = answer('HookStarted', z.object({ runId: z.string(), status: z.literal('running'), url: z.string().describe('where to read the run') }), '?wait=true and the output was not ready in time');
/** `POST /hooks/{webhookId}?wait=true` */
export const HookQuery = z.object({ wait: z.enum(['true', 'false']).optional().describe('answer with the output (200) when the run ends in time') });
/** A webhook delivery's body: any JSON (or none), the run's input. */
export const HookBody = z.unknown();

export const HookAnswer = answer('HookAnswer', z.union([HookAccepted, HookStarted]));
export const HookOutput = answer('HookOutput', z.looseObject({ runId: z.string() }), "?wait=true: the run's output nodes' values beside its id");

// ---- the live stream: each SSE message's `event:` name and its JSON `data:`
export const RunSnapshotEvent = Run;
export const NodeEvent = answer('NodeEvent', z.object({ type: z.literal('node'), runId: z.string(), nodeId: z.string(), state: NodeState, at: IsoDate, nodeType: z.string().optional() }), 'SSE `node`: a node changed');
export const TokenEvent = answer(
  'TokenEvent',
  z.object({ type: z.literal('token'), runId: z.string().optional(), nodeId: z.string(), text: z.string(), step: z.int().optional().describe("an agent's model turn this text belongs to: its index in the node's agent steps") }),
  'SSE `token`: streamed model text',
);
export const RunEndEvent = answer(
  'RunEndEvent',
  z.object({ type: z.literal('run'), runId: z.string(), status: RunStatus, output: z.unknown().optional(), error: RunError.optional(), at: IsoDate.optional() }),
  'SSE `run`: the run ended (the stream then closes)',
);
export const ReconnectEvent = answer('ReconnectEvent', z.object({ reason: z.literal('max_lifetime'), maxLifetimeSeconds: z.number() }), 'SSE `reconnect`: the stream reached its maximum lifetime and closes');
/** Event name → the schema of its data. */
export const RUN_STREAM_EVENTS = { snapshot: RunSnapshotEvent, node: NodeEvent, token: TokenEvent, run: RunEndEvent, reconnect: ReconnectEvent } as const;
export type RunStreamEventName = keyof typeof RUN_STREAM_EVENTS;
/** The data of one named event of the stream. */
export type RunStreamData<E extends RunStreamEventName> = z.infer<(typeof RUN_STREAM_EVENTS)[E]>;

/** One SSE message's decoded `data:` (its `event:` line names which). */
export const RunStreamMessage = answer('RunStreamMessage', z.union([RunSnapshotEvent, NodeEvent, TokenEvent, RunEndEvent, ReconnectEvent]), 'the JSON `data:` of one message of the stream; `event:` says which: snapshot, node, token, run, reconnect');
