// A render's inputs besides its own record, as a digest: equal for two loads
// of the same sources, different wherever a template, the public URL or the
// CA bundle that a device's files read changed, and only there.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { PUBLIC_URL, ROOT, SIP_CA_FILE, catalog, device } from './fixtures.ts';

const made: string[] = [];
test.after.always(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function overrides(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prov-templates-'));
  made.push(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const line = [{ line: 1, extension: '301' }];
const t46s = device('yealink', '805ec0f0f0f1', 'T46S', line);
const t54w = device('yealink', '805ec0f0f0f2', 't54w', line);
const vvx = device('polycom', '0004f2f0f0f1', 'VVX_450', line);
const inputs = (cat: ReturnType<typeof catalog>) => [t46s, t54w, vvx].map((d) => cat.renderer.deviceInputs(d));

test('two loads of the same sources agree', (t) => {
  t.deepEqual(inputs(catalog()), inputs(catalog()));
  t.is(catalog().renderer.extensionInputs(), catalog().renderer.extensionInputs());
});

test("a model's own template changes that model's inputs only", (t) => {
  const edited = catalog(overrides({ 'yealink/T54W.device.cfg.hbs': '#!version:1.0.0.1\nx = {{cfg device.mac}}\n' }));
  const [a, b, c] = inputs(catalog());
  t.deepEqual(inputs(edited), [a, edited.renderer.deviceInputs(t54w), c]);
  t.not(edited.renderer.deviceInputs(t54w), b);
  t.is(edited.renderer.extensionInputs(), catalog().renderer.extensionInputs());
  // By vendor: Yealink as a whole is reached, Polycom is not.
  t.not(edited.renderer.vendorInputs('yealink'), catalog().renderer.vendorInputs('yealink'));
  t.is(edited.renderer.vendorInputs('polycom'), catalog().renderer.vendorInputs('polycom'));
  t.is(edited.renderer.vendorInputs('nonesuch'), null);
});

test('an override with the built-in text renders the same, so its inputs are the same', (t) => {
  const builtin = fs.readFileSync(path.join(ROOT, 'templates/polycom/sip.cfg.hbs'), 'utf8');
  t.deepEqual(inputs(catalog(overrides({ 'polycom/sip.cfg.hbs': builtin }))), inputs(catalog()));
});

test("a softphone template changes the extensions' inputs and no device's", (t) => {
  const edited = catalog(overrides({ 'zoiper/account.xml.hbs': '<?xml version="1.0"?>\n<options/>\n' }));
  t.not(edited.renderer.extensionInputs(), catalog().renderer.extensionInputs());
  t.deepEqual(inputs(edited), inputs(catalog()));
});

test('the public URL and the CA bundle reach every device', (t) => {
  const base = inputs(catalog());
  for (const other of [inputs(catalog(null, 'https://other.example.com')), inputs(catalog(null, PUBLIC_URL, SIP_CA_FILE))]) {
    other.forEach((digest, i) => t.not(digest, base[i]));
  }
});

test('a vendor without a profile has no inputs: it is always rendered (and fails)', (t) => {
  t.is(catalog().renderer.deviceInputs(device('nonesuch', '001122334455', null, line)), null);
});
