// A template reload renders only the devices and extensions whose profile,
// templates or shared settings changed: an edit to the Polycom template
// leaves every Yealink alone (not rendered, not bumped, not pending), a
// model's own template reaches that model only, and ?full=true renders
// everything whatever changed.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { ROOT } from '../../helpers/process.ts';
import { extensionBody, startServer, tempDir, type TestServer } from '../../helpers/server.ts';

const YEALINKS = ['805ec0000001', '805ec0000002', '805ec0000003'];
const T54W = '805ec0000004';
const POLYCOMS = ['0004f2000001', '0004f2000002'];

async function must(p: Promise<{ status: number; text: string }>, status: number) {
  const r = await p;
  if (r.status !== status) throw new Error(`setup: ${r.status} ${r.text}`);
}

/** A built-in template with a comment line after its first line (which must stay first). */
function marked(vendor: string, template: string, into: string, mark: string, name = template) {
  const [first, ...rest] = fs.readFileSync(path.join(ROOT, 'templates', vendor, `${template}.hbs`), 'utf8').split('\n');
  fs.mkdirSync(path.join(into, vendor), { recursive: true });
  fs.writeFileSync(path.join(into, vendor, `${name}.hbs`), [first, mark, ...rest].join('\n'));
}

const versions = async (s: TestServer, macs: string[]) =>
  Promise.all(macs.map(async (mac) => (await s.api('GET', `/api/devices/${mac}`)).json.configVersion as number));

test('a reload renders only what its changed templates reach; ?full=true renders every file', async (t) => {
  const templates = tempDir();
  const s = await startServer({ env: { PROV_TEMPLATES_DIR: templates, PROV_SWEEP_MINUTES: '0' } });
  t.teardown(s.close);
  await must(s.api('POST', '/api/extensions', { body: extensionBody('1001') }), 201);
  for (const mac of YEALINKS) await must(s.api('POST', '/api/devices', { body: { mac, vendor: 'yealink', model: 'T46S', lines: [{ extension: '1001' }] } }), 201);
  await must(s.api('POST', '/api/devices', { body: { mac: T54W, vendor: 'yealink', model: 'T54W', lines: [{ extension: '1001' }] } }), 201);
  for (const mac of POLYCOMS) await must(s.api('POST', '/api/devices', { body: { mac, vendor: 'polycom', model: 'VVX_450', lines: [{ extension: '1001' }] } }), 201);
  const yealinkBefore = await versions(s, [...YEALINKS, T54W]);

  const idle = await s.api('POST', '/api/templates/reload');
  t.is(idle.status, 200, idle.text);
  t.like(idle.json, { changedFiles: 0, renderedDevices: 0, renderedExtensions: 0, full: false }, 'nothing changed: nothing rendered');

  marked('polycom', 'sip.cfg', templates, '<!-- edited polycom -->');
  const polycom = await s.api('POST', '/api/templates/reload');
  t.like(polycom.json, { renderedDevices: 2, changedDevices: 2, renderedExtensions: 0 });
  for (const mac of POLYCOMS) t.true((await s.api('GET', `/api/devices/${mac}/files/${mac}-sip.cfg`)).text.includes('edited polycom'));
  t.deepEqual(await versions(s, [...YEALINKS, T54W]), yealinkBefore, 'no Yealink was re-rendered or bumped');

  marked('yealink', 'device.cfg', templates, '## edited T54W', 'T54W.device.cfg');
  const model = await s.api('POST', '/api/templates/reload');
  t.like(model.json, { renderedDevices: 1, changedDevices: 1 }, "a model's template reaches that model only");
  t.true((await s.api('GET', `/api/devices/${T54W}/files/${T54W}.cfg`)).text.includes('edited T54W'));
  t.false((await s.api('GET', `/api/devices/${YEALINKS[0]}/files/${YEALINKS[0]}.cfg`)).text.includes('edited T54W'));

  marked('zoiper', 'account.xml', templates, '<!-- edited zoiper -->');
  t.like((await s.api('POST', '/api/templates/reload')).json, { renderedDevices: 0, renderedExtensions: 1, changedFiles: 1 });

  const full = await s.api('POST', '/api/templates/reload?full=true');
  t.like(full.json, { renderedDevices: 6, renderedExtensions: 1, changedFiles: 0, full: true }, 'full: every device rendered, none differs');
  const bad = await s.api('POST', '/api/templates/reload?full=maybe');
  t.is(bad.status, 422);
  t.true(bad.text.includes('full'), 'the error names the parameter');
});
