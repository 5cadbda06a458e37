// Search attributes every run carries, so runs can be listed per team/workflow in Temporal.
// The dev server registers them at start (infra/scripts); production registers them once.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const TeamIdKey = defineSearchAttributeKey('TeamId', SearchAttributeType.KEYWORD);
// "WorkflowId" is reserved by Temporal (the execution's own id), hence the prefix.
export const TrellisWorkflowIdKey = defineSearchAttributeKey('TrellisWorkflowId', SearchAttributeType.KEYWORD);
export const TriggerTypeKey = defineSearchAttributeKey('TriggerType', SearchAttributeType.KEYWORD);
export const GraphVersionKey = defineSearchAttributeKey('GraphVersion', SearchAttributeType.INT);

/** Names and types, for registering them on a server. */
export const SEARCH_ATTRIBUTES = {
  TeamId: 'Keyword',
  TrellisWorkflowId: 'Keyword',
  TriggerType: 'Keyword',
  GraphVersion: 'Int',
} as const;

/** The search attributes of a run, from its input: set when the run (or a child run) starts. */
export function runSearchAttributes(run: { teamId: string; workflowId: string; trigger: string; version: number }) {
  return [
    { key: TeamIdKey, value: run.teamId },
    { key: TrellisWorkflowIdKey, value: run.workflowId },
    { key: TriggerTypeKey, value: run.trigger },
    { key: GraphVersionKey, value: run.version },
  ];
}
