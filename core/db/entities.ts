// MikroORM entities, defined with defineEntity (no decorators: Node's type stripping and
// esbuild emit no decorator metadata). Each area adds its entities here.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { identityEntities } from './identity-entities.ts';

/** The database mirror of a run's summary, written by activities at start and end. */
export const RunRecord = defineEntity({
  name: 'RunRecord',
  tableName: 'run',
  properties: {
    id: p.string().primary(),
    teamId: p.string().index(),
    workflowId: p.string().index(),
    version: p.integer(),
    trigger: p.string(),
    status: p.string(),
    startedAt: p.datetime(),
    endedAt: p.datetime().nullable(),
    error: p.text().nullable(),
  },
});
export type RunRecord = InferEntity<typeof RunRecord>;


/** A large value kept out of Temporal history (claim check): node outputs above the threshold. */
export const BlobRecord = defineEntity({
  name: 'BlobRecord',
  tableName: 'blob',
  properties: {
    id: p.string().primary(),
    teamId: p.string().index(),
    runId: p.string().index(),
    bytes: p.integer(),
    /** The value as JSON text. */
    content: p.text().lazy(),
    createdAt: p.datetime(),
  },
});
export type BlobRecord = InferEntity<typeof BlobRecord>;

/** A saved workflow; its graphs live in immutable versions. */
export const WorkflowDefinition = defineEntity({
  name: 'WorkflowDefinition',
  tableName: 'workflow',
  properties: {
    id: p.string().primary(),
    teamId: p.string().index(),
    name: p.string(),
    description: p.text().nullable(),
    latestVersion: p.integer(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    deletedAt: p.datetime().nullable(),
  },
});
export type WorkflowDefinition = InferEntity<typeof WorkflowDefinition>;

export const WorkflowVersion = defineEntity({
  name: 'WorkflowVersion',
  tableName: 'workflow_version',
  properties: {
    workflowId: p.string().primary(),
    version: p.integer().primary(),
    graph: p.json<unknown>(),
    createdAt: p.datetime(),
    createdBy: p.string().nullable(),
  },
});
export type WorkflowVersion = InferEntity<typeof WorkflowVersion>;

export const entities = [RunRecord, BlobRecord, WorkflowDefinition, WorkflowVersion, ...identityEntities];
