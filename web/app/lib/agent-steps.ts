// How the run view describes an agent node's steps (NodeState.agent.steps): headings, totals and
// the one line shown on the canvas node. Pure, so it is tested without a browser.
import type { AgentStep } from '../../../workflows/interpreter/state.ts';

export type { AgentStep };

/** Steps in the order they happened (events may replace one step while it runs). */
export function orderedSteps(steps: readonly AgentStep[] | undefined): AgentStep[] {
  return [...(steps ?? [])].sort((a, b) => a.index - b.index);
}

export function stepHeading(step: AgentStep): string {
  return step.kind === 'model' ? 'Model turn' : `Tool ${step.tool ?? '?'}`;
}

export function stepStatusLabel(step: AgentStep): string {
  if (step.status === 'waiting') return 'waiting for approval';
  if (step.status === 'running') return step.kind === 'model' ? 'thinking' : 'calling';
  return step.status;
}

/** The Badge colour of a step's status ('rejected' reads as a failure). */
export function stepBadgeStatus(step: AgentStep): string {
  return step.status === 'rejected' ? 'failed' : step.status;
}

export interface AgentTotals {
  modelTurns: number;
  toolCalls: number;
  tokens: number;
  costUsd: number;
}

export function agentTotals(steps: readonly AgentStep[]): AgentTotals {
  const totals: AgentTotals = { modelTurns: 0, toolCalls: 0, tokens: 0, costUsd: 0 };
  for (const step of steps) {
    if (step.kind === 'model') totals.modelTurns++;
    else totals.toolCalls++;
    totals.tokens += step.tokens ?? 0;
    totals.costUsd += step.costUsd ?? 0;
  }
  return totals;
}

/** Dollars with enough digits that a fraction of a cent does not show as $0.0000. */
export function formatUsd(usd: number): string {
  return `$${usd.toFixed(usd > 0 && usd < 0.01 ? 6 : 4)}`;
}

/**
 * The canvas line of an agent node: what it is doing now. Undefined while a model turn runs, so
 * the streamed tokens show instead.
 */
/** Text streamed for a node: an agent's carries the model turn it belongs to. */
export interface StreamedText {
  text: string;
  step?: number;
}

/** Adds a token event's text: a new agent turn starts its own text. */
export function appendStreamed(current: StreamedText | undefined, event: { text: string; step?: number }): StreamedText {
  const same = current !== undefined && current.step === event.step;
  return { text: (same ? current.text : '') + event.text, ...(event.step === undefined ? {} : { step: event.step }) };
}

/** The text streaming into an agent's running model turn, if that is what the agent is doing now. */
export function streamingTurnText(steps: readonly AgentStep[] | undefined, streamed: StreamedText | undefined): { step: number; text: string } | undefined {
  const last = orderedSteps(steps).at(-1);
  if (!last || last.kind !== 'model' || last.status !== 'running' || !streamed?.text || streamed.step !== last.index) return undefined;
  return { step: last.index, text: streamed.text };
}

export function agentActivity(steps: readonly AgentStep[] | undefined): string | undefined {
  const last = orderedSteps(steps).at(-1);
  if (!last) return undefined;
  const turn = `step ${last.index + 1}`;
  if (last.kind === 'model') return last.status === 'running' ? undefined : last.status === 'failed' ? `${turn}: model failed` : `${turn}: answered`;
  const tool = last.tool ?? 'a tool';
  switch (last.status) {
    case 'running':
      return `${turn}: calling ${tool}`;
    case 'waiting':
      return `${turn}: ${tool} needs approval`;
    case 'rejected':
      return `${turn}: ${tool} rejected`;
    case 'failed':
      return `${turn}: ${tool} failed`;
    default:
      return `${turn}: ${tool} done`;
  }
}

/** A value as the timeline shows it: JSON, cut at `limit` characters. */
export function preview(value: unknown, limit = 4_000): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? String(value));
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}
