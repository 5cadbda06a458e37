// MikroORM entities, defined with defineEntity (no decorators: Node's type stripping and
// esbuild emit no decorator metadata). Each area adds its entities here.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

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

export const entities = [RunRecord];
