// The first way in: with no admin token configured and no console account,
// the first start writes a new admin token to a file only this user can
// read, and logs the file's path, never the token. Once a person can sign in
// to the console, the plaintext copy on disk goes.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

export const ADMIN_TOKEN_FILE = 'admin-token';

export async function writeFirstAdminToken(bootstrap: () => Promise<string | null>, dataDir: string, log: Logger): Promise<void> {
  const token = await bootstrap();
  if (!token) return;
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' });
  log.warn({ file }, 'created the first admin token; read it from this file, then keep it somewhere safe');
}

/** The token itself stays a valid API token (listed under Users and API tokens, where an admin can revoke it). */
export function removeFirstAdminToken(dataDir: string, log: Logger): void {
  fs.rmSync(path.join(dataDir, ADMIN_TOKEN_FILE), { force: true });
  log.info('the first console admin exists; removed the admin-token file');
}
