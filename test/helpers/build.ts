// One build of the server, for tests that run several server processes from
// one installation: `npm run build` itself, into a folder of this test
// process's own (PROV_BUILD_DIR) so that no other test's build or `npm start`
// can touch it, beside links to what the bundle reads next to itself.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './process.ts';
import { tempDir } from './server.ts';

let built: string | null = null;

const buildInto = (main: string) => ['npm', ['run', '--silent', 'build'], { cwd: ROOT, env: { ...process.env, PROV_BUILD_DIR: path.dirname(main) } }] as const;

/** The built main.mjs, made once per test process. */
export function buildServer(): string {
  if (built) return built;
  const install = tempDir('prov-build-');
  // server/root.ts: the installation is the folder above the bundle's.
  for (const name of ['templates', 'vendor-profiles', 'server', 'node_modules']) fs.symlinkSync(path.join(ROOT, name), path.join(install, name));
  const main = path.join(install, 'dist', 'main.mjs');
  execFileSync(...buildInto(main));
  built = main;
  return built;
}

/** `npm run build` again over the build that `main` belongs to, as a second `npm start` from one folder does. */
export async function rebuild(main: string): Promise<void> {
  await promisify(execFile)(...buildInto(main));
}
