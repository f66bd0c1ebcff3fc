import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Encrypts secrets at rest (API keys, supplier credentials) with AES-256-GCM under the
 * operator's KIOS_SECRET_KEY. Stored form: `v1.<iv>.<tag>.<ciphertext>` (base64url parts).
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(secret: string) {
    // Any string of enough entropy is accepted; SHA-256 turns it into a 32-byte key.
    if (secret.trim().length < 16) throw new Error('KIOS_SECRET_KEY must be at least 16 characters');
    this.#key = createHash('sha256').update(secret, 'utf8').digest();
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
  }

  decrypt(stored: string): string {
    const [v, iv, tag, ct] = stored.split('.');
    if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('unrecognised secret format');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** A value stored beside the data: a different key on another process is caught at start-up. */
  checkValue(): string {
    return createHmac('sha256', this.#key).update('kios:secret-key-check').digest('hex');
  }

  matchesCheckValue(stored: string): boolean {
    const a = Buffer.from(this.checkValue());
    const b = Buffer.from(stored);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

export const SECRET_KEY_FILE = 'secret.key';

/**
 * KIOS_SECRET_KEY when set; otherwise the key in `<dataDir>/secret.key`, generated (mode 0600)
 * on first start. Several processes over one PostgreSQL must share the same key: set it.
 */
export function loadSecretKey(configured: string | undefined, dataDir: string): { key: string; source: 'env' | 'file' | 'generated'; path?: string } {
  if (configured) return { key: configured, source: 'env' };
  const path = join(dataDir, SECRET_KEY_FILE);
  if (existsSync(path)) return { key: readFileSync(path, 'utf8').trim(), source: 'file', path };
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { key, source: 'generated', path };
}
