// trellis runs start|watch|logs|list: start a run, follow it live over SSE, read what each node did.
import { readFileSync } from 'node:fs';
import { FINAL_RUN_STATUSES, type NodeState, type Run, type RunStatus, type TeamClient } from '../../typescript/index.ts';
import { duration, EXIT, summarize, table, UsageError, type Io } from '../output.ts';
import { resolveWorkflow } from './workflows.ts';

/** --input: inline JSON, or @path to a JSON file (@- reads stdin). */
export function parseInput(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  let text = value;
  let where = '--input';
  if (value.startsWith('@')) {
    where = value.slice(1) === '-' ? 'stdin' : value.slice(1);
    try {
      text = readFileSync(value.slice(1) === '-' ? 0 : value.slice(1), 'utf8');
    } catch (error) {
      throw new UsageError(`--input ${value}: ${(error as Error).message}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${where} is not valid JSON (${(error as Error).message})`);
  }
}

export async function startRun(team: TeamClient, io: Io, workflowRef: string, options: { input?: string; priority?: string; version?: string; idempotencyKey?: string }): Promise<string> {
  const priority = integerOption('--priority', options.priority, 1, 5);
  const version = integerOption('--version', options.version, 1, Number.MAX_SAFE_INTEGER);
  const workflowId = await resolveWorkflow(team, workflowRef);
  const started = await team.runs.start(workflowId, {
    input: parseInput(options.input), priority, version, ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
  });
  io.out(`${started.runId} ${started.status}`);
  return started.runId;
}

function integerOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

const DONE: ReadonlySet<string> = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);

/** Follows a run's live events until it ends: progress while it runs, its final status at the end; exit 1 unless it succeeded. */
export async function watchRun(team: TeamClient, io: Io, runId: string, options: { signal?: AbortSignal } = {}): Promise<number> {
  const nodes = new Map<string, NodeState>();
  let total: number | undefined;
  let run: Run | undefined;
  let last = '';
  const progress = (current?: string) => {
    const done = [...nodes.values()].filter((n) => DONE.has(n.status)).length;
    const waiting = [...nodes.entries()].find(([, n]) => n.status === 'waiting');
    // Node events move the run along between snapshots: a waiting node means a waiting run, any node a started one.
    const status = waiting ? 'waiting' : run?.status === 'waiting' || run?.status === 'queued' ? (nodes.size > 0 ? 'running' : run.status) : run?.status ?? 'running';
    const line = `${runId} ${status}: ${done}/${total ?? '?'} nodes done${waiting ? `, waiting at ${waiting[0]}` : current ? `, current ${current}` : ''}`;
    if (line === last) return;
    last = line;
    if (io.status) io.status(line);
    else io.out(line);
  };
  for await (const event of team.runs.events(runId, { signal: options.signal })) {
    if (event.type === 'snapshot') {
      run = event.run;
      nodes.clear();
      for (const [id, state] of Object.entries(event.run.nodes ?? {})) nodes.set(id, state);
      if (total === undefined) total = await graphSize(team, event.run);
      const running = [...nodes.entries()].find(([, n]) => n.status === 'running');
      progress(running?.[0]);
    } else if (event.type === 'node') {
      nodes.set(event.nodeId, event.state);
      if (!io.status && (DONE.has(event.state.status) || event.state.status === 'waiting')) {
        io.out(`  ${event.nodeId} ${event.state.status}${event.state.error ? `: ${event.state.error.message}` : ''}`);
      }
      progress(event.state.status === 'running' ? event.nodeId : undefined);
    } else if (event.type === 'run') {
      if (io.status) io.status('');
      const final = await team.runs.get(runId).catch(() => undefined);
      const status = event.status;
      const took = final ? duration(final.startedAt, final.endedAt) : '';
      io.out(`${runId} ${status}${took ? ` in ${took}` : ''}${event.error ? `: ${event.error.message}${event.error.nodeId ? ` (node ${event.error.nodeId})` : ''}` : ''}`);
      if (status === 'succeeded' && event.output !== undefined) io.out(`output: ${summarize(event.output, 200)}`);
      return status === 'succeeded' ? EXIT.ok : EXIT.failed;
    }
  }
  throw new Error(`the event stream of ${runId} ended before the run did`);
}

async function graphSize(team: TeamClient, run: Run): Promise<number | undefined> {
  try {
    const version = await team.workflows.version(run.workflowId, run.version);
    return (version.graph as unknown as { nodes?: unknown[] }).nodes?.length;
  } catch {
    return undefined; // a deleted workflow: the progress shows ? for the total
  }
}

export async function runLogs(team: TeamClient, io: Io, runId: string, options: { json?: boolean }): Promise<number> {
  const run = await team.runs.get(runId);
  if (options.json) {
    io.out(JSON.stringify(run, null, 2));
    return EXIT.ok;
  }
  io.out(`run ${run.runId}  workflow ${run.workflowId} v${run.version}  ${run.status}  trigger ${run.trigger}  priority ${run.priority}`);
  io.out(`started ${run.startedAt}${run.endedAt ? `  ended ${run.endedAt} (${duration(run.startedAt, run.endedAt)})` : ''}${run.usage?.aiTokens ? `  AI ${run.usage.aiTokens} tokens $${run.usage.costUsd.toFixed(4)}` : ''}`);
  if (run.queue) io.out(`queued at position ${run.queue.position}`);
  if (run.error) io.out(`error: ${run.error.message}${run.error.nodeId ? ` (node ${run.error.nodeId})` : ''}`);
  const entries = Object.entries(run.nodes ?? {}).sort(([, a], [, b]) => (a.startedAt ?? '~').localeCompare(b.startedAt ?? '~'));
  if (entries.length > 0) {
    const rows = [['NODE', 'STATUS', 'ATTEMPTS', 'TOOK', 'OUTPUT / ERROR']];
    for (const [id, node] of entries) {
      const detail = node.error ? `error: ${node.error.message}` : node.waiting ? `waiting: ${node.waiting.message}` : node.outputRef ? `(${node.outputRef.bytes} bytes in storage)` : summarize(node.output, 70);
      rows.push([id, node.status, String(node.attempts), duration(node.startedAt, node.endedAt), detail]);
    }
    io.out('');
    for (const line of table(rows)) io.out(line);
  }
  if (run.output !== undefined) io.out(`\noutput: ${summarize(run.output, 400)}`);
  return (FINAL_RUN_STATUSES as readonly RunStatus[]).includes(run.status) && run.status !== 'succeeded' ? EXIT.failed : EXIT.ok;
}

export async function listRuns(team: TeamClient, io: Io, options: { workflow?: string; status?: string; limit?: string; json?: boolean }): Promise<number> {
  const workflowId = options.workflow ? await resolveWorkflow(team, options.workflow) : undefined;
  const limit = integerOption('--limit', options.limit, 1, 100) ?? 20;
  const page = await team.runs.list({ workflowId, status: options.status as RunStatus | undefined, limit });
  if (options.json) {
    io.out(JSON.stringify(page.items, null, 2));
    return EXIT.ok;
  }
  const rows = [['RUN', 'WORKFLOW', 'STATUS', 'STARTED', 'TOOK'], ...page.items.map((r) => [r.runId, r.workflowName ?? r.workflowId, r.status, r.startedAt, duration(r.startedAt, r.endedAt)])];
  for (const line of table(rows)) io.out(line);
  return EXIT.ok;
}
