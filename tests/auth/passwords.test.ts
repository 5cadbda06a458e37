// @lane unit
// The password policy and hashing.
import { hashPassword, passwordProblems, verifyAgainstDummy, verifyPassword } from '../../core/auth/passwords.ts';

describe('passwords', () => {
  it('refuses short, common, monotonous and email-equal passwords', () => {
    expect(passwordProblems('short')).toEqual(['must be at least 12 characters long']);
    expect(passwordProblems('x'.repeat(257))[0]).toMatch(/at most 256/);
    expect(passwordProblems('Password1234')[0]).toMatch(/common/);
    expect(passwordProblems('QWERTYUIOP123')[0]).toMatch(/common/);
    expect(passwordProblems('abababababab')[0]).toMatch(/too few different/);
    expect(passwordProblems('ada@example.com', { email: 'Ada@Example.com' })[0]).toMatch(/email/);
    expect(passwordProblems('plum-orbit-cactus-7')).toEqual([]);
    // Length counts characters, not bytes.
    expect(passwordProblems('ééééééééééé')).toHaveLength(1);
    expect(passwordProblems('éàüöçñøåæßðþ')).toEqual([]);
  });

  it('hashes with argon2id (OWASP parameters) and verifies', async () => {
    const hash = await hashPassword('plum-orbit-cactus-7');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(hash, 'plum-orbit-cactus-7')).toBe(true);
    expect(await verifyPassword(hash, 'plum-orbit-cactus-8')).toBe(false);
    expect(await verifyPassword('not a hash', 'x')).toBe(false);
  });

  it('spends argon2 time for accounts without a password too (no timing oracle)', async () => {
    const hash = await hashPassword('plum-orbit-cactus-7');
    await verifyAgainstDummy('warm-up');
    const time = async (fn: () => Promise<unknown>) => {
      const samples = [];
      for (let i = 0; i < 5; i++) {
        const start = performance.now();
        await fn();
        samples.push(performance.now() - start);
      }
      return Math.min(...samples);
    };
    const real = await time(() => verifyPassword(hash, 'wrong-password-here'));
    const dummy = await time(() => verifyAgainstDummy('wrong-password-here'));
    expect(dummy).toBeGreaterThan(real * 0.5);
    expect(dummy).toBeLessThan(real * 2);
  });
});
