// The designer's side panels: the palette of node types, a node's settings (its config form is
// generated from the registry, with custom widgets for some fields: field-widgets.ts) and the
// workflow's validation summary.
import { useMemo, useState } from 'react';
import { describeNodeTypes } from '../../../../workflows/graph/describe.ts';
import { upstreamOf } from '../../../../workflows/graph/validate.ts';
import type { designerReducer, DesignGraph, DesignNode } from '../../lib/designer-state.ts';
import { fieldErrors, type Problem } from '../../lib/problems.ts';
import { Alert, Button, Field, inputClass } from '../ui.tsx';
import { widgetsFor } from './field-widgets.ts';
import { SchemaForm, type JsonSchema } from './schema-form.tsx';

const NODE_TYPES = describeNodeTypes();
const NODE_TYPE_BY_NAME = new Map(NODE_TYPES.map((d) => [d.type, d]));

export function Palette({ onAdd }: { onAdd: (type: string) => void }) {
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

export function NodePanel({ node, graph, problems, readOnly, dispatch }: { node: DesignNode; graph: DesignGraph; problems: { path: string; message: string }[]; readOnly: boolean; dispatch: (action: Parameters<typeof designerReducer>[1]) => void }) {
  const description = NODE_TYPE_BY_NAME.get(node.type)!;
  const [id, setId] = useState(node.id);
  const variables = useMemo(() => ['input', 'run', ...[...upstreamOf(graph, node.id)].sort().map((upstream) => `steps.${upstream}.output`)], [graph, node.id]);
  // Problems on config fields go next to their field; the rest are listed at the top.
  const fieldProblems: Record<string, string> = {};
  const problemsUnder: Record<string, { path: string; message: string }[]> = {};
  const otherProblems: string[] = [];
  for (const problem of problems) {
    const match = /^nodes\.\d+\.config\.([^.]+)(?:\.(.+))?/.exec(problem.path);
    if (match?.[1]) {
      fieldProblems[match[1]] ??= problem.message;
      (problemsUnder[match[1]] ??= []).push({ path: match[2] ?? '', message: problem.message });
    } else otherProblems.push(problem.message);
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
        problemsUnder={problemsUnder}
        widgets={widgetsFor(node.type)}
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

export function GraphPanel({ problems, general, serverProblem, readOnly }: { problems: number; general: { path: string; message: string }[]; serverProblem?: Problem; readOnly: boolean }) {
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
