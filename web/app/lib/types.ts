// Shapes of the API answers the web app reads (../shared/API.md). Node and run states come
// from the engine's own types so the run view and the API cannot drift apart.
import type { GraphInput } from '../../../workflows/graph/schema.ts';
import type { NodeState, RunState } from '../../../workflows/interpreter/state.ts';

export type { GraphInput, NodeState, RunState };
export type Role = 'owner' | 'admin' | 'editor' | 'viewer';

export interface User {
  id: string;
  email: string;
  name: string;
  avatarUrl: string | null;
  timezone: string | null;
  locale: string | null;
  emailVerified: boolean;
  hasPassword: boolean;
  createdAt: string;
}

export interface TeamView {
  id: string;
  name: string;
  plan: string;
  personal: boolean;
  role: Role;
  createdAt: string;
}

export interface Me {
  user: User;
  teams: TeamView[];
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface WorkflowSummary {
  id: string;
  name: string;
  description: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface WorkflowDetail extends WorkflowSummary {
  graph: GraphInput;
}

export interface RunSummary {
  runId: string;
  workflowId: string;
  version: number;
  status: string;
  trigger: string;
  startedAt: string;
  endedAt: string | null;
  error: string | null;
}

export interface RunDetail {
  runId: string;
  workflowId: string;
  version: number;
  status: RunState['status'];
  trigger: string;
  startedAt: string;
  endedAt?: string;
  input: unknown;
  output?: unknown;
  outputRef?: unknown;
  error?: { message: string; nodeId?: string };
  nodes: Record<string, NodeState>;
  usage: { aiTokens: number; costUsd: number };
}

/** What a role may do in the web app (the API enforces the same table; this only hides controls). */
export function canEdit(role: Role): boolean {
  return role !== 'viewer';
}
export function canAdmin(role: Role): boolean {
  return role === 'owner' || role === 'admin';
}

/** `/t/<teamId>` plus a path: every team page's URL. */
export function teamPath(teamId: string, path = ''): string {
  return `/t/${encodeURIComponent(teamId)}${path}`;
}
