// Comparing rendered files with the committed golden files under
// test/render/golden/, byte for byte, and regenerating them on request
// (UPDATE_GOLDEN=1, never in CI: it would bless any output).
import fs from 'node:fs';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { ROOT } from './fixtures.ts';

export const GOLDEN = path.join(ROOT, 'test/render/golden');
export const UPDATE = process.env.UPDATE_GOLDEN === '1';

const committedFiles = (dir: string) =>
  fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => !f.startsWith('.')).sort() : [];

/** Where two buffers first differ, shown as hex around that byte. */
function firstDifference(got: Buffer, want: Buffer): string {
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i++;
  const around = (b: Buffer) => b.subarray(Math.max(0, i - 8), i + 8).toString('hex');
  return `first difference at byte ${i} (rendered ${got.length} bytes, golden ${want.length}): ${around(got)} vs ${around(want)}`;
}

/** Asserts the folder holds exactly these files with exactly these bytes (rewriting it first under UPDATE_GOLDEN). */
export function matchGolden(t: ExecutionContext, folder: string, rendered: Map<string, Buffer>): void {
  const dir = path.join(GOLDEN, folder);
  if (UPDATE) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, bytes] of rendered) fs.writeFileSync(path.join(dir, name), bytes);
    t.log(`rewrote ${rendered.size} files in ${path.relative(ROOT, dir)}`);
  }
  t.deepEqual(committedFiles(dir), [...rendered.keys()].sort(), 'the set of files differs from the golden folder');
  for (const [name, bytes] of rendered) {
    const where = path.join(dir, name);
    if (!fs.existsSync(where)) continue;
    const want = fs.readFileSync(where);
    if (bytes.equals(want)) continue;
    // Text first, so a plain-text change shows as a readable diff.
    t.is(bytes.toString('utf8'), want.toString('utf8'), `${folder}/${name} differs from its golden file`);
    t.fail(`${folder}/${name}: ${firstDifference(bytes, want)}`);
  }
  t.pass();
}
