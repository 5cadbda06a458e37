// API keys: `trk_` + 160 random bits, shown once. Only SHA-256 of the key is stored (a key is
// random, so a fast hash suffices: no dictionary to try), with a visible prefix for lists. Every
// request looks the key up again, so a revocation is refused at the very next request.
import type { Orm } from '../db/orm.ts';
import { NotFoundError } from '../errors.ts';
import { afterCursor, NEWEST_FIRST, toPage, type Page, type PageQuery } from '../pagination.ts';
import type { Scope } from '../permissions.ts';
import { newId, randomSecret, sha256Hex } from '../auth/random.ts';
import { ApiKey } from './entities.ts';

export const API_KEY_PREFIX = 'trk_';
/** How stale `lastUsedAt` may get: writing it on every request would turn reads into writes. */
const LAST_USED_GRANULARITY_MS = 60_000;

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdBy: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface AuthenticatedKey {
  id: string;
  teamId: string;
  name: string;
  scopes: string[];
}

const view = (row: ApiKey): ApiKeyView => ({
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  scopes: row.scopes,
  createdBy: row.createdBy ?? null,
  createdAt: row.createdAt.toISOString(),
  lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
});

export function isApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

export type KeyService = ReturnType<typeof createKeyService>;

export function createKeyService(deps: { orm: Orm }) {
  const { orm } = deps;
  return {
    async create(teamId: string, createdBy: string | null, input: { name: string; scopes: Scope[] }): Promise<ApiKeyView & { key: string }> {
      const key = `${API_KEY_PREFIX}${randomSecret(20)}`;
      const em = orm.em.fork();
      const row = em.create(ApiKey, {
        id: newId('key'),
        team: teamId,
        name: input.name,
        prefix: key.slice(0, API_KEY_PREFIX.length + 8),
        keyHash: sha256Hex(key),
        scopes: [...new Set(input.scopes)].sort(),
        createdBy,
        createdAt: new Date(),
        lastUsedAt: null,
        revokedAt: null,
      });
      await em.flush();
      return { ...view(row), key };
    },

    async list(teamId: string, query: PageQuery): Promise<Page<ApiKeyView>> {
      const rows = await orm.em.fork().find(
        ApiKey,
        { $and: [{ team: teamId, revokedAt: null }, afterCursor(query.cursor)] },
        { orderBy: NEWEST_FIRST, limit: query.limit + 1 },
      );
      return toPage(rows, query.limit, view);
    },

    async revoke(teamId: string, keyId: string): Promise<void> {
      const updated = await orm.em.fork().nativeUpdate(ApiKey, { id: keyId, team: teamId, revokedAt: null }, { revokedAt: new Date() });
      if (updated === 0) throw new NotFoundError('API key');
    },

    /** The key's team and scopes, or null for an unknown or revoked key. */
    async authenticate(key: string): Promise<AuthenticatedKey | null> {
      if (!isApiKey(key) || key.length > 100) return null;
      const em = orm.em.fork();
      const row = await em.findOne(ApiKey, { keyHash: sha256Hex(key), revokedAt: null });
      if (!row) return null;
      const now = new Date();
      if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_GRANULARITY_MS) {
        await em.nativeUpdate(ApiKey, { id: row.id }, { lastUsedAt: now });
      }
      return { id: row.id, teamId: row.team, name: row.name, scopes: row.scopes };
    },
  };
}
