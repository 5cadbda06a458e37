import { join } from 'node:path';
import { createBlobStore } from '../../core/blobs/store.ts';
import { createOrm, migrate, type Orm } from '../../core/db/orm.ts';
import { UserError } from '../../core/errors.ts';
import { tempDir } from '../support/env.ts';

describe('blob store', () => {
  let orm: Orm;
  beforeAll(async () => {
    orm = await createOrm(`sqlite:${join(tempDir('db'), 'app.sqlite')}`);
    await migrate(orm);
  });
  afterAll(() => orm.close());

  const owner = { teamId: 'team_a', runId: 'run_1' };

  it('keeps small values inline and stores large ones behind a reference', async () => {
    const blobs = createBlobStore(orm, { maxBytes: 1_000_000 });
    expect(await blobs.claimCheck(owner, { small: true }, 100)).toEqual({ small: true });
    const big = { text: 'z'.repeat(500) };
    const ref = await blobs.claimCheck(owner, big, 100);
    expect(ref).toMatchObject({ $trellisRef: 'blob', bytes: JSON.stringify(big).length });
    expect(await blobs.get(ref as never)).toEqual(big);
  });

  it('reads a blob only inside its team', async () => {
    const blobs = createBlobStore(orm, { maxBytes: 1_000_000 });
    const ref = await blobs.put(owner, [1, 2, 3]);
    expect(await blobs.get(ref, 'team_a')).toEqual([1, 2, 3]);
    await expect(blobs.get(ref, 'team_b')).rejects.toThrow(/was not found/);
  });

  it('refuses a value above the storage limit with both sizes in the message', async () => {
    const blobs = createBlobStore(orm, { maxBytes: 2_048 });
    const error = await blobs.put(owner, 'w'.repeat(10_000)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe('the value is 9.8 KiB, above the 2.0 KiB limit of blob storage (TRELLIS_BLOB_MAX_BYTES)');
  });
});
