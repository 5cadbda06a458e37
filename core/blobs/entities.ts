// The entity of the claim-check store: large node outputs kept out of Temporal history.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

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
