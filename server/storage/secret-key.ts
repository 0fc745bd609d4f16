// Where the sealing key comes from: PROV_SECRET_KEY, or a key file generated
// on first start next to the database (mode 0600). Keeping the key outside
// the database file is what makes a stolen database file alone useless.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import type { Store } from './store.ts';

export const KEY_FILE = 'secret.key';
const KEY_CHECK = 'key-check';

export function loadSecretKey(configured: Buffer | null, dataDir: string): Buffer {
  if (configured) return configured;
  const file = path.join(dataDir, KEY_FILE);
  if (!fs.existsSync(file)) {
    fs.writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  }
  const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) {
    throw new ConfigError('PROV_SECRET_KEY', `is unset and the key file ${file} does not hold the base64 of 32 bytes`);
  }
  return key;
}

/**
 * The store keeps a value sealed with the first key it saw; starting with any
 * other key fails here, before a single secret is served or re-sealed wrongly.
 */
export async function checkSecretKey(store: Store, box: SecretBox): Promise<void> {
  const stored = await store.initMeta(KEY_CHECK, box.seal(KEY_CHECK, KEY_CHECK));
  try {
    box.open(stored, KEY_CHECK);
  } catch {
    throw new ConfigError('PROV_SECRET_KEY', 'is not the key this data directory was sealed with');
  }
}
