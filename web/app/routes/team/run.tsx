// The run view: the run's graph, read-only, each node coloured by its live status (SSE), AI
// tokens streaming into the node's panel, per-node details with large outputs loaded on demand,
// approvals, cancel and rerun. Finished runs show the same page from the loader alone.
import '@xyflow/react/dist/style.css';
import { ReactFlowProvider } from '@xyflow/react';
import { useEffect, useMemo, useState } from 'react';
import { Form, Link, redirect, useRevalidator } from 'react-router';
import type { NodeStatus } from '../../../../workflows/interpreter/state.ts';
import { Canvas } from '../../components/designer/canvas.tsx';
import { ApprovalForm, FINAL, NodeDetails, RunSummaryPanel } from '../../components/run-panels.tsx';
import { Alert, Badge, Button, formatDuration, formatTime, useActionToast } from '../../components/ui.tsx';
import { agentActivity, appendStreamed, type StreamedText } from '../../lib/agent-steps.ts';
import { attempt, clientFor } from '../../lib/api.server.ts';
import { edgeKey, type DesignGraph } from '../../lib/designer-state.ts';
import { fieldErrors, type Problem } from '../../lib/problems.ts';
import { requireTeam } from '../../lib/session.server.ts';
import { canEdit, teamPath, type RunDetail, type RunStreamData, type RunStreamEventName } from '../../lib/types.ts';
import { useHydrated } from '../../lib/use-hydrated.ts';
import type { Route } from './+types/run.ts';

export const meta: Route.MetaFunction = ({ loaderData }) => [{ title: `Run ${loaderData?.run.runId.slice(-8) ?? ''} · Trellis` }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const { team } = await requireTeam(request, params.teamId);
  const api = clientFor(request).team(team.id);
  const run = await api.call('getRun', { params: { runId: params.runId! } });
  const workflow = await api.call('getWorkflowVersion', { params: { id: run.workflowId, version: run.version } });
  return { team, run, workflow };
}

export async function action({ request, params }: Route.ActionArgs) {
  const form = await request.formData();
  const intent = String(form.get('intent'));
  const api = clientFor(request).team(params.teamId!);
  const runId = params.runId!;
  if (intent === 'approve' || intent === 'reject') {
    const nodeId = String(form.get('nodeId'));
    const data: Record<string, unknown> = {};
    for (const [key, value] of form) {
      if (!key.startsWith('field.')) continue;
      const [, type, name] = key.split('.') as [string, string, string];
      if (type === 'boolean') data[name] = value === 'on';
      else if (type === 'number') data[name] = value === '' ? undefined : Number(value);
      else data[name] = String(value);
    }
    // Unchecked checkboxes send nothing: they are false.
    for (const name of form.getAll('booleans')) data[String(name)] ??= false;
    const comment = String(form.get('comment') ?? '');
    const result = await attempt(() => api.call('decide', { params: { runId, nodeId }, body: { decision: intent, comment: comment || undefined, data } }));
    return result.ok ? { toast: intent === 'approve' ? 'Approved' : 'Rejected' } : { problem: result.problem, nodeId };
  }
  if (intent === 'cancel') {
    const result = await attempt(() => api.call('cancelRun', { params: { runId } }));
    if (!result.ok) return { problem: result.problem };
    // A queued run is cancelled at once; a running one is asked to stop.
    return { toast: result.data.status === 'cancelled' ? 'Run cancelled' : 'Cancelling the run' };
  }
  if (intent === 'rerun') {
    const fromNode = String(form.get('fromNode') ?? '') || undefined;
    const result = await attempt(() => api.call('rerun', { params: { runId }, body: { fromNode } }));
    if (!result.ok) return { problem: result.problem };
    return redirect(teamPath(params.teamId!, `/runs/${encodeURIComponent(result.data.runId)}`));
  }
  return { problem: { title: 'Unknown action', detail: `Unknown action "${intent}"` } as Problem };
}

/** Handles one named event of the run's stream, its data typed by the contract. */
function listen<E extends RunStreamEventName>(source: EventSource, name: E, handle: (data: RunStreamData<E>) => void): void {
  source.addEventListener(name, (event) => handle(JSON.parse((event as MessageEvent<string>).data) as RunStreamData<E>));
}

/** The run as the page shows it: the loader's snapshot, then live events on top. */
function useLiveRun(teamId: string, initial: RunDetail) {
  const [run, setRun] = useState(initial);
  const [tokens, setTokens] = useState<Record<string, StreamedText>>({});
  const revalidator = useRevalidator();
  // New loader data (after an approval or a revalidation) replaces the live view — unless the
  // stream already saw the run end and the loader's answer is older than that.
  useEffect(() => setRun((current) => (FINAL.has(current.status) && !FINAL.has(initial.status) ? current : initial)), [initial]);
  useEffect(() => {
    if (FINAL.has(initial.status)) return;
    const source = new EventSource(`/api/v1/teams/${encodeURIComponent(teamId)}/runs/${encodeURIComponent(initial.runId)}/events`);
    listen(source, 'snapshot', (snapshot) => setRun(snapshot));
    listen(source, 'node', ({ nodeId, state }) => {
      // A node event means the run left the queue, if it was queued.
      setRun((current) => ({ ...current, status: state.status === 'waiting' ? 'waiting' : current.status === 'waiting' || current.status === 'queued' ? 'running' : current.status, queue: undefined, nodes: { ...current.nodes, [nodeId]: state } }));
    });
    listen(source, 'token', (event) => setTokens((current) => ({ ...current, [event.nodeId]: appendStreamed(current[event.nodeId], event) })));
    listen(source, 'run', (final) => {
      setRun((current) => ({ ...current, status: final.status, output: final.output, error: final.error }));
      // The stream ends here; without close() EventSource would reconnect.
      source.close();
      void revalidator.revalidate();
    });
    return () => source.close();
  }, [teamId, initial.runId, initial.status]);
  // While queued, its place changes as runs ahead leave: read it again now and then.
  useEffect(() => {
    if (run.status !== 'queued') return;
    const timer = setInterval(() => void revalidator.revalidate(), 3_000);
    return () => clearInterval(timer);
  }, [run.status]);
  return { run, tokens };
}

// Another run (rerun, a link) starts afresh: no selection or tokens carried over.
export default function RunRoute(props: Route.ComponentProps) {
  return <RunView key={props.loaderData.run.runId} {...props} />;
}

function RunView({ loaderData, actionData }: Route.ComponentProps) {
  const { team, workflow } = loaderData;
  const { run, tokens } = useLiveRun(team.id, loaderData.run);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const hydrated = useHydrated();
  useActionToast(actionData as { toast?: string } | undefined);
  const graph = workflow.graph as DesignGraph;
  const editor = canEdit(team.role);
  const final = FINAL.has(run.status);

  const statuses = useMemo(() => Object.fromEntries(Object.entries(run.nodes).map(([id, state]) => [id, state.status])) as Record<string, NodeStatus>, [run.nodes]);
  const activity = useMemo(() => {
    const shown: Record<string, string> = {};
    for (const [id, streamed] of Object.entries(tokens)) shown[id] = streamed.text.slice(-120);
    for (const [id, state] of Object.entries(run.nodes)) {
      if (state.progress) shown[id] = `${state.progress.done}/${state.progress.total} items`;
      const agent = agentActivity(state.agent?.steps);
      if (agent) shown[id] = agent;
    }
    return shown;
  }, [tokens, run.nodes]);
  const takenEdges = useMemo(() => {
    const taken = new Set<string>();
    for (const edge of graph.edges) {
      const state = run.nodes[edge.from];
      if (state?.status === 'succeeded' && (state.ports ?? ['out']).includes(edge.port ?? 'out')) taken.add(edgeKey(edge));
    }
    return taken;
  }, [graph.edges, run.nodes]);
  const waiting = Object.entries(run.nodes).filter(([, state]) => state.status === 'waiting' && state.waiting);
  const selected = selectedId ? graph.nodes.find((node) => node.id === selectedId) : undefined;
  const problem = actionData && 'problem' in actionData ? actionData.problem : undefined;

  return (
    <div className="-mx-4 -my-6 flex min-h-screen flex-col md:-mx-8 md:h-screen">
      <header className="flex flex-wrap items-center gap-x-4 gap-y-2 border-b border-slate-200 bg-white px-4 py-3 dark:border-slate-800 dark:bg-slate-900">
        <div className="min-w-0">
          <p className="text-xs text-slate-500">
            <Link to={teamPath(team.id, '/runs')}>Runs</Link> · <Link to={teamPath(team.id, `/workflows/${workflow.id}`)}>{workflow.name}</Link> v{run.version}
          </p>
          <h1 className="flex items-center gap-2 text-lg font-semibold">
            <span className="truncate font-mono text-base">{run.runId}</span>
            <Badge status={run.status} className="text-sm">
              <span data-testid="run-status">{run.status}</span>
            </Badge>
          </h1>
        </div>
        <dl className="flex flex-wrap gap-x-4 text-xs text-slate-600 dark:text-slate-400">
          {run.queue ? (
            <div data-testid="run-queue">
              <dt className="inline">Queued </dt>
              <dd className="inline">
                position {run.queue.position} · priority {run.queue.priority} · waiting {formatDuration(run.waitedMs)}
              </dd>
            </div>
          ) : (
            <div>
              <dt className="inline">Priority </dt>
              <dd className="inline">
                {run.priority}
                {run.waitedMs > 0 ? ` · queued ${formatDuration(run.waitedMs)}` : ''}
              </dd>
            </div>
          )}
          <div>
            <dt className="inline">Started </dt>
            <dd className="inline">{formatTime(run.startedAt)}</dd>
          </div>
          <div>
            <dt className="inline">Duration </dt>
            <dd className="inline">{run.endedAt ? formatDuration(Date.parse(run.endedAt) - Date.parse(run.startedAt)) : run.status === 'queued' ? 'not started' : 'running'}</dd>
          </div>
          <div>
            <dt className="inline">Trigger </dt>
            <dd className="inline">{run.trigger}</dd>
          </div>
          <div>
            <dt className="inline">AI </dt>
            <dd className="inline">
              {run.usage.aiTokens} tokens · ${run.usage.costUsd.toFixed(run.usage.costUsd > 0 && run.usage.costUsd < 0.01 ? 6 : 4)}
            </dd>
          </div>
        </dl>
        {editor && (
          <div className="ml-auto flex gap-2">
            {!final && (
              <Form method="post">
                <input type="hidden" name="intent" value="cancel" />
                <Button type="submit" variant="danger" size="sm">
                  Cancel run
                </Button>
              </Form>
            )}
            {final && (
              <Form method="post">
                <input type="hidden" name="intent" value="rerun" />
                <Button type="submit" variant="secondary" size="sm">
                  Rerun
                </Button>
              </Form>
            )}
          </div>
        )}
      </header>
      {problem && (
        <div className="px-4 pt-3">
          <Alert>{fieldErrors(problem).form ?? Object.values(fieldErrors(problem)).join('; ')}</Alert>
        </div>
      )}
      <div className="flex min-h-0 flex-1 flex-col md:flex-row">
        <div className="relative h-[45vh] min-w-0 bg-slate-50 md:h-auto md:flex-1 dark:bg-slate-950" data-testid="canvas">
          {hydrated ? (
            <ReactFlowProvider>
              <Canvas graph={graph} statuses={statuses} activity={activity} takenEdges={takenEdges} selectedId={selectedId} readOnly onSelect={setSelectedId} />
            </ReactFlowProvider>
          ) : (
            <ul className="p-4 text-sm">
              {graph.nodes.map((node) => (
                <li key={node.id}>
                  {node.id}: {run.nodes[node.id]?.status ?? 'pending'}
                </li>
              ))}
            </ul>
          )}
        </div>
        <aside className="order-first w-full shrink-0 overflow-y-auto border-b border-slate-200 bg-white p-4 md:order-none md:w-96 md:border-b-0 md:border-l dark:border-slate-800 dark:bg-slate-900" aria-label="Run details">
          {waiting.map(([nodeId, state]) => (
            <ApprovalForm key={nodeId} nodeId={nodeId} state={state} enabled={editor} problem={actionData && 'nodeId' in actionData && actionData.nodeId === nodeId ? actionData.problem : undefined} />
          ))}
          {selected ? (
            <NodeDetails
              teamId={team.id}
              run={run}
              nodeId={selected.id}
              type={selected.type}
              upstream={[...new Set(graph.edges.filter((edge) => edge.to === selected.id).map((edge) => edge.from))]}
              tokens={tokens[selected.id]}
              canRerun={editor && final}
              onClose={() => setSelectedId(null)}
            />
          ) : (
            <RunSummaryPanel run={run} teamId={team.id} />
          )}
        </aside>
      </div>
    </div>
  );
}
