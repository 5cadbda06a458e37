import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { User } from '../auth/entities.ts';
import { Team } from '../teams/entities.ts';

/**
 * An API key of one team. Only SHA-256 of the key is stored; `prefix` is what lists show. Revoked
 * when its creator leaves the team or loses the role that could create it (docs/decisions/024-api-key-lifetime.md).
 */
export const ApiKey = defineEntity({
  name: 'ApiKey',
  tableName: 'api_key',
  properties: {
    id: p.string().primary(),
    team: p.manyToOne(Team).mapToPk().deleteRule('cascade').index(),
    name: p.string(),
    prefix: p.string().length(16),
    keyHash: p.string().length(64).unique(),
    scopes: p.json<string[]>(),
    createdBy: p.manyToOne(User).mapToPk().deleteRule('set null').nullable(),
    createdAt: p.datetime(),
    lastUsedAt: p.datetime().nullable(),
    /** Null only for keys created before keys expired (they keep working until revoked). */
    expiresAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  },
});
export type ApiKey = InferEntity<typeof ApiKey>;
