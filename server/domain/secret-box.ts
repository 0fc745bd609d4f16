// Sealing of secrets at rest: AES-256-GCM with a fresh 96-bit nonce per seal.
// The record's identity goes in as associated data, so a sealed secret copied
// onto another extension's row fails to open instead of leaking across.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';

export interface SecretBox {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
  /**
   * A keyed fingerprint of a plaintext in its context: equal for equal
   * plaintexts, so a stored value can be compared with a new one without
   * opening it, and of no use to anyone without the key (a file of known
   * shape cannot be matched against guessed secrets).
   */
  fingerprint(plaintext: string, context: string): string;
}

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new SecretBoxError('the secret key must be 32 bytes');
  const fingerprintKey = deriveKey(key, 'fingerprint');
  return {
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
    },
    open(sealed, context) {
      const [version, iv, tag, body] = sealed.split(':');
      if (version !== VERSION || !iv || !tag || body === undefined) {
        throw new SecretBoxError('sealed value has an unknown format');
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretBoxError('sealed value does not open with this key');
      }
    },
    fingerprint(plaintext, context) {
      // The context's length goes first, so no context and text pair runs into another.
      return createHmac('sha256', fingerprintKey).update(`${context.length}:${context}`, 'utf8').update(plaintext, 'utf8').digest('base64url');
    },
  };
}

/** A key for another purpose (e.g. signing nonces), derived so that it reveals nothing of the sealing key. */
export function deriveKey(key: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `sip-provisioning:${purpose}`, 32));
}

/**
 * What tells one sealed value from every other, without its body: the
 * version, the nonce and the tag. Every seal draws a fresh random 96-bit
 * nonce, so two seals never share this, and the tag binds it to its body.
 */
export function sealIdentity(sealed: string): string {
  const end = sealed.lastIndexOf(':');
  return end < 0 ? sealed : sealed.slice(0, end);
}
