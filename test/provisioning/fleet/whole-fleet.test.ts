// Whole-fleet work runs a page of owners at a time (PAGE of them): a template
// reload over more devices than one page first proves every page renders and
// changes nothing when one file on the last page does not; once it renders,
// every device is stored exactly once, on every page.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { PAGE } from '../../../server/provisioning/fleet/rerender.ts';
import { ROOT } from '../../helpers/process.ts';
import { extensionBody, startServer, tempDir, type TestServer } from '../../helpers/server.ts';

const COUNT = PAGE + 12;
const macs = Array.from({ length: COUNT }, (_, i) => `805ec0${(0x100000 + i).toString(16)}`);
const LAST = macs.at(-1)!;
const MARK = '## reloaded templates';

async function must(p: Promise<{ status: number; text: string }>, status: number) {
  const r = await p;
  if (r.status !== status) throw new Error(`setup: ${r.status} ${r.text}`);
}

const cfg = async (s: TestServer, mac: string) => (await s.api('GET', `/api/devices/${mac}/files/${mac}.cfg`)).text;

function writeTemplate(dir: string, name: string, text: string) {
  fs.mkdirSync(path.join(dir, 'yealink'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'yealink', name), text);
}

test(`a reload over ${COUNT} devices (more than one page): refused whole for one bad file on the last page, then stored once for every device`, async (t) => {
  const templates = tempDir();
  const s = await startServer({ env: { PROV_TEMPLATES_DIR: templates, PROV_SWEEP_MINUTES: '0' } });
  t.teardown(s.close);
  await must(s.api('POST', '/api/extensions', { body: extensionBody('1001') }), 201);
  for (let i = 0; i < COUNT; i += 8) {
    await Promise.all(
      macs.slice(i, i + 8).map((mac) =>
        // The last device is the only T54W: its model's template is the one that breaks.
        must(s.api('POST', '/api/devices', { body: { mac, vendor: 'yealink', model: mac === LAST ? 'T54W' : 'T46S', lines: [{ extension: '1001' }] } }), 201),
      ),
    );
  }
  const [first, middle] = [macs[0]!, macs[PAGE - 1]!];
  const before = { first: await cfg(s, first), last: await cfg(s, LAST) };

  const builtin = fs.readFileSync(path.join(ROOT, 'templates/yealink/device.cfg.hbs'), 'utf8').split('\n');
  const marked = [builtin[0], MARK, ...builtin.slice(1)].join('\n');
  writeTemplate(templates, 'device.cfg.hbs', marked);
  // A bare value: it must pass through its format helper, so this file cannot render.
  writeTemplate(templates, 'T54W.device.cfg.hbs', `${marked}\nbroken = {{device.mac}}\n`);
  const refused = await s.api('POST', '/api/templates/reload');
  t.is(refused.status, 422);
  t.is(refused.json.error.code, 'render-failed');
  t.true(refused.text.includes(LAST), 'the failing device is named');
  t.is(await cfg(s, first), before.first, 'the first page is unchanged');
  t.is(await cfg(s, LAST), before.last, 'the last page is unchanged');
  // Still the old catalog: a change made now renders with the old templates.
  await must(s.api('PATCH', `/api/devices/${first}`, { body: { label: 'front desk' } }), 200);
  t.false((await cfg(s, first)).includes(MARK));

  fs.rmSync(path.join(templates, 'yealink', 'T54W.device.cfg.hbs'));
  const reloaded = await s.api('POST', '/api/templates/reload');
  t.is(reloaded.status, 200, reloaded.text);
  t.is(reloaded.json.changedDevices, COUNT, 'every device once: none skipped between pages, none twice');
  for (const mac of [first, middle, macs[PAGE]!, LAST]) t.true((await cfg(s, mac)).includes(MARK), `${mac} has the new template`);
  const audit = (await s.api('GET', '/api/audit?action=templates.reloaded')).json as { details: { changedDevices: number } }[];
  t.is(audit.length, 1, 'the refused reload left no audit event');
  t.is(audit[0]!.details.changedDevices, COUNT);
  t.is((await s.api('POST', '/api/templates/reload')).json.changedFiles, 0, 'a second reload finds nothing to store');
});
