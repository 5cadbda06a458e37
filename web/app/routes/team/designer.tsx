// The designer: palette, canvas, node settings, validation on the nodes, undo/redo, save (a new
// version), version history (read-only views) and "Test run". Editing happens in the browser
// (designer-state reducer); saving and running go through this route's action to the API.
import '@xyflow/react/dist/style.css';
import { ReactFlowProvider } from '@xyflow/react';
import { useEffect, useMemo, useReducer, useState } from 'react';
import { Link, redirect, useFetcher } from 'react-router';
import { describeNodeTypes } from '../../../../workflows/graph/describe.ts';
import { upstreamOf, validate } from '../../../../workflows/graph/validate.ts';
import { Canvas } from '../../components/designer/canvas.tsx';
import { SchemaForm, type JsonSchema } from '../../components/designer/schema-form.tsx';
import { Alert, Badge, Button, buttonClass, Dialog, Field, formatTime, inputClass, Textarea, useToast } from '../../components/ui.tsx';
import { api, attempt } from '../../lib/api.server.ts';
import { designerReducer, initialState, isNodeType, problemsByNode, toGraphInput, type DesignGraph, type DesignNode } from '../../lib/designer-state.ts';
import { fieldErrors, type Problem } from '../../lib/problems.ts';
import { requireTeam } from '../../lib/session.server.ts';
import { canEdit, teamPath, type WorkflowDetail } from '../../lib/types.ts';
import { useHydrated } from '../../lib/use-hydrated.ts';
import type { Route } from './+types/designer.ts';
import type { WorkflowVersionInfo } from '../../lib/types.ts';

export const meta: Route.MetaFunction = ({ loaderData }) => [{ title: `${loaderData?.workflow.name ?? 'Workflow'} · Designer · Trellis` }];

type VersionInfo = WorkflowVersionInfo;

export async function loader({ request, params }: Route.LoaderArgs) {
  const { team } = await requireTeam(request, params.teamId);
  const base = `/api/v1/teams/${encodeURIComponent(team.id)}/workflows/${encodeURIComponent(params.workflowId!)}`;
  const requested = new URL(request.url).searchParams.get('version');
  const [latest, versions] = await Promise.all([api<WorkflowDetail>(request, base), api<{ items: VersionInfo[] }>(request, `${base}/versions`)]);
  const viewing = requested && Number(requested) !== latest.version ? await api<WorkflowDetail>(request, `${base}/versions/${encodeURIComponent(requested)}`) : latest;
  return { team, workflow: viewing, latestVersion: latest.version, versions: versions.items };
}

type SaveBody = { intent: 'save'; name: string; graph: unknown } | { intent: 'run'; input: unknown; name?: string; graph?: unknown };

export async function action({ request, params }: Route.ActionArgs) {
  const body = (await request.json()) as SaveBody;
  const base = `/api/v1/teams/${encodeURIComponent(params.teamId!)}/workflows/${encodeURIComponent(params.workflowId!)}`;
  let version: number | undefined;
  if (body.graph !== undefined) {
    const saved = await attempt(() => api<WorkflowDetail>(request, base, { method: 'PUT', body: { name: body.name, graph: body.graph } }));
    if (!saved.ok) return { intent: body.intent, problem: saved.problem };
    version = saved.data.version;
  }
  if (body.intent === 'save') return { intent: 'save' as const, version };
  const started = await attempt(() => api<{ runId: string }>(request, `${base}/runs`, { method: 'POST', body: { input: body.input, version } }));
  if (!started.ok) return { intent: 'run' as const, problem: started.problem };
  return redirect(teamPath(params.teamId!, `/runs/${encodeURIComponent(started.data.runId)}`));
}

const NODE_TYPES = describeNodeTypes();
const NODE_TYPE_BY_NAME = new Map(NODE_TYPES.map((d) => [d.type, d]));

export default function Designer({ loaderData }: Route.ComponentProps) {
  const { team, workflow, latestVersion, versions } = loaderData;
  const viewingOld = workflow.version !== latestVersion;
  const readOnly = !canEdit(team.role) || viewingOld;
  const [state, dispatch] = useReducer(designerReducer, workflow.graph as DesignGraph, initialState);
  const [name, setName] = useState(workflow.name);
  const [serverProblem, setServerProblem] = useState<Problem | undefined>();
  const [runOpen, setRunOpen] = useState(false);
  const [versionsOpen, setVersionsOpen] = useState(false);
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
  );
}

function Palette({ onAdd }: { onAdd: (type: string) => void }) {
  return (
    <nav aria-label="Node palette" className="w-52 shrink-0 overflow-y-auto border-r border-slate-200 bg-white p-3 dark:border-slate-800 dark:bg-slate-900">
      <p className="mb-2 text-xs font-semibold tracking-wide text-slate-500 uppercase">Nodes</p>
      <p className="mb-3 text-xs text-slate-500">Drag onto the canvas, or click to add.</p>
      <ul className="space-y-1.5">
        {NODE_TYPES.map((type) => (
          <li key={type.type}>
            <button
              type="button"
              draggable
              data-testid={`palette-${type.type}`}
              onDragStart={(event) => {
                event.dataTransfer.setData('application/x-trellis-node', type.type);
                event.dataTransfer.effectAllowed = 'move';
              }}
              onClick={() => onAdd(type.type)}
              title={type.description}
              className="w-full cursor-grab rounded-md border border-slate-200 bg-slate-50 px-2.5 py-1.5 text-left text-sm hover:border-brand-500 active:cursor-grabbing dark:border-slate-700 dark:bg-slate-800"
            >
              <span className="font-medium">{type.label}</span>
              <span className="block truncate text-xs text-slate-500 dark:text-slate-400">{type.description}</span>
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function NodePanel({ node, graph, problems, readOnly, dispatch }: { node: DesignNode; graph: DesignGraph; problems: { path: string; message: string }[]; readOnly: boolean; dispatch: (action: Parameters<typeof designerReducer>[1]) => void }) {
  const description = NODE_TYPE_BY_NAME.get(node.type)!;
  const [id, setId] = useState(node.id);
  const variables = useMemo(() => ['input', 'run', ...[...upstreamOf(graph, node.id)].sort().map((upstream) => `steps.${upstream}.output`)], [graph, node.id]);
  // Problems on config fields go next to their field; the rest are listed at the top.
  const fieldProblems: Record<string, string> = {};
  const otherProblems: string[] = [];
  for (const problem of problems) {
    const match = /^nodes\.\d+\.config\.([^.]+)/.exec(problem.path);
    if (match?.[1]) fieldProblems[match[1]] ??= problem.message;
    else otherProblems.push(problem.message);
  }
  const update = (patch: Partial<DesignNode>) => dispatch({ type: 'updateNode', id: node.id, patch });
  return (
    <div className="space-y-4">
      <div>
        <p className="text-xs font-semibold tracking-wide text-slate-500 uppercase">{description.label}</p>
        <p className="text-xs text-slate-500 dark:text-slate-400">{description.description}</p>
      </div>
      {otherProblems.length > 0 && (
        <Alert>
          <ul className="list-disc pl-4">
            {otherProblems.map((message) => (
              <li key={message}>{message}</li>
            ))}
          </ul>
        </Alert>
      )}
      <Field
        label="Node id"
        value={id}
        disabled={readOnly}
        hint="Other steps read this node's output as steps.<id>.output"
        onChange={(event) => setId(event.target.value)}
        onBlur={() => {
          dispatch({ type: 'renameNode', id: node.id, newId: id });
          setId(node.id);
        }}
      />
      <Field label="Label" value={node.label ?? ''} disabled={readOnly} onChange={(event) => update({ label: event.target.value || undefined })} />
      <SchemaForm
        schema={description.configSchema as JsonSchema}
        value={(node.config ?? {}) as Record<string, unknown>}
        onChange={(config) => update({ config } as Partial<DesignNode>)}
        expressionFields={description.expressionFields}
        templateFields={description.templateFields}
        variables={variables}
        problems={fieldProblems}
        readOnly={readOnly}
      />
      <details className="rounded-md border border-slate-200 p-3 dark:border-slate-700">
        <summary className="cursor-pointer text-sm font-medium">Errors, retries and timeout</summary>
        <div className="mt-3 space-y-3">
          <Field label="On error" id="node-on-error" hint="route adds an error port to connect a fallback">
            <select id="node-on-error" className={inputClass} value={node.onError ?? 'fail'} disabled={readOnly} onChange={(event) => update({ onError: event.target.value as DesignNode['onError'] })}>
              <option value="fail">fail the run</option>
              <option value="continue">continue</option>
              <option value="route">route to the error port</option>
            </select>
          </Field>
          <Field
            label="Max attempts"
            type="number"
            min={1}
            max={100}
            disabled={readOnly}
            value={node.retry?.maxAttempts ?? ''}
            onChange={(event) => update({ retry: event.target.value === '' ? undefined : { ...node.retry, maxAttempts: Number(event.target.value) } })}
          />
          <Field label="Timeout" placeholder="e.g. 30s" disabled={readOnly} value={node.timeout ?? ''} onChange={(event) => update({ timeout: event.target.value || undefined })} />
        </div>
      </details>
      {!readOnly && (
        <Button variant="danger" size="sm" onClick={() => dispatch({ type: 'delete', nodeIds: [node.id] })}>
          Delete node
        </Button>
      )}
    </div>
  );
}

function GraphPanel({ problems, general, serverProblem, readOnly }: { problems: number; general: { path: string; message: string }[]; serverProblem?: Problem; readOnly: boolean }) {
  const serverErrors = serverProblem && serverProblem.status !== 422 ? fieldErrors(serverProblem) : undefined;
  return (
    <div className="space-y-4 text-sm">
      <h2 className="font-semibold">Workflow</h2>
      {problems === 0 ? (
        <Alert tone="success">The graph is valid.</Alert>
      ) : (
        <Alert>
          {problems} problem{problems === 1 ? '' : 's'} — marked on the nodes they concern.
          {general.length > 0 && (
            <ul className="mt-2 list-disc pl-4">
              {general.map((problem) => (
                <li key={problem.path + problem.message}>{problem.message}</li>
              ))}
            </ul>
          )}
        </Alert>
      )}
      {serverErrors && <Alert>{Object.values(serverErrors).join('; ')}</Alert>}
      {!readOnly && <p className="text-slate-600 dark:text-slate-400">Select a node to edit it. Connect a node's output port (right) to another node's input (left). Delete or Backspace removes the selection; Ctrl+Z undoes.</p>}
    </div>
  );
}

function VersionsDialog({ open, onClose, versions, teamId, workflowId, current, latest }: { open: boolean; onClose: () => void; versions: VersionInfo[]; teamId: string; workflowId: string; current: number; latest: number }) {
  return (
    <Dialog open={open} onClose={onClose} title="Version history" footer={<Button variant="secondary" onClick={onClose}>Close</Button>}>
      <ul className="max-h-80 space-y-1 overflow-y-auto text-sm">
        {versions.map((v) => (
          <li key={v.version} className="flex items-center justify-between rounded px-2 py-1 hover:bg-slate-50 dark:hover:bg-slate-800">
            <Link to={teamPath(teamId, `/workflows/${workflowId}${v.version === latest ? '' : `?version=${v.version}`}`)} onClick={onClose}>
              Version {v.version}
              {v.version === latest ? ' (latest)' : ''}
            </Link>
            <span className="text-xs text-slate-500">
              {formatTime(v.createdAt)}
              {v.version === current ? ' · viewing' : ''}
            </span>
          </li>
        ))}
      </ul>
    </Dialog>
  );
}

function TestRunDialog({ open, onClose, onRun, dirty, busy, problem }: { open: boolean; onClose: () => void; onRun: (input: unknown) => void; dirty: boolean; busy: boolean; problem?: Problem }) {
  const [text, setText] = useState('{\n  \n}');
  const [error, setError] = useState<string | undefined>();
  const run = () => {
    try {
      const input = text.trim() === '' ? {} : (JSON.parse(text) as unknown);
      setError(undefined);
      onRun(input);
    } catch (parseError) {
      setError(`The input is not valid JSON: ${(parseError as Error).message}`);
    }
  };
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="Test run"
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={run} disabled={busy}>
            {dirty ? 'Save and run' : 'Run'}
          </Button>
        </>
      }
    >
      <Field label="Input (JSON)" id="test-run-input" error={error}>
        <Textarea id="test-run-input" rows={8} value={text} onChange={(event) => setText(event.target.value)} />
      </Field>
      <p className="mt-2 text-xs text-slate-500">Expressions read it as input. {dirty ? 'Your changes are saved as a new version first.' : 'Runs the latest saved version.'}</p>
      {problem && (
        <div className="mt-3">
          <Alert>{problem.detail ?? problem.title}</Alert>
        </div>
      )}
    </Dialog>
  );
}
