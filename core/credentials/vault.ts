// The credentials vault: AES-256-GCM with keys from configuration. Every secret records the id
// of the key that sealed it, so the key can rotate: a new TRELLIS_SECRET_KEY seals new secrets,
// keys listed in TRELLIS_SECRET_KEYS_PREVIOUS still open old ones, and `reseal` moves old
// secrets to the current key. The row's team and id are bound in as associated data, so a
// sealed secret copied to another row or team does not open.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { OperationalError } from '../errors.ts';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface VaultKey {
  id: string;
  key: Buffer;
}

export interface Sealed {
  keyId: string;
  /** base64url(iv).base64url(tag).base64url(ciphertext) */
  secret: string;
}

export function vaultKey(base64: string): VaultKey {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new Error('a vault key must be 32 bytes (base64)');
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 12), key };
}

export interface Vault {
  currentKeyId: string;
  seal(plaintext: string, context: string): Sealed;
  open(sealed: Sealed, context: string): string;
}

export function createVault(current: string, previous: string[] = []): Vault {
  const primary = vaultKey(current);
  const keys = new Map([primary, ...previous.map(vaultKey)].map((k) => [k.id, k.key]));
  return {
    currentKeyId: primary.id,
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', primary.key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(context));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return { keyId: primary.id, secret: [iv, tag, ciphertext].map((b) => b.toString('base64url')).join('.') };
    },
    open(sealed, context) {
      const key = keys.get(sealed.keyId);
      if (!key) {
        throw new OperationalError('vault_key_missing', `the key ${sealed.keyId} that sealed this secret is not configured (TRELLIS_SECRET_KEYS_PREVIOUS)`, { status: 500 });
      }
      const [iv, tag, ciphertext] = sealed.secret.split('.').map((part) => Buffer.from(part, 'base64url'));
      // GCM accepts any prefix of the tag unless told its length: a 4-byte tag is forged in 2^32 tries.
      if (!iv || iv.length !== IV_BYTES || tag?.length !== TAG_BYTES || !ciphertext) {
        throw new OperationalError('vault_corrupt', 'a sealed secret is malformed', { status: 500 });
      }
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
      } catch {
        throw new OperationalError('vault_corrupt', 'a sealed secret does not open: it was altered or moved', { status: 500 });
      }
    },
  };
}
