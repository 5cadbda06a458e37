// The run view's side panel: the run's input and output, a node's details (status, timings,
// streamed AI text, an agent's steps, input and output, "rerun from here") and approval forms.
import { useState } from 'react';
import { Form, useNavigation } from 'react-router';
import type { NodeState } from '../../../workflows/interpreter/state.ts';
import { browserTeamClient } from '../lib/api.client.ts';
import { fieldErrors, type Problem } from '../lib/problems.ts';
import type { RunDetail } from '../lib/types.ts';
import { streamingTurnText, type StreamedText } from '../lib/agent-steps.ts';
import { AgentSteps } from './agent-steps.tsx';
import { Alert, Badge, Button, cx, Field, formatDuration, formatTime, inputClass, Textarea } from './ui.tsx';
import { FINAL_RUN_STATUSES } from '../../../contract/run-status.ts';

export const FINAL: ReadonlySet<string> = new Set(FINAL_RUN_STATUSES);

function Json({ value }: { value: unknown }) {
  const text = JSON.stringify(value, null, 2) ?? 'undefined';
  const [all, setAll] = useState(false);
  const LIMIT = 20_000;
  return (
    <div>
      <pre className="max-h-96 overflow-auto rounded bg-slate-100 p-2 text-xs dark:bg-slate-800">{all || text.length <= LIMIT ? text : `${text.slice(0, LIMIT)}…`}</pre>
      {text.length > LIMIT && !all && (
        <Button variant="ghost" size="sm" onClick={() => setAll(true)}>
          Show all ({Math.round(text.length / 1024)} KiB)
        </Button>
      )}
    </div>
  );
}

/** A value kept in blob storage: fetched from the API only when asked for. */
function LoadOutput({ load, bytes }: { load: () => Promise<{ output: unknown }>; bytes: number }) {
  const [value, setValue] = useState<{ output: unknown } | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [loading, setLoading] = useState(false);
  if (value) return <Json value={value.output} />;
  return (
    <div className="space-y-2">
      <p className="text-xs text-slate-500">The output is large ({Math.round(bytes / 1024)} KiB) and kept in storage.</p>
      <Button
        variant="secondary"
        size="sm"
        disabled={loading}
        onClick={() => {
          setLoading(true);
          load()
            .then(setValue)
            .catch((failure: unknown) => setError(`Could not load the output: ${(failure as Error).message}`))
            .finally(() => setLoading(false));
        }}
      >
        {loading ? 'Loading…' : 'Load output'}
      </Button>
      {error && <Alert>{error}</Alert>}
    </div>
  );
}

export function RunSummaryPanel({ run, teamId }: { run: RunDetail; teamId: string }) {
  const outputRef = run.outputRef;
  return (
    <div className="space-y-4 text-sm">
      <p className="text-slate-600 dark:text-slate-400">Select a node to see its output, error, attempts and timings.</p>
      {run.error && (
        <Alert>
          <strong>Failed{run.error.nodeId ? ` at ${run.error.nodeId}` : ''}:</strong> {run.error.message}
        </Alert>
      )}
      <section>
        <h2 className="mb-1 font-semibold">Input</h2>
        <Json value={run.input} />
      </section>
      <section>
        <h2 className="mb-1 font-semibold">Output</h2>
        {outputRef ? (
          <LoadOutput load={() => browserTeamClient(teamId).call('getRunOutput', { params: { runId: run.runId } })} bytes={outputRef.bytes} />
        ) : run.output !== undefined ? (
          <div data-testid="run-output">
            <Json value={run.output} />
          </div>
        ) : (
          <p className="text-slate-500">{FINAL.has(run.status) ? 'No output.' : 'Not yet.'}</p>
        )}
      </section>
    </div>
  );
}

/** A node's output, or a button that loads it when it was kept in blob storage. */
function NodeOutput({ teamId, runId, nodeId, state }: { teamId: string; runId: string; nodeId: string; state?: NodeState }) {
  if (state?.outputRef) {
    return <LoadOutput load={() => browserTeamClient(teamId).call('getNodeOutput', { params: { runId, nodeId } })} bytes={state.outputRef.bytes} />;
  }
  return state?.output !== undefined ? <Json value={state.output} /> : <p className="text-slate-500">None.</p>;
}

export function NodeDetails({ teamId, run, nodeId, type, upstream, tokens, canRerun, onClose }: { teamId: string; run: RunDetail; nodeId: string; type: string; upstream: string[]; tokens?: StreamedText | undefined; canRerun: boolean; onClose: () => void }) {
  const runId = run.runId;
  const state: NodeState | undefined = run.nodes[nodeId];
  const started = state?.startedAt ? Date.parse(state.startedAt) : undefined;
  const ended = state?.endedAt ? Date.parse(state.endedAt) : undefined;
  return (
    <div className="space-y-4 text-sm">
      <div className="flex items-start justify-between gap-2">
        <div>
          <p className="text-xs font-semibold tracking-wide text-slate-500 uppercase">{type}</p>
          <h2 className="font-mono font-semibold">{nodeId}</h2>
        </div>
        <Button variant="ghost" size="sm" onClick={onClose}>
          Close
        </Button>
      </div>
      <dl className="grid grid-cols-2 gap-x-3 gap-y-1 text-xs">
        <dt className="text-slate-500">Status</dt>
        <dd>
          <Badge status={state?.status ?? 'pending'}>{state?.status ?? 'pending'}</Badge>
        </dd>
        <dt className="text-slate-500">Attempts</dt>
        <dd>{state?.attempts ?? 0}</dd>
        <dt className="text-slate-500">Started</dt>
        <dd>{formatTime(state?.startedAt)}</dd>
        <dt className="text-slate-500">Ended</dt>
        <dd>{formatTime(state?.endedAt)}</dd>
        <dt className="text-slate-500">Duration</dt>
        <dd>{started && ended ? formatDuration(ended - started) : '—'}</dd>
        {state?.ports && (
          <>
            <dt className="text-slate-500">Took port</dt>
            <dd>{state.ports.join(', ')}</dd>
          </>
        )}
      </dl>
      {tokens?.text && !state?.agent && (
        <section>
          <h3 className="mb-1 font-semibold">AI response (streaming)</h3>
          <p className="rounded bg-slate-100 p-2 text-xs whitespace-pre-wrap dark:bg-slate-800" data-testid="ai-tokens">
            {tokens.text}
          </p>
        </section>
      )}
      {state?.error && (
        <Alert>
          <strong>{state.error.type ?? state.error.kind} error:</strong> {state.error.message}
        </Alert>
      )}
      <section>
        <h3 className="mb-1 font-semibold">Input</h3>
        {upstream.length === 0 ? (
          <>
            <p className="mb-1 text-xs text-slate-500">The run's input (a first node reads it as input).</p>
            <Json value={run.input} />
          </>
        ) : (
          upstream.map((id) => (
            <div key={id} className="mb-2">
              <p className="mb-1 text-xs text-slate-500">
                From <code>steps.{id}.output</code>
              </p>
              <NodeOutput teamId={teamId} runId={runId} nodeId={id} state={run.nodes[id]} />
            </div>
          ))
        )}
      </section>
      {state?.agent && <AgentSteps steps={state.agent.steps} streaming={streamingTurnText(state.agent.steps, tokens)} />}
      <section>
        <h3 className="mb-1 font-semibold">Output</h3>
        <NodeOutput teamId={teamId} runId={runId} nodeId={nodeId} state={state} />
      </section>
      {canRerun && (
        <Form method="post">
          <input type="hidden" name="intent" value="rerun" />
          <input type="hidden" name="fromNode" value={nodeId} />
          <Button type="submit" variant="secondary" size="sm">
            Rerun from this node
          </Button>
          <p className="mt-1 text-xs text-slate-500">A new run that reuses the outputs of the nodes before this one.</p>
        </Form>
      )}
    </div>
  );
}

interface FormFieldSpec {
  name: string;
  label?: string;
  type: 'string' | 'number' | 'boolean';
  required?: boolean;
}

export function ApprovalForm({ nodeId, state, enabled, problem }: { nodeId: string; state: NodeState; enabled: boolean; problem?: Problem }) {
  const navigation = useNavigation();
  const busy = navigation.state !== 'idle' && navigation.formData?.get('nodeId') === nodeId;
  const fields = (state.waiting?.form ?? []) as FormFieldSpec[];
  const errors = fieldErrors(problem);
  return (
    <Form method="post" className="mb-4 space-y-3 rounded-lg border-2 border-amber-400 bg-amber-50 p-4 dark:border-amber-700 dark:bg-amber-950" aria-label={`Approval ${nodeId}`}>
      <input type="hidden" name="nodeId" value={nodeId} />
      <p className="text-xs font-semibold tracking-wide text-amber-800 uppercase dark:text-amber-300">Waiting for approval · {nodeId}</p>
      <p className="text-base font-medium" data-testid="approval-message">
        {state.waiting?.message}
      </p>
      {state.waiting?.deadline && <p className="text-xs text-slate-600 dark:text-slate-400">Times out {formatTime(state.waiting.deadline)}</p>}
      {fields.map((field) =>
        field.type === 'boolean' ? (
          <label key={field.name} className="flex items-center gap-2 text-sm">
            <input type="checkbox" name={`field.boolean.${field.name}`} disabled={!enabled} className="h-4 w-4" />
            <input type="hidden" name="booleans" value={field.name} />
            {field.label ?? field.name}
          </label>
        ) : (
          <Field key={field.name} label={`${field.label ?? field.name}${field.required ? ' *' : ''}`} name={`field.${field.type}.${field.name}`} type={field.type === 'number' ? 'number' : 'text'} step="any" required={field.required} disabled={!enabled} error={errors[field.name]} />
        ),
      )}
      <div className="space-y-1">
        <label htmlFor={`comment-${nodeId}`} className="block text-sm font-medium">
          Comment
        </label>
        <Textarea id={`comment-${nodeId}`} name="comment" rows={2} className={cx(inputClass, 'font-sans')} disabled={!enabled} />
      </div>
      {problem && errors.form && <Alert>{errors.form}</Alert>}
      {enabled ? (
        <div className="flex gap-2">
          <Button type="submit" name="intent" value="approve" disabled={busy}>
            Approve
          </Button>
          <Button type="submit" name="intent" value="reject" variant="danger" disabled={busy}>
            Reject
          </Button>
        </div>
      ) : (
        <p className="text-xs text-slate-600">Viewers cannot decide approvals.</p>
      )}
    </Form>
  );
}
