// The designer: palette, canvas, node settings, validation on the nodes, undo/redo, save (a new
// version), version history (read-only views) and "Test run". Editing happens in the browser
// (designer-state reducer); saving and running go through this route's action to the API.
import '@xyflow/react/dist/style.css';
import { ReactFlowProvider } from '@xyflow/react';
import { useEffect, useMemo, useReducer, useState } from 'react';
import { Link, redirect, useFetcher } from 'react-router';
import { validate } from '../../../../workflows/graph/validate.ts';
import { Canvas } from '../../components/designer/canvas.tsx';
import { DesignerResourcesContext, mcpToolsLister } from '../../components/designer/designer-context.ts';
import { TestRunDialog, VersionsDialog } from '../../components/designer/dialogs.tsx';
import { GraphPanel, NodePanel, Palette } from '../../components/designer/panels.tsx';
import { WorkflowSettingsDialog, type SettingsAnswer } from '../../components/designer/workflow-settings.tsx';
import { Badge, Button, buttonClass, useToast } from '../../components/ui.tsx';
import type { Body } from '../../../../clients/typescript/index.ts';
import { attempt, clientFor } from '../../lib/api.server.ts';
import { collectPages } from '../../lib/dashboard.ts';
import { designerReducer, initialState, isNodeType, problemsByNode, toGraphInput, type DesignGraph } from '../../lib/designer-state.ts';
import type { Problem } from '../../lib/problems.ts';
import { requireTeam } from '../../lib/session.server.ts';
import { canEdit, teamPath } from '../../lib/types.ts';
import { useHydrated } from '../../lib/use-hydrated.ts';
import type { Route } from './+types/designer.ts';

export const meta: Route.MetaFunction = ({ loaderData }) => [{ title: `${loaderData?.workflow.name ?? 'Workflow'} · Designer · Trellis` }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const { team } = await requireTeam(request, params.teamId);
  const api = clientFor(request).team(team.id);
  const id = params.workflowId!;
  const requested = new URL(request.url).searchParams.get('version');
  const [latest, versions, workflows, credentials] = await Promise.all([
    api.call('getWorkflow', { params: { id } }),
    api.call('listWorkflowVersions', { params: { id } }),
    // For the agent's tool picker: the team's workflows (with their tool settings) and credentials
    // (editors only may list them).
    // As many as the workflows page lists.
    collectPages((cursor) => api.call('listWorkflows', { query: { limit: 100, cursor } }), { cap: 500 }),
    canEdit(team.role) ? api.call('listCredentials') : { items: [] },
  ]);
  const viewing = requested && Number(requested) !== latest.version ? await api.call('getWorkflowVersion', { params: { id, version: requested } }) : latest;
  const resources = {
    teamId: team.id,
    workflowId: latest.id,
    workflows: workflows.items.map((w) => ({ id: w.id, name: w.name, description: w.description, tool: w.tool ?? null })),
    credentials: credentials.items.map((c) => ({ id: c.id, name: c.name, type: c.type })),
  };
  return { team, workflow: viewing, latest: { name: latest.name, description: latest.description, tool: latest.tool ?? null }, latestVersion: latest.version, versions: versions.items, resources };
}

// What the page posts (JSON): the API validates graph, input and tool settings.
type Update = Body<'updateWorkflow'>;
type SaveBody =
  | { intent: 'save'; name: string; graph: Update['graph'] }
  | { intent: 'run'; input: unknown; name?: string; graph?: Update['graph'] }
  | { intent: 'settings'; description: string; tool: Update['tool'] };

export async function action({ request, params }: Route.ActionArgs) {
  const body = (await request.json()) as SaveBody;
  const api = clientFor(request).team(params.teamId!);
  const id = params.workflowId!;
  if (body.intent === 'settings') {
    // No graph: the API keeps the version (tool settings and description belong to the workflow).
    const saved = await attempt(() => api.call('updateWorkflow', { params: { id }, body: { description: body.description, tool: body.tool } }));
    return (saved.ok ? { intent: 'settings' } : { intent: 'settings', problem: saved.problem }) satisfies SettingsAnswer;
  }
  let version: number | undefined;
  if (body.graph !== undefined) {
    const saved = await attempt(() => api.call('updateWorkflow', { params: { id }, body: { name: body.name, graph: body.graph } }));
    if (!saved.ok) return { intent: body.intent, problem: saved.problem };
    version = saved.data.version;
  }
  if (body.intent === 'save') return { intent: 'save' as const, version };
  const started = await attempt(() => api.call('startRun', { params: { id }, body: { input: body.input, version } }));
  if (!started.ok) return { intent: 'run' as const, problem: started.problem };
  return redirect(teamPath(params.teamId!, `/runs/${encodeURIComponent(started.data.runId)}`));
}

export default function Designer({ loaderData }: Route.ComponentProps) {
  const { team, workflow, latestVersion, versions } = loaderData;
  const resources = useMemo(() => ({ ...loaderData.resources, listMcpTools: mcpToolsLister(team.id) }), [loaderData.resources, team.id]);
  const viewingOld = workflow.version !== latestVersion;
  const readOnly = !canEdit(team.role) || viewingOld;
  const [state, dispatch] = useReducer(designerReducer, workflow.graph as DesignGraph, initialState);
  const [name, setName] = useState(workflow.name);
  const [serverProblem, setServerProblem] = useState<Problem | undefined>();
  const [runOpen, setRunOpen] = useState(false);
  const [versionsOpen, setVersionsOpen] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [fitSignal, setFitSignal] = useState(0);
  const fetcher = useFetcher<typeof action>();
  const toast = useToast();
  const hydrated = useHydrated();

  // A different workflow or version loaded (navigation, or the save's revalidation).
  useEffect(() => {
    dispatch({ type: 'load', graph: workflow.graph as DesignGraph });
    setName(workflow.name);
  }, [workflow.id, workflow.version]);

  useEffect(() => {
    const result = fetcher.data;
    if (!result || fetcher.state !== 'idle') return;
    if ('problem' in result && result.problem) {
      setServerProblem(result.problem);
      toast(result.problem.detail ?? 'The workflow could not be saved', 'error');
    } else if (result.intent === 'save') {
      setServerProblem(undefined);
      dispatch({ type: 'saved' });
      toast(`Saved as version ${result.version ?? latestVersion}`);
    }
  }, [fetcher.data, fetcher.state]);

  // Unsaved work lives only in this page: leaving or reloading asks first.
  useEffect(() => {
    if (!state.dirty || readOnly) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [state.dirty, readOnly]);

  // Keyboard: undo/redo anywhere except while typing in a field.
  useEffect(() => {
    if (readOnly) return;
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      if (target.closest('input, textarea, select, [contenteditable]')) return;
      if (!(event.ctrlKey || event.metaKey)) return;
      const key = event.key.toLowerCase();
      if (key === 'z') {
        event.preventDefault();
        dispatch({ type: event.shiftKey ? 'redo' : 'undo' });
      } else if (key === 'y') {
        event.preventDefault();
        dispatch({ type: 'redo' });
      } else if (key === 's') {
        event.preventDefault();
        save();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const problems = useMemo(() => validate(toGraphInput(state.graph)), [state.graph]);
  const grouped = useMemo(() => problemsByNode(state.graph, problems), [state.graph, problems]);
  const selected = state.graph.nodes.find((node) => node.id === state.selectedNodeId) ?? null;
  const busy = fetcher.state !== 'idle';

  function save() {
    void fetcher.submit({ intent: 'save', name, graph: toGraphInput(state.graph) as never }, { method: 'post', encType: 'application/json' });
  }

  function addNode(type: string, position?: { x: number; y: number }) {
    if (!isNodeType(type)) return;
    const count = state.graph.nodes.length;
    dispatch({ type: 'addNode', nodeType: type, position: position ?? { x: 80 + (count % 4) * 240, y: 80 + Math.floor(count / 4) * 140 } });
  }

  return (
    <DesignerResourcesContext value={resources}>
      <div className="-mx-4 -my-6 flex h-[calc(100vh-0px)] flex-col md:-mx-8">
        <header className="flex flex-wrap items-center gap-2 border-b border-slate-200 bg-white px-4 py-2 dark:border-slate-800 dark:bg-slate-900">
          <Link to={teamPath(team.id, '/workflows')} className="text-sm no-underline">
            ← Workflows
          </Link>
          <label htmlFor="workflow-name" className="sr-only">
            Workflow name
          </label>
          <input id="workflow-name" value={name} onChange={(event) => setName(event.target.value)} disabled={readOnly} className="h-8 w-64 rounded-md border border-slate-300 bg-white px-2 text-sm font-medium dark:border-slate-700 dark:bg-slate-900" />
          <Badge>v{workflow.version}</Badge>
          {state.dirty && !readOnly && <span className="text-xs text-amber-700 dark:text-amber-400">Unsaved changes</span>}
          <div className="ml-auto flex flex-wrap items-center gap-2">
            {!readOnly && (
              <>
                <Button variant="ghost" size="sm" onClick={() => dispatch({ type: 'undo' })} disabled={state.past.length === 0} title="Undo (Ctrl+Z)">
                  Undo
                </Button>
                <Button variant="ghost" size="sm" onClick={() => dispatch({ type: 'redo' })} disabled={state.future.length === 0} title="Redo (Ctrl+Shift+Z)">
                  Redo
                </Button>
                <Button variant="ghost" size="sm" onClick={() => {
                    dispatch({ type: 'autoLayout' });
                    setFitSignal((n) => n + 1);
                  }}
                >
                  Auto-layout
                </Button>
              </>
            )}
            <Button variant="secondary" size="sm" onClick={() => setSettingsOpen(true)}>
              Settings
            </Button>
            <Button variant="secondary" size="sm" onClick={() => setVersionsOpen(true)}>
              Versions ({versions.length})
            </Button>
            <Link to={teamPath(team.id, `/workflows/${workflow.id}/triggers`)} className={buttonClass('secondary', 'sm')}>
              Triggers
            </Link>
            {canEdit(team.role) && !viewingOld && (
              <Button variant="secondary" size="sm" onClick={() => setRunOpen(true)}>
                Test run
              </Button>
            )}
            {!readOnly && (
              <Button size="sm" onClick={save} disabled={busy}>
                {busy && fetcher.json && (fetcher.json as SaveBody).intent === 'save' ? 'Saving…' : 'Save'}
              </Button>
            )}
          </div>
        </header>
        {viewingOld && (
          <div className="border-b border-amber-200 bg-amber-50 px-4 py-2 text-sm text-amber-900 dark:border-amber-900 dark:bg-amber-950 dark:text-amber-200">
            Viewing version {workflow.version} (read-only). <Link to={teamPath(team.id, `/workflows/${workflow.id}`)}>Back to the latest version ({latestVersion})</Link>
          </div>
        )}
        {!canEdit(team.role) && !viewingOld && (
          <div className="border-b border-slate-200 bg-slate-50 px-4 py-2 text-sm text-slate-700 dark:border-slate-800 dark:bg-slate-900 dark:text-slate-300">You can view this workflow; editing needs the editor role.</div>
        )}
        <div className="flex min-h-0 flex-1">
          {!readOnly && <Palette onAdd={(type) => addNode(type)} />}
          <div className="relative min-w-0 flex-1 bg-slate-50 dark:bg-slate-950" data-testid="canvas">
            {hydrated ? (
              <ReactFlowProvider>
                <Canvas
                  graph={state.graph}
                  problems={grouped.byNode}
                  selectedId={state.selectedNodeId}
                  readOnly={readOnly}
                  onSelect={(id) => dispatch({ type: 'select', id })}
                  onMove={(moves, done) => dispatch({ type: 'moveNodes', moves, record: done })}
                  onConnect={(edge) => dispatch({ type: 'connect', ...edge })}
                  onDelete={(removed) => dispatch({ type: 'delete', ...removed })}
                  onDropType={(type, position) => addNode(type, position)}
                  fitSignal={fitSignal}
                />
              </ReactFlowProvider>
            ) : (
              <p className="p-6 text-sm text-slate-500">Loading the designer…</p>
            )}
          </div>
          <aside className="w-80 shrink-0 overflow-y-auto border-l border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900" aria-label="Node settings">
            {selected ? (
              <NodePanel key={selected.id} node={selected} graph={state.graph} readOnly={readOnly} problems={grouped.byNode.get(selected.id) ?? []} dispatch={dispatch} />
            ) : (
              <GraphPanel problems={problems.length} general={grouped.general} serverProblem={serverProblem} readOnly={readOnly} />
            )}
          </aside>
        </div>
        <WorkflowSettingsDialog open={settingsOpen} onClose={() => setSettingsOpen(false)} workflow={loaderData.latest} readOnly={!canEdit(team.role)} />
        <VersionsDialog open={versionsOpen} onClose={() => setVersionsOpen(false)} versions={versions} teamId={team.id} workflowId={workflow.id} current={workflow.version} latest={latestVersion} />
        <TestRunDialog
          open={runOpen}
          onClose={() => setRunOpen(false)}
          dirty={state.dirty}
          busy={busy}
          problem={fetcher.data && 'problem' in fetcher.data && fetcher.data.intent === 'run' ? fetcher.data.problem : undefined}
          onRun={(input) =>
            void fetcher.submit(
              state.dirty ? { intent: 'run', input: input as never, name, graph: toGraphInput(state.graph) as never } : { intent: 'run', input: input as never },
              { method: 'post', encType: 'application/json' },
            )
          }
        />
      </div>
    </DesignerResourcesContext>
  );
}
