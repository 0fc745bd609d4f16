// curl as an independent HTTP client (its own Digest and Basic), and the
// small desk-phone fleet the curl tests provision: extension 1001 on a
// Yealink and a Polycom.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ExecutionContext } from 'ava';
import { extensionBody, startServer, tempDir, type TestServer } from './server.ts';

const run = promisify(execFile);

export const CURL_YEA = '805ec0123456';
export const CURL_POLY = '0004f2e765da';

export interface Curled {
  status: number;
  body: string;
  /** WWW-Authenticate lines of the last response. */
  challenges: string[];
}

/** One curl run against `url`; -o, -D and -w collect its last response. */
export async function curl(url: string, args: string[]): Promise<Curled> {
  const dir = tempDir('prov-curl-');
  const out = path.join(dir, 'body');
  const head = path.join(dir, 'head');
  try {
    const { stdout } = await run('/usr/bin/curl', ['-s', '-o', out, '-D', head, '-w', '%{http_code}', ...args, url]);
    const blocks = (fs.existsSync(head) ? fs.readFileSync(head, 'utf8') : '').split(/\r?\n\r?\n/).filter((b) => b.trim());
    const challenges = (blocks.at(-1) ?? '')
      .split(/\r?\n/)
      .filter((l) => /^www-authenticate:/i.test(l))
      .map((l) => l.slice(l.indexOf(':') + 1).trim());
    const body = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
    return { status: Number(stdout), body, challenges };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A server with extension 1001 (secret `secret`) on a Yealink and a Polycom line. */
export async function curlFleet(
  t: ExecutionContext,
  secret: string,
  env: Record<string, string>,
  clock?: () => Date,
): Promise<TestServer> {
  const s = await startServer({ env, clock });
  t.teardown(s.close);
  const must = async (p: Promise<{ status: number; text: string }>) => {
    const r = await p;
    if (r.status !== 201) throw new Error(r.text);
  };
  await must(s.api('POST', '/api/extensions', { body: extensionBody('1001', { secret }) }));
  for (const [mac, vendor] of [[CURL_YEA, 'yealink'], [CURL_POLY, 'polycom']]) {
    await must(s.api('POST', '/api/devices', { body: { mac, vendor, lines: [{ extension: '1001' }] } }));
  }
  return s;
}
