import { randomBytes } from 'node:crypto';
import { createVault } from '../../core/credentials/vault.ts';

const key = () => randomBytes(32).toString('base64');

describe('vault', () => {
  it('seals and opens, with a fresh IV each time', () => {
    const vault = createVault(key());
    const a = vault.seal('{"token":"s3cret"}', 'team_a:cred_1');
    const b = vault.seal('{"token":"s3cret"}', 'team_a:cred_1');
    expect(a.secret).not.toBe(b.secret);
    expect(a.secret).not.toContain('s3cret');
    expect(vault.open(a, 'team_a:cred_1')).toBe('{"token":"s3cret"}');
  });

  it('refuses a secret moved to another row or team, or altered', () => {
    const vault = createVault(key());
    const sealed = vault.seal('x', 'team_a:cred_1');
    expect(() => vault.open(sealed, 'team_b:cred_1')).toThrow('it was altered or moved');
    const parts = sealed.secret.split('.');
    const flipped = Buffer.from(parts[2]!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => vault.open({ ...sealed, secret: [parts[0], parts[1], flipped.toString('base64url')].join('.') }, 'team_a:cred_1')).toThrow('altered or moved');
  });

  it('rotates: old secrets open with a previous key, new ones use the current key', () => {
    const oldKey = key();
    const before = createVault(oldKey).seal('v', 'ctx');
    const rotated = createVault(key(), [oldKey]);
    expect(rotated.open(before, 'ctx')).toBe('v');
    expect(rotated.seal('w', 'ctx').keyId).toBe(rotated.currentKeyId);
    expect(rotated.currentKeyId).not.toBe(before.keyId);
    expect(() => createVault(key()).open(before, 'ctx')).toThrow(/not configured/);
  });
});
