// The entity of credentials: team secrets sealed by the vault.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A team secret used by nodes, sealed by the vault (core/credentials/vault.ts); never returned. */
export const CredentialRecord = defineEntity({
  name: 'CredentialRecord',
  tableName: 'credential',
  uniques: [{ properties: ['teamId', 'name'] }],
  properties: {
    id: p.string().primary(),
    teamId: p.string().index(),
    name: p.string(),
    type: p.string(),
    keyId: p.string(),
    secret: p.text(),
    /** Host patterns the secret may be sent to (core/credentials/hosts.ts); null: none set yet, refused by the http node. */
    allowedHosts: p.json<string[]>().nullable(),
    createdAt: p.datetime(),
    createdBy: p.string().nullable(),
  },
});
export type CredentialRecord = InferEntity<typeof CredentialRecord>;
