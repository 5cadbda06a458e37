// Password hashing (argon2id, OWASP's parameters) and the password policy.
import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { UserError } from '../errors.ts';
import { COMMON_PASSWORDS } from './common-passwords.ts';
import { randomSecret } from './random.ts';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

const ARGON2ID: Algorithm = 2; // Algorithm.Argon2id (a const enum, which isolated modules cannot read)
// OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1.
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** What is wrong with a new password, or an empty list. Length is counted in code points. */
export function passwordProblems(password: string, context: { email?: string } = {}): string[] {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return [`must be at least ${PASSWORD_MIN_LENGTH} characters long`];
  if (length > PASSWORD_MAX_LENGTH) return [`must be at most ${PASSWORD_MAX_LENGTH} characters long`];
  const lowered = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lowered)) return ['is one of the most common passwords; choose another'];
  if (new Set(lowered).size < 4) return ['uses too few different characters'];
  if (context.email && lowered === context.email.toLowerCase()) return ['must not be your email address'];
  return [];
}

/** Throws a 400 `weak_password` naming the field when the policy refuses the password. */
export function assertPasswordAcceptable(password: string, context: { email?: string; field?: string } = {}): void {
  const problems = passwordProblems(password, context);
  if (problems.length) {
    throw new UserError('weak_password', `The password ${problems[0]}`, {
      problems: problems.map((message) => ({ path: context.field ?? 'password', message })),
    });
  }
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false; // a malformed stored hash is a failed check, never a 500
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Burns the same time as a real check for an account that does not exist or has no password, so
 * the answer time does not tell whether an email is registered.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomSecret());
  await verifyPassword(await dummyHash, password);
  return false;
}
