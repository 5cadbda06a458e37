// API keys: `trk_` + 160 random bits, shown once. Only SHA-256 of the key is stored (a key is
// random, so a fast hash suffices: no dictionary to try), with a visible prefix for lists. Every
// request looks the key up again, so a revocation or an expiry is refused at the very next request.
// Every key expires (90 days unless asked, at most 365); see docs/decisions/024-api-key-lifetime.md.
import type { EntityManager } from '@mikro-orm/core';
import type { Orm } from '../db/orm.ts';
import { NotFoundError, UnauthorizedError, UserError } from '../errors.ts';
import { afterCursor, NEWEST_FIRST, toPage, type Page, type PageQuery } from '../pagination.ts';
import type { Scope } from '../permissions.ts';
import { newId, randomSecret, sha256Hex } from '../auth/random.ts';
import { ApiKey } from './entities.ts';
import type { CurrentApiKey, ApiKey as WireApiKey } from '../../contract/index.ts';
import { Team } from '../teams/entities.ts';

export const API_KEY_PREFIX = 'trk_';
/** How stale `lastUsedAt` may get: writing it on every request would turn reads into writes. */
const LAST_USED_GRANULARITY_MS = 60_000;
const DAY_MS = 24 * 60 * 60 * 1000;
export const API_KEY_DEFAULT_DAYS = 90;
export const API_KEY_MAX_DAYS = 365;

/** The wire shape (contract/): what the api answers with. */
export type ApiKeyView = WireApiKey;

export interface AuthenticatedKey {
  id: string;
  teamId: string;
  name: string;
  scopes: string[];
}

const view = (row: ApiKey, now = new Date()): ApiKeyView => ({
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  scopes: row.scopes as Scope[], // stored only after CreateApiKeyRequest accepted them
  createdBy: row.createdBy ?? null,
  createdAt: row.createdAt.toISOString(),
  lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  expiresAt: row.expiresAt?.toISOString() ?? null,
  expired: row.expiresAt ? row.expiresAt.getTime() <= now.getTime() : false,
});

/** When a key asked to expire at `requested` (or by default) expires; 400 `invalid_expiry` outside (now, now + max]. */
export function keyExpiry(requested: Date | undefined, now = new Date()): Date {
  if (!requested) return new Date(now.getTime() + API_KEY_DEFAULT_DAYS * DAY_MS);
  const latest = now.getTime() + API_KEY_MAX_DAYS * DAY_MS;
  if (requested.getTime() <= now.getTime() || requested.getTime() > latest) {
    throw new UserError('invalid_expiry', `An API key expires in the future, at most ${API_KEY_MAX_DAYS} days from now`, {
      problems: [{ path: 'expiresAt', message: `must be after now and at most ${API_KEY_MAX_DAYS} days ahead (${new Date(latest).toISOString()})` }],
    });
  }
  return requested;
}

/** Revokes the keys a member created in a team (they left it, or lost the role that could create keys). */
export async function revokeKeysCreatedBy(em: EntityManager, teamId: string, userId: string, now = new Date()): Promise<number> {
  return em.nativeUpdate(ApiKey, { team: teamId, createdBy: userId, revokedAt: null }, { revokedAt: now });
}

export function isApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

export type KeyService = ReturnType<typeof createKeyService>;

export function createKeyService(deps: { orm: Orm }) {
  const { orm } = deps;
  return {
    async create(teamId: string, createdBy: string | null, input: { name: string; scopes: Scope[]; expiresAt?: Date | undefined }): Promise<ApiKeyView & { key: string }> {
      const now = new Date();
      const expiresAt = keyExpiry(input.expiresAt, now);
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
        createdAt: now,
        lastUsedAt: null,
        expiresAt,
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
      const now = new Date();
      return toPage(rows, query.limit, (row) => view(row, now));
    },

    async revoke(teamId: string, keyId: string): Promise<void> {
      const updated = await orm.em.fork().nativeUpdate(ApiKey, { id: keyId, team: teamId, revokedAt: null }, { revokedAt: new Date() });
      if (updated === 0) throw new NotFoundError('API key');
    },

    /** An authenticated key as the api shows it, with its team's id and name. */
    async current(key: AuthenticatedKey): Promise<CurrentApiKey> {
      const em = orm.em.fork();
      const [row, team] = await Promise.all([em.findOne(ApiKey, { id: key.id, revokedAt: null }), em.findOne(Team, { id: key.teamId })]);
      if (!row || !team) throw new NotFoundError('API key'); // revoked or deleted since this request authenticated
      return { ...view(row), team: { id: team.id, name: team.name } };
    },

    /** The key's team and scopes, or null for an unknown or revoked key; 401 `api_key_expired` for an expired one. */
    async authenticate(key: string): Promise<AuthenticatedKey | null> {
      if (!isApiKey(key) || key.length > 100) return null;
      const em = orm.em.fork();
      const row = await em.findOne(ApiKey, { keyHash: sha256Hex(key), revokedAt: null });
      if (!row) return null;
      const now = new Date();
      if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) {
        throw new UnauthorizedError(`This API key expired at ${row.expiresAt.toISOString()}; an admin of the team can create a new one`, 'api_key_expired');
      }
      if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_GRANULARITY_MS) {
        await em.nativeUpdate(ApiKey, { id: row.id }, { lastUsedAt: now });
      }
      return { id: row.id, teamId: row.team, name: row.name, scopes: row.scopes };
    },
  };
}
