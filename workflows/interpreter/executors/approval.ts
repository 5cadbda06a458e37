import { condition, patched } from '@temporalio/workflow';
import { MAX_DURATION_MS, durationMs } from '../../graph/durations.ts';
import type { DecideInput } from '../../messages.ts';
import type { NodeState } from '../state.ts';
import { APPROVAL_NOTIFY_PATCH, bounded, notify, render, type Executor } from '../node-runtime.ts';

export const approval: Executor<'approval'> = async (node, execution, runtime) => {
  const state = execution.nodes[node.id] as NodeState;
  state.attempts = 1;
  const message = String(await render(execution, runtime, 'template', node.config.message));
  const timeoutMs = node.config.timeout ? bounded(durationMs(node.config.timeout), MAX_DURATION_MS) : undefined;
  const key = execution.pathOf(node.id);
  state.status = 'waiting';
  state.waiting = {
    message,
    form: node.config.form,
    deadline: timeoutMs === undefined ? undefined : new Date(Date.now() + timeoutMs).toISOString(),
  };
  execution.reportChange(node.id);
  if (patched(APPROVAL_NOTIFY_PATCH)) {
    // Started, not awaited: the approval waits (and may be answered) whatever becomes of the notification.
    const notice = { teamId: runtime.args.teamId, workflowId: runtime.args.workflowId, runId: runtime.runId, nodeId: key, message: message.slice(0, 2_000) };
    notify.notifyApprovalWaiting(notice).catch(() => undefined);
  }
  const decided = timeoutMs === undefined
    ? (await condition(() => runtime.decisions.has(key)), true)
    : await condition(() => runtime.decisions.has(key), timeoutMs);
  state.status = 'running';
  state.waiting = undefined;
  execution.reportChange(node.id);
  if (!decided) return { output: { decision: 'timed_out', message }, ports: ['timed_out'] };
  const d = runtime.decisions.get(key) as DecideInput & { decidedAt: string };
  return {
    output: { decision: d.decision, comment: d.comment ?? null, data: d.data ?? {}, actor: d.actor, decidedAt: d.decidedAt, message },
    ports: [d.decision === 'approve' ? 'approved' : 'rejected'],
  };
};
