// What an admin sees of a device's rendered files (list for viewers, audited
// body for admins), and template reload from PROV_TEMPLATES_DIR: all or
// nothing, only the files whose bytes change, model overrides per model.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { ROOT } from '../../server/root.ts';
import { basic, phoneCredentials } from '../helpers/phone.ts';
import { extensionBody, startServer, tempDir, type TestServer } from '../helpers/server.ts';

const SECRET = 'Files&<"Secret-1';
const T46S = '805ec0000001';
const T41S = '805ec0000002';
const NO_MODEL = '805ec0000003';
const POLY = '0004f2e765da';
const YEALINKS = [T46S, T41S, NO_MODEL];
const ALL = [...YEALINKS, POLY];
const MARK = '## added-by-the-operator-template';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function setup(t: ExecutionContext, options: { templatesDir?: string; clock?: () => Date } = {}) {
  // Phones authenticate with Basic here, which plain HTTP allows only when told to.
  const env: Record<string, string> = { PROV_ALLOW_BASIC_OVER_HTTP: 'true' };
  if (options.templatesDir) env.PROV_TEMPLATES_DIR = options.templatesDir;
  const s = await startServer({ env, clock: options.clock });
  t.teardown(s.close);
  const must = async (p: Promise<{ status: number; text: string }>) => {
    const r = await p;
    if (r.status !== 201) throw new Error(`setup: ${r.status} ${r.text}`);
  };
  await must(s.api('POST', '/api/extensions', { body: extensionBody('1001', { secret: SECRET }) }));
  const lines = [{ extension: '1001' }];
  await must(s.api('POST', '/api/devices', { body: { mac: T46S, vendor: 'yealink', model: 'T46S', lines } }));
  await must(s.api('POST', '/api/devices', { body: { mac: T41S, vendor: 'yealink', model: 'T41S', lines } }));
  await must(s.api('POST', '/api/devices', { body: { mac: NO_MODEL, vendor: 'yealink', lines } }));
  await must(s.api('POST', '/api/devices', { body: { mac: POLY, vendor: 'polycom', model: 'VVX_450', lines } }));
  return s;
}

/** Fetches as the phone would: with its own credentials for a file named by its MAC. */
async function phoneFetch(s: TestServer, file: string): Promise<Buffer> {
  const mac = /^[0-9a-f]{12}(?=[.-])/.exec(file)?.[0];
  const headers: Record<string, string> = mac && mac !== '000000000000' ? { authorization: basic(await phoneCredentials(s, mac)) } : {};
  const res = await fetch(`${s.url}/prov/${file}`, { headers });
  if (res.status !== 200) throw new Error(`/prov/${file}: ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

async function files(s: TestServer, mac: string) {
  const r = await s.api('GET', `/api/devices/${mac}/files`);
  if (r.status !== 200) throw new Error(`files of ${mac}: ${r.status} ${r.text}`);
  return r.json as { file: string; version: number; sha256: string; renderedAt: string }[];
}

/** Everything a reload could change: versions, listed files and the bytes phones get. */
async function snapshot(s: TestServer) {
  const out: Record<string, unknown> = {};
  for (const mac of ALL) {
    const d = (await s.api('GET', `/api/devices/${mac}`)).json;
    const list = await files(s, mac);
    const bytes = await Promise.all(list.map(async (f) => sha(await phoneFetch(s, f.file))));
    out[mac] = { configVersion: d.configVersion, list, bytes };
  }
  for (const shared of ['y000000000000.boot', 'y000000000066.cfg', '000000000000.cfg', 'polycom-common.cfg']) {
    out[shared] = sha(await phoneFetch(s, shared));
  }
  return out;
}

const version = async (s: TestServer, mac: string) => (await s.api('GET', `/api/devices/${mac}`)).json.configVersion as number;
const cfgText = async (s: TestServer, mac: string) => (await phoneFetch(s, `${mac}.cfg`)).toString('utf8');
const builtin = (vendor: string, name: string) => fs.readFileSync(path.join(ROOT, 'templates', vendor, name), 'utf8');
function writeTemplate(dir: string, vendor: string, name: string, text: string) {
  fs.mkdirSync(path.join(dir, vendor), { recursive: true });
  fs.writeFileSync(path.join(dir, vendor, name), text);
}
const reload = (s: TestServer) => s.api('POST', '/api/templates/reload');

test('the file list gives version, sha256 of what the phone gets and renderedAt, never the body', async (t) => {
  let now = Date.parse('2030-05-01T09:00:00.000Z');
  const s = await setup(t, { clock: () => new Date(now) });
  for (const mac of ALL) {
    const r = await s.api('GET', `/api/devices/${mac}/files`);
    t.is(r.status, 200);
    t.false(r.text.includes('Files&'), 'no secret in the list');
    t.false(r.text.includes('Files&amp;'), 'no secret in the list');
    const names = r.json.map((f: { file: string }) => f.file);
    t.true(names.includes(`${mac}.cfg`), `${mac}: its own .cfg is listed`);
    for (const f of r.json) {
      t.deepEqual(Object.keys(f).sort(), ['file', 'renderedAt', 'sha256', 'version'], 'no body or other field');
      t.is(f.sha256, sha(await phoneFetch(s, f.file)), `${f.file}: sha256 of the served bytes`);
      t.is(f.version, 1);
      t.is(f.renderedAt, '2030-05-01T09:00:00.000Z');
    }
  }
  t.true((await files(s, POLY)).some((f) => f.file === `${POLY}-sip.cfg`));

  now += 3_600_000;
  t.is((await s.api('POST', '/api/extensions/1001/secret/generate')).status, 200);
  const after = await files(s, T46S);
  const cfg = after.find((f) => f.file === `${T46S}.cfg`)!;
  const boot = after.find((f) => f.file === `${T46S}.boot`)!;
  t.is(cfg.version, await version(s, T46S), 'the changed file carries the new configVersion');
  t.is(cfg.version, 2);
  t.is(cfg.renderedAt, '2030-05-01T10:00:00.000Z');
  t.is(cfg.sha256, sha(await phoneFetch(s, `${T46S}.cfg`)));
  t.like(boot, { version: 1, renderedAt: '2030-05-01T09:00:00.000Z' }, 'an unchanged file keeps its version');
  t.is((await s.api('GET', '/api/devices/805ec0ffffff/files')).status, 404);
});

test('an admin previews a body (audited as config.previewed); a viewer lists but cannot preview', async (t) => {
  const s = await setup(t);
  const viewer = (await s.api('POST', '/api/tokens', { body: { name: 'viewer', role: 'viewer' } })).json.token as string;
  const previews = async () =>
    ((await s.api('GET', '/api/audit?action=config.previewed')).json as { action: string }[]).length;

  const denied = await s.api('GET', `/api/devices/${T46S}/files/${T46S}.cfg`, { token: viewer });
  t.is(denied.status, 403);
  t.false(denied.text.includes('Files&'));
  t.is(await previews(), 0, 'a refused preview is not audited');
  const listed = await s.api('GET', `/api/devices/${T46S}/files`, { token: viewer });
  t.is(listed.status, 200);
  t.true(listed.json.length > 0);

  for (const [mac, file, type] of [[T46S, `${T46S}.cfg`, /^text\/plain\b/], [POLY, `${POLY}-sip.cfg`, /^application\/xml\b/]] as const) {
    const r = await fetch(`${s.url}/api/devices/${mac}/files/${file}`, { headers: { authorization: `Bearer ${s.adminToken}` } });
    t.is(r.status, 200);
    t.regex(r.headers.get('content-type') ?? '', type);
    const body = Buffer.from(await r.arrayBuffer());
    t.true(body.equals(await phoneFetch(s, file)), `${file}: the bytes a phone gets`);
  }
  t.true((await cfgText(s, T46S)).split('\n').includes(`account.1.password = ${SECRET}`));
  const events = (await s.api('GET', '/api/audit?action=config.previewed')).json as { action: string; target: string }[];
  t.deepEqual(events.map((e) => e.target).sort(), [`device:${POLY}`, `device:${T46S}`]);
  t.false(JSON.stringify(events).includes('Files&'), 'the audit event holds no body');

  t.is((await s.api('GET', `/api/devices/${T46S}/files/${T41S}.cfg`)).status, 404, "another device's file");
  t.is((await s.api('GET', `/api/devices/${T46S}/files/nothing.cfg`)).status, 404);
  t.is((await s.api('GET', `/api/devices/805ec0ffffff/files/805ec0ffffff.cfg`)).status, 404);
  t.is(await previews(), 2, 'only the two served previews are audited');
  t.is((await s.api('GET', `/api/devices/${POLY}`)).json.status, 'synced', 'a phone fetch, not a preview, syncs');
  t.is((await s.api('GET', `/api/devices/${T41S}`)).json.status, 'never', 'a preview is not a fetch');
});

test('template reload: no change, then an operator template changes every Yealink and no Polycom', async (t) => {
  const dir = tempDir('prov-templates-');
  const s = await setup(t, { templatesDir: dir });
  const before = await snapshot(s);

  const same = await reload(s);
  t.is(same.status, 200, same.text);
  t.deepEqual(await snapshot(s), before, 'nothing changed on disk: nothing changes');

  writeTemplate(dir, 'yealink', 'device.cfg.hbs', builtin('yealink', 'device.cfg.hbs').trimEnd() + `\n${MARK}\n`);
  const r = await reload(s);
  t.is(r.status, 200, r.text);
  // The snapshot's fetches synced every phone; the Yealinks now have something new.
  for (const mac of ALL) {
    const want = mac === POLY ? 'synced' : 'pending';
    t.is((await s.api('GET', `/api/devices/${mac}`)).json.status, want, `${mac} status`);
  }
  for (const mac of YEALINKS) {
    t.is(await version(s, mac), (before[mac] as { configVersion: number }).configVersion + 1, `${mac} bumped`);
    t.true((await cfgText(s, mac)).split('\n').includes(MARK), `${mac}.cfg has the new line`);
  }
  const after = await snapshot(s);
  t.deepEqual(after[POLY], before[POLY], 'Polycom untouched');
  t.deepEqual(after['000000000000.cfg'], before['000000000000.cfg']);
  t.deepEqual(after['y000000000066.cfg'], before['y000000000066.cfg'], 'the common file did not change');

  t.is((await reload(s)).status, 200);
  t.deepEqual(await snapshot(s), after, 'a second reload changes nothing');
});

test('a template that does not compile or render refuses the reload and changes nothing', async (t) => {
  const dir = tempDir('prov-templates-');
  const good = builtin('yealink', 'device.cfg.hbs').trimEnd() + `\n${MARK}\n`;
  writeTemplate(dir, 'yealink', 'device.cfg.hbs', good);
  const s = await setup(t, { templatesDir: dir });
  const before = await snapshot(s);

  writeTemplate(dir, 'yealink', 'device.cfg.hbs', good + '{{#if lines}}\nunclosed\n');
  const syntax = await reload(s);
  t.is(syntax.status, 422, syntax.text);
  t.regex(syntax.json?.error?.code ?? '', /^[a-z0-9]+(-[a-z0-9]+)*$/);
  t.regex(syntax.json?.error?.message ?? '', /device\.cfg\.hbs/, 'names the template file');
  t.regex(syntax.json?.error?.message ?? '', /parse|expect|if/i, 'names the error');
  t.deepEqual(await snapshot(s), before, 'nothing changed after a syntax error');

  writeTemplate(dir, 'yealink', 'device.cfg.hbs', good + 'bare.value = {{device.mac}}\n');
  const bare = await reload(s);
  t.is(bare.status, 422, bare.text);
  const message: string = bare.json?.error?.message ?? '';
  const named = YEALINKS.filter((mac) => message.includes(mac));
  t.is(named.length, 1, `names one Yealink device: ${message}`);
  t.true(message.includes(`${named[0]}.cfg`), `names the file: ${message}`);
  t.regex(message, /helper/, `names the error: ${message}`);
  t.deepEqual(await snapshot(s), before, 'nothing changed after a render failure');

  // The templates in force are still the last good ones.
  t.is((await s.api('PATCH', '/api/extensions/1001', { body: { displayName: 'After Refusal' } })).status, 200);
  const text = await cfgText(s, T46S);
  t.true(text.split('\n').includes('account.1.display_name = After Refusal'));
  t.true(text.split('\n').includes(MARK));
  t.false(text.includes('bare.value'));
});

test('a bare list or object value ({{lines}}, {{device}}) without its helper refuses the reload', async (t) => {
  const dir = tempDir('prov-templates-');
  const s = await setup(t, { templatesDir: dir });
  const before = await snapshot(s);
  for (const bare of ['{{lines}}', '{{device}}']) {
    writeTemplate(dir, 'yealink', 'device.cfg.hbs', builtin('yealink', 'device.cfg.hbs').trimEnd() + `\nbare = ${bare}\n`);
    const r = await reload(s);
    t.is(r.status, 422, `${bare}: ${r.text}`);
    t.deepEqual(await snapshot(s), before, `${bare}: nothing changed`);
    t.false((await cfgText(s, T46S)).includes('[object Object]'), `${bare}: never served`);
  }
});

test('a model template in PROV_TEMPLATES_DIR applies to that model only', async (t) => {
  const dir = tempDir('prov-templates-');
  const s = await setup(t, { templatesDir: dir });
  const before = await snapshot(s);
  writeTemplate(dir, 'yealink', 'T46S.device.cfg.hbs', builtin('yealink', 'device.cfg.hbs').trimEnd() + `\n${MARK}\n`);
  const r = await reload(s);
  t.is(r.status, 200, r.text);
  t.true((await cfgText(s, T46S)).split('\n').includes(MARK), 'the T46S gets it');
  t.is(await version(s, T46S), (before[T46S] as { configVersion: number }).configVersion + 1);
  const after = await snapshot(s);
  for (const mac of [T41S, NO_MODEL, POLY]) t.deepEqual(after[mac], before[mac], `${mac} untouched`);
  t.deepEqual(after['y000000000066.cfg'], before['y000000000066.cfg']);

  // Taking it away brings the T46S back to the built-in bytes.
  fs.rmSync(path.join(dir, 'yealink', 'T46S.device.cfg.hbs'));
  t.is((await reload(s)).status, 200);
  const back = (await snapshot(s))[T46S] as { list: unknown[]; bytes: string[] };
  t.deepEqual(back.bytes, (before[T46S] as { bytes: string[] }).bytes);
  t.false((await cfgText(s, T46S)).includes(MARK));
});

test('the list names the shared files a device fetches, not the fall-backs for unknown phones', async (t) => {
  const s = await setup(t);
  const names = async (mac: string) => (await files(s, mac)).map((f) => f.file).sort();
  t.deepEqual(await names(T46S), [`${T46S}.boot`, `${T46S}.cfg`, 'y000000000066.cfg']);
  t.deepEqual(await names(NO_MODEL), [`${NO_MODEL}.boot`, `${NO_MODEL}.cfg`], 'no model, no model file');
  t.deepEqual(await names(POLY), [`${POLY}-sip.cfg`, `${POLY}.cfg`, 'polycom-common.cfg']);
  const shared = await s.api('GET', `/api/devices/${T46S}/files/y000000000066.cfg`);
  t.is(shared.status, 200);
  t.is(sha(Buffer.from(shared.text)), sha(await phoneFetch(s, 'y000000000066.cfg')));
  t.is((await s.api('GET', `/api/devices/${T46S}/files/y000000000000.boot`)).status, 404);
  t.is((await s.api('GET', `/api/devices/${T46S}/files/${POLY}-sip.cfg`)).status, 404, "another device's file");
});
