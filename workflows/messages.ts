// Signals, updates and queries of runGraph, defined once and shared by the workflow and the api.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { FINAL_RUN_STATUSES as FINAL } from '../contract/run-status.ts';
import type { RunState } from './interpreter/state.ts';

export const getRunState = defineQuery<RunState>('getRunState');

/** The statuses a run never leaves (its state then no longer changes). */
export const FINAL_RUN_STATUSES: ReadonlySet<string> = new Set<RunState['status']>(FINAL);

export interface DecideInput {
  nodeId: string;
  decision: 'approve' | 'reject';
  comment?: string;
  data?: Record<string, unknown>;
  /** Who decided (user id or key id), recorded in the node's output. */
  actor: string;
}
export interface DecideResult {
  nodeId: string;
  decision: 'approve' | 'reject';
  decidedAt: string;
}
/**
 * Why the decide validator refused an update: the ApplicationFailure's `type`, which the api maps to
 * an HTTP answer (core/runs/service.ts). Callers match on these codes, never on message text.
 */
export const DecideFailure = {
  NotDecidable: 'node_not_decidable',
  NotWaiting: 'node_not_waiting',
  InvalidDecision: 'invalid_decision',
  InvalidFormData: 'invalid_form_data',
} as const;
export type DecideFailure = (typeof DecideFailure)[keyof typeof DecideFailure];

/** Answers an approval node. Rejected (without a trace in history) when the node is not waiting. */
export const decide = defineUpdate<DecideResult, [DecideInput]>('decide');

/** Cancels one node (running, waiting or pending); the rest of the run goes on without it. */
export const cancelNode = defineSignal<[{ nodeId: string; actor?: string }]>('cancelNode');
