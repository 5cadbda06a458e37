// Blob storage for large values (claim check), in the app database by default.
import { randomUUID } from 'node:crypto';
import type { Orm } from '../db/orm.ts';
import { BlobRecord } from './entities.ts';
import { UserError } from '../errors.ts';
import type { BlobRef } from '../../workflows/interpreter/state.ts';
import { isBlobRef } from '../../workflows/interpreter/state.ts';

export interface BlobStore {
  put(owner: { teamId: string; runId: string }, value: unknown): Promise<BlobRef>;
  get(ref: BlobRef, teamId?: string): Promise<unknown>;
  /** The value itself when small, a reference when larger than the threshold. */
  claimCheck(owner: { teamId: string; runId: string }, value: unknown, thresholdBytes: number): Promise<unknown>;
}

export function createBlobStore(orm: Orm, options: { maxBytes: number }): BlobStore {
  const store: BlobStore = {
    async put(owner, value) {
      const content = JSON.stringify(value ?? null);
      const bytes = Buffer.byteLength(content);
      if (bytes > options.maxBytes) {
        throw new UserError(
          'value_too_large',
          `the value is ${formatBytes(bytes)}, above the ${formatBytes(options.maxBytes)} limit of blob storage (TRELLIS_BLOB_MAX_BYTES)`,
        );
      }
      const id = `blob_${randomUUID().replaceAll('-', '')}`;
      await orm.em.fork().insert(BlobRecord, { id, teamId: owner.teamId, runId: owner.runId, bytes, content, createdAt: new Date() });
      return { $trellisRef: 'blob', id, bytes };
    },
    async get(ref, teamId) {
      const row = await orm.em.fork().findOne(BlobRecord, teamId ? { id: ref.id, teamId } : { id: ref.id }, { populate: ['content'] });
      if (!row) throw new UserError('blob_not_found', `stored value ${ref.id} was not found`, { status: 404 });
      return JSON.parse(row.content) as unknown;
    },
    async claimCheck(owner, value, thresholdBytes) {
      if (isBlobRef(value)) return value;
      const bytes = Buffer.byteLength(JSON.stringify(value ?? null));
      return bytes > thresholdBytes ? store.put(owner, value) : value;
    },
  };
  return store;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
