// The README's Quick start, run as a newcomer runs it: a fresh server
// process, then the shell blocks of the section pasted into bash in the
// folder that holds the server's data/, only the address changed to the test
// server's. Every command must succeed and print what the README says it
// does, so an edit that breaks a command (or the server behind it) fails here.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { ROOT, startProcess } from './helpers/process.ts';

const README_ADDRESS = 'localhost:8080';

/** The text of the README section `## <title>`, up to the next `## ` heading. */
function section(readme: string, title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${title}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The sections a newcomer runs in order, in the same terminal: the Quick start, then onboarding from a spreadsheet. */
const quickStartSection = (readme: string) => section(readme, 'Quick start') + section(readme, 'A whole office from a spreadsheet');

function shellBlocks(section: string): string[] {
  return [...section.matchAll(/^```(?:sh|bash)\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

// The block that installs and starts the server is what this test does
// itself; npm install in a copy of the repository would take minutes.
const startsServer = (block: string) => /\bnpm (install|start|ci)\b/.test(block);

/** A block's commands, one per entry: continuation lines joined, comments and blank lines left out. */
function commands(block: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const line of block.split('\n')) {
    if (!current && (line.trim() === '' || line.trim().startsWith('#'))) continue;
    current += (current ? '\n' : '') + line;
    if (!line.endsWith('\\')) {
      out.push(current);
      current = '';
    }
  }
  if (current) out.push(current);
  return out;
}

// Printed between commands, so each command's output can be told apart.
const MARK = (i: number) => `@@readme-command ${i}@@`;

function run(script: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', script], { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd, LC_ALL: 'C.UTF-8' }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

function json(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

interface Expectation {
  what: string;
  command: RegExp;
  check: (output: string, body: any) => boolean;
}

// What the README promises each of its commands prints.
const EXPECTED: Expectation[] = [
  { what: 'an extension is created', command: /-X POST \$API\/extensions\b(?!\/)/, check: (_, b) => typeof b?.number === 'string' && !('secret' in b) },
  { what: 'a device is created', command: /-X POST \$API\/devices\b(?!\/)/, check: (_, b) => /^[0-9a-f]{12}$/.test(b?.mac ?? '') && Array.isArray(b.lines) },
  {
    what: "the phone's claim-window fetch serves its account with the chosen secret",
    command: /\/prov\//,
    check: (out) => /^account\.1\.password = Chosen-Secret-1$/m.test(out) && /^account\.1\.user_name = 1001$/m.test(out),
  },
  { what: 'the device has fetched: synced', command: /\$API\/devices\/[0-9a-f]{12}$/, check: (_, b) => b?.status === 'synced' },
  { what: 'the secret is revealed', command: /\$API\/extensions\/[^/\s]+\/secret$/, check: (_, b) => b?.secret === 'Chosen-Secret-1' && b.version === 1 },
  {
    what: 'a new secret is generated and the fetched phone shows pending',
    command: /\/secret\/generate\b/,
    check: (_, b) =>
      b?.version === 2 && Array.isArray(b.devices) && b.devices.some((d: any) => d.mac === '805ec0123456' && d.status === 'pending'),
  },
  {
    what: 'the audit log holds the reveal and the change',
    command: /\$API\/audit\b/,
    check: (_, b) =>
      Array.isArray(b) && ['extension.created', 'device.created', 'secret.revealed', 'secret.changed'].every((a) => b.some((e: any) => e.action === a)),
  },
  { what: 'a viewer token is issued, shown once', command: /-X POST \$API\/tokens\b/, check: (_, b) => b?.role === 'viewer' && typeof b.token === 'string' },
  { what: 'a site is created', command: /-X POST \$API\/sites\b/, check: (_, b) => b?.name === 'berlin' && b.timeZone === 'Europe/Berlin' },
  { what: 'the dry run would create both rows and writes nothing', command: /import\?dryRun=true/, check: (_, b) => b?.dryRun === true && b.extensions.created === 2 && b.devices.created === 2 && b.errors.length === 0 },
  { what: 'the file is applied', command: /\$API\/import$/, check: (_, b) => b?.applied === true && b.extensions.created === 2 && b.devices.created === 2 },
  { what: 'the export holds the imported rows', command: /\$API\/export\.csv$/, check: (out) => /^2001,Empfang,/m.test(out.replace(/^\ufeff/, '')) && /805ec0aa0002/.test(out) },
];

test("the README's Quick start runs as written on a fresh server", async (t) => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = quickStartSection(readme);
  const blocks = shellBlocks(section);
  t.true(blocks.some(startsServer), 'the Quick start says how to install and start the server');
  const steps = blocks.filter((b) => !startsServer(b)).flatMap(commands);
  t.true(steps.length > 0, 'the Quick start has commands to run against the server');
  // Without the README's own address in the text, replacing it would leave
  // commands aimed at whatever else listens there.
  t.true(steps.join('\n').includes(README_ADDRESS), `the Quick start's commands use ${README_ADDRESS}`);

  // The folder a newcomer stands in: data/ is where `npm start` keeps its data.
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'prov-readme-'));
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const server = await startProcess({ PROV_DATA_DIR: path.join(home, 'data') });
  t.teardown(async () => void (await server.stop()));
  const port = new URL(server.url).port;

  const script = [
    'set -eo pipefail',
    ...steps.flatMap((c, i) => [`printf '\\n%s\\n' '${MARK(i)}'`, c.replaceAll(README_ADDRESS, `localhost:${port}`)]),
  ].join('\n');
  const result = await run(script, home);
  const outputs = steps.map((_, i) => {
    const from = result.stdout.indexOf(MARK(i));
    if (from < 0) return null;
    const next = result.stdout.indexOf(MARK(i + 1));
    return result.stdout.slice(from + MARK(i).length, next < 0 ? undefined : next).trim();
  });
  // With set -e, bash stops at the first command that fails: the last one it began.
  const reached = outputs.filter((o) => o !== null).length;
  t.is(result.code, 0, `bash stopped at: ${steps[reached - 1] ?? '?'}\n${result.stderr}\n${result.stdout}`);

  steps.forEach((command, i) => {
    const output = outputs[i] ?? '';
    if (!/\bcurl\b/.test(command)) {
      t.is(output, '', `${command}: prints nothing`);
      return;
    }
    const body = json(output);
    t.not(output, '', `${command}: answered`);
    t.false(body !== undefined && body !== null && typeof body === 'object' && 'error' in body, `${command}: refused with ${output}`);
    const expected = EXPECTED.find((e) => e.command.test(command));
    if (expected) t.true(expected.check(output, body), `${command}: ${expected.what}; printed ${output}`);
  });
  // Each promise is kept by some command: a README that drops a step fails here, not silently.
  for (const e of EXPECTED) t.true(steps.some((c) => /\bcurl\b/.test(c) && e.command.test(c)), `a Quick start command shows that ${e.what}`);
});
