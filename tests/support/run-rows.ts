// Run rows written straight into the database, for tests and benchmarks of what is read from it
// (lists, statistics, failures) without executing any workflow.
import { randomUUID } from 'node:crypto';
import { RunRecord } from '../../core/runs/entities.ts';
import { WorkflowDefinition, WorkflowVersion } from '../../core/workflows/entities.ts';
import type { Orm } from '../../core/db/orm.ts';
import { Membership } from '../../core/teams/entities.ts';

export interface RunRow {
  teamId: string;
  workflowId: string;
  status: string;
  startedAt: Date;
  endedAt?: Date | null;
  error?: string | null;
  errorNodeId?: string | null;
  errorCode?: string | null;
  trigger?: string;
  id?: string;
}

export function runRow(row: RunRow): Record<string, unknown> {
  const final = !['queued', 'running', 'waiting'].includes(row.status);
  return {
    id: row.id ?? `run_${randomUUID()}`, teamId: row.teamId, workflowId: row.workflowId, version: 1, trigger: row.trigger ?? 'api', status: row.status,
    startedAt: row.startedAt, endedAt: row.endedAt === undefined ? (final ? new Date(row.startedAt.getTime() + 1_000) : null) : row.endedAt,
    error: row.error ?? null, errorNodeId: row.errorNodeId ?? null, errorCode: row.errorCode ?? null,
    input: '{}', triggeredBy: 'test', aiTokens: 0, costUsd: 0, nodeExecutions: 0, priority: 3, dispatchedAt: row.startedAt,
  };
}

/** Inserts the runs in batches (one statement per batch); returns their ids. */
export async function insertRuns(orm: Orm, rows: RunRow[], batch = 500): Promise<string[]> {
  const values = rows.map(runRow);
  for (let i = 0; i < values.length; i += batch) {
    await orm.em.fork().insertMany(RunRecord, values.slice(i, i + batch) as never[]);
  }
  return values.map((v) => v.id as string);
}

/** A saved workflow row (with version 1), without going through graph validation. */
export async function insertWorkflow(orm: Orm, teamId: string, name: string, description: string | null = null): Promise<string> {
  const id = `wf_${randomUUID()}`;
  const now = new Date();
  const em = orm.em.fork();
  await em.insert(WorkflowDefinition, { id, teamId, name, description, latestVersion: 1, createdAt: now, updatedAt: now, deletedAt: null });
  await em.insert(WorkflowVersion, { workflowId: id, version: 1, graph: { nodes: [{ id: 'output', type: 'output', config: { value: '{{ input }}' } }], edges: [] }, createdAt: now, createdBy: 'test' });
  return id;
}

/** Makes the user a member of the team with this role (no invitation round trip). */
export async function addMember(orm: Orm, teamId: string, userId: string, role: 'owner' | 'admin' | 'editor' | 'viewer'): Promise<void> {
  await orm.em.fork().insert(Membership, { id: `mem_${randomUUID()}`, team: teamId, user: userId, role, createdAt: new Date() });
}
