// Random identifiers and secrets, and the hashes we store instead of secrets.
import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';

/** `bytes` random bytes from the CSPRNG, base32 (lowercase, no padding): 20 bytes = 160 bits = 32 chars. */
export function randomSecret(bytes = 20): string {
  const buffer = new Uint8Array(bytes);
  crypto.getRandomValues(buffer);
  return encodeBase32LowerCaseNoPadding(buffer);
}

// Row ids: core/ids.ts (re-exported for the identity services that import them from here).
export { newId } from '../ids.ts';

/** Hex SHA-256 of a high-entropy secret (tokens and keys; passwords use argon2id). */
export function sha256Hex(value: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(value)));
}
