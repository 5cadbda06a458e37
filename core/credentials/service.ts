// Team credentials: sealed by the vault at rest, never returned by any endpoint, opened only
// inside activities (by id, within the run's team). HTTP credentials are bound to the hosts they
// may be sent to (core/credentials/hosts.ts, docs/decisions/021-credential-hosts.md): set when
// created, changed only by a team admin.
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Orm } from '../db/orm.ts';
import { CredentialRecord } from './entities.ts';
import { NotFoundError, UserError } from '../errors.ts';
import { newId } from '../ids.ts';
import { parseAllowedHosts } from './hosts.ts';
import type { CredentialStore } from './store.ts';
import type { Vault } from './vault.ts';

// What each credential type holds and the request shapes are part of the wire contract.
export { CredentialData, CreateCredential, UpdateCredentialHosts, type CredentialType } from '../../contract/platform.ts';
import { CredentialData, type CreateCredential, type CredentialType, type UpdateCredentialHosts } from '../../contract/platform.ts';
import type { Credential as WireCredential } from '../../contract/index.ts';

/** Types whose secret goes to a URL a graph names, and so must name the hosts it may go to. */
const HOST_BOUND_TYPES: readonly CredentialType[] = ['http_header', 'http_basic', 'http_bearer'];

/** The wire shape (contract/): what the api answers with. */
export type CredentialSummary = WireCredential;

const summary = (row: CredentialRecord): CredentialSummary => ({
  // The column holds only CreateCredential's types.
  id: row.id, name: row.name, type: row.type as CredentialType, allowedHosts: row.allowedHosts ?? null, createdAt: row.createdAt.toISOString(),
});

/** Canonical host patterns for a credential of `type`; 400 naming each bad entry. */
function requireAllowedHosts(type: CredentialType, entries: readonly string[] | undefined): string[] | null {
  if (!HOST_BOUND_TYPES.includes(type)) {
    if (entries?.length) {
      throw new UserError('invalid_request', `A ${type} credential is sent only to its own base URL: leave allowedHosts out`, {
        problems: [{ path: 'allowedHosts', message: `not used by ${type} credentials` }],
      });
    }
    return null;
  }
  const { patterns, problems } = parseAllowedHosts(entries ?? []);
  if (problems.length === 0 && patterns.length === 0) problems.push({ path: 'allowedHosts', message: 'name at least one host this credential may be sent to (e.g. api.example.com)' });
  if (problems.length > 0) throw new UserError('invalid_request', `The allowed hosts of a ${type} credential are invalid`, { problems });
  return patterns;
}
const context = (row: { teamId: string; id: string }) => `${row.teamId}:${row.id}`;

export type CredentialService = ReturnType<typeof createCredentialService>;

export function createCredentialService(deps: { orm: Orm; vault: Vault }) {
  const { orm, vault } = deps;
  const store: CredentialStore = {
    async get(teamId, credentialId) {
      const row = await orm.em.fork().findOne(CredentialRecord, { id: credentialId, teamId });
      if (!row) return undefined;
      const data = JSON.parse(vault.open({ keyId: row.keyId, secret: row.secret }, context(row))) as Record<string, string>;
      return { type: row.type as CredentialType, data, allowedHosts: row.allowedHosts ?? null };
    },
  };
  return {
    /** For activities: opens a credential of the run's team. */
    store,

    async create(teamId: string, actor: string, input: CreateCredential): Promise<CredentialSummary> {
      const parsed = CredentialData[input.type].safeParse(input.data);
      if (!parsed.success) {
        throw new UserError('invalid_request', `The data of a ${input.type} credential is invalid`, {
          problems: parsed.error.issues.map((i) => ({ path: ['data', ...i.path].join('.'), message: i.message })),
        });
      }
      const allowedHosts = requireAllowedHosts(input.type, input.allowedHosts);
      const id = newId('cred');
      const sealed = vault.seal(JSON.stringify(parsed.data), context({ teamId, id }));
      const em = orm.em.fork();
      const row = em.create(CredentialRecord, { id, teamId, name: input.name, type: input.type, keyId: sealed.keyId, secret: sealed.secret, allowedHosts, createdAt: new Date(), createdBy: actor });
      try {
        await em.flush();
      } catch (error) {
        if (error instanceof UniqueConstraintViolationException) throw new UserError('conflict', `A credential named "${input.name}" exists already`, { status: 409 });
        throw error;
      }
      return summary(row);
    },

    async list(teamId: string): Promise<CredentialSummary[]> {
      const rows = await orm.em.fork().find(CredentialRecord, { teamId }, { orderBy: { createdAt: 'desc' } });
      return rows.map(summary);
    },

    /** Replaces the hosts an http credential may be sent to (a team admin's decision: the route requires credentials:hosts). */
    async setAllowedHosts(teamId: string, id: string, input: UpdateCredentialHosts): Promise<CredentialSummary> {
      const em = orm.em.fork();
      const row = await em.findOne(CredentialRecord, { id, teamId });
      if (!row) throw new NotFoundError('Credential');
      row.allowedHosts = requireAllowedHosts(row.type as CredentialType, input.allowedHosts);
      await em.flush();
      return summary(row);
    },

    async delete(teamId: string, id: string): Promise<void> {
      const deleted = await orm.em.fork().nativeDelete(CredentialRecord, { id, teamId });
      if (deleted === 0) throw new NotFoundError('Credential');
    },

    /** Re-seals every secret sealed with an older key (after rotating TRELLIS_SECRET_KEY). */
    async reseal(): Promise<number> {
      const em = orm.em.fork();
      const rows = await em.find(CredentialRecord, { keyId: { $ne: vault.currentKeyId } });
      for (const row of rows) {
        const sealed = vault.seal(vault.open({ keyId: row.keyId, secret: row.secret }, context(row)), context(row));
        row.keyId = sealed.keyId;
        row.secret = sealed.secret;
      }
      await em.flush();
      return rows.length;
    },
  };
}
