// An agent node's steps in the run view: a timeline of model turns (text, tokens, cost) and tool
// calls (tool, arguments, result, status), updated live from the node events' state. A call that
// needs approval is decided with the approval form the run view shows above (same endpoint).
import { agentTotals, formatUsd, orderedSteps, preview, stepBadgeStatus, stepHeading, stepStatusLabel, type AgentStep } from '../lib/agent-steps.ts';
import { Badge, formatDuration } from './ui.tsx';

/** `streaming`: the text streaming into the running model turn (shown under that turn). */
export function AgentSteps({ steps, streaming }: { steps: readonly AgentStep[]; streaming?: { step: number; text: string } | undefined }) {
  const ordered = orderedSteps(steps);
  const totals = agentTotals(ordered);
  return (
    <section aria-label="Agent steps">
      <h3 className="mb-1 font-semibold">Agent steps</h3>
      <p className="mb-2 text-xs text-slate-500 dark:text-slate-400" data-testid="agent-totals">
        {totals.modelTurns} model turn{totals.modelTurns === 1 ? '' : 's'} · {totals.toolCalls} tool call{totals.toolCalls === 1 ? '' : 's'} · {totals.tokens} tokens · {formatUsd(totals.costUsd)}
      </p>
      {ordered.length === 0 ? (
        <p className="text-xs text-slate-500">No steps yet.</p>
      ) : (
        <ol className="space-y-2 border-l-2 border-slate-200 pl-3 dark:border-slate-700">
          {ordered.map((step) => (
            <StepItem key={step.index} step={step} streaming={streaming?.step === step.index ? streaming.text : undefined} />
          ))}
        </ol>
      )}
    </section>
  );
}

function StepItem({ step, streaming }: { step: AgentStep; streaming?: string | undefined }) {
  const took = step.endedAt ? Date.parse(step.endedAt) - Date.parse(step.startedAt) : undefined;
  return (
    <li className="relative space-y-1 text-xs" data-testid={`agent-step-${step.index}`} data-kind={step.kind} data-status={step.status}>
      <span className="absolute top-1.5 -left-[1.15rem] h-2 w-2 rounded-full bg-slate-400 dark:bg-slate-500" aria-hidden />
      <div className="flex flex-wrap items-center gap-x-2 gap-y-1">
        <span className="font-medium">
          {step.index + 1}. {stepHeading(step)}
        </span>
        <Badge status={stepBadgeStatus(step)}>{stepStatusLabel(step)}</Badge>
        <span className="text-slate-500">
          {step.tokens !== undefined && `${step.tokens} tokens`}
          {step.costUsd !== undefined && ` · ${formatUsd(step.costUsd)}`}
          {took !== undefined && ` · ${formatDuration(took)}`}
        </span>
      </div>
      {step.kind === 'model' && step.text && <p className="rounded bg-slate-100 p-2 whitespace-pre-wrap dark:bg-slate-800">{preview(step.text)}</p>}
      {streaming && (
        <p className="rounded bg-slate-100 p-2 whitespace-pre-wrap dark:bg-slate-800" data-testid="agent-streaming">
          {streaming}
        </p>
      )}
      {step.kind === 'tool' && (
        <>
          <Value label="Arguments" value={step.arguments} />
          {step.result !== undefined && <Value label="Result" value={step.result} />}
        </>
      )}
      {step.error && <p className="text-red-700 dark:text-red-400">{step.error}</p>}
      {step.status === 'waiting' && <p className="text-amber-800 dark:text-amber-300">Approve or reject this call above.</p>}
    </li>
  );
}

function Value({ label, value }: { label: string; value: unknown }) {
  if (value === undefined) return null;
  return (
    <details open className="rounded bg-slate-100 dark:bg-slate-800">
      <summary className="cursor-pointer px-2 py-1 text-slate-600 dark:text-slate-300">{label}</summary>
      <pre className="max-h-48 overflow-auto px-2 pb-2 text-xs break-words whitespace-pre-wrap">{preview(value)}</pre>
    </details>
  );
}
