// @lane unit
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

  it('refuses a truncated authentication tag (GCM would otherwise check only its prefix)', () => {
    const vault = createVault(key());
    const sealed = vault.seal('x', 'team_a:cred_1');
    const [iv, tag, ciphertext] = sealed.secret.split('.');
    const full = Buffer.from(tag!, 'base64url');
    expect(full).toHaveLength(16);
    for (const bytes of [4, 8, 12, 15]) {
      const truncated = [iv, full.subarray(0, bytes).toString('base64url'), ciphertext].join('.');
      expect(() => vault.open({ ...sealed, secret: truncated }, 'team_a:cred_1')).toThrow('malformed');
    }
    expect(vault.open(sealed, 'team_a:cred_1')).toBe('x');
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
