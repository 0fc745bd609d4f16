// The template trap: in a template context every value is wrapped, so only an
// encoder helper can turn it into text. A template that writes a value bare —
// an operator's override with {{password}} instead of {{cfg password}} —
// must fail the render, never emit unencoded text.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { EncodeError } from '../../server/render/encoders/encoder.ts';
import { loadProfiles } from '../../server/render/profiles.ts';
import { RenderFailure } from '../../server/render/renderer.ts';
import { TemplateError, loadTemplates, wrap } from '../../server/render/templates.ts';
import { readYealinkCfg } from '../helpers/yealink-cfg-reader.ts';
import { xmllint } from '../helpers/xml.ts';
import { GOLDEN_CASES, GOLDEN_EXTENSIONS, ROOT, catalog, renderCase } from './fixtures.ts';

const yealinkCase = GOLDEN_CASES.find((c) => c.name === 'yealink-t46s')!;
const polycomCase = GOLDEN_CASES.find((c) => c.name === 'polycom-vvx450')!;

const made: string[] = [];
test.after.always(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A PROV_TEMPLATES_DIR holding the one template given. */
function overrideDir(vendor: string, file: string, source: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prov-templates-'));
  made.push(dir);
  fs.mkdirSync(path.join(dir, vendor));
  fs.writeFileSync(path.join(dir, vendor, file), source);
  return dir;
}

const YEALINK_BARE: [string, string][] = [
  ['{{password}}', '{{#each lines}}account.{{cfg line}}.password = {{password}}\n{{/each}}'],
  ['{{{password}}}', '{{#each lines}}account.{{cfg line}}.password = {{{password}}}\n{{/each}}'],
  ['{{this.displayName}}', '{{#each lines}}account.{{cfg line}}.display_name = {{this.displayName}}\n{{/each}}'],
  ['{{device.mac}}', '## {{device.mac}}\n'],
  ['{{@root.settings.sipExpires}}', 'x = {{@root.settings.sipExpires}}\n'],
  ['{{#each model.files}}{{this}}', '{{#each model.files}}include:config "{{this}}"\n{{/each}}'],
  ['{{provisioning.url}}', 'static.auto_provision.server.url = {{provisioning.url}}\n'],
  ['{{lines}} (a whole list)', 'x = {{lines}}\n'],
  ['{{model}} (a whole record)', 'x = {{model}}\n'],
];

test('loadTemplates with an override folder: a bare {{password}} throws from the template itself', (t) => {
  const profiles = loadProfiles(path.join(ROOT, 'vendor-profiles'));
  const dir = overrideDir('yealink', 'device.cfg.hbs', '#!version:1.0.0.1\n{{#each lines}}p = {{password}}\n{{/each}}');
  const templates = loadTemplates(profiles, path.join(ROOT, 'templates'), dir);
  const context = wrap({ lines: [{ password: 'Secret&1=x' }] });
  t.throws(() => templates.render(profiles.get('yealink')!, 'device.cfg', 'T46S', context), { instanceOf: EncodeError });
  const fine = overrideDir('yealink', 'device.cfg.hbs', '#!version:1.0.0.1\n{{#each lines}}p = {{cfg password}}\n{{/each}}');
  const ok = loadTemplates(profiles, path.join(ROOT, 'templates'), fine);
  t.is(ok.render(profiles.get('yealink')!, 'device.cfg', 'T46S', context), '#!version:1.0.0.1\np = Secret&1=x\n');
});

for (const [what, body] of YEALINK_BARE) {
  test(`a Yealink override writing ${what} without its helper fails the render`, (t) => {
    const cat = catalog(overrideDir('yealink', 'device.cfg.hbs', `#!version:1.0.0.1\n${body}`));
    const err = t.throws(() => renderCase(yealinkCase, cat), { instanceOf: RenderFailure });
    t.regex(err?.message ?? '', /must pass through its format helper|cannot be written as text/);
    t.is(err?.file, `${yealinkCase.device.mac}.cfg`);
  });
}

test('a Polycom override writing an attribute bare fails the render', (t) => {
  const source = '<c>{{#each lines}}<reg reg.{{attr line}}.auth.password="{{password}}"/>{{/each}}</c>\n';
  const cat = catalog(overrideDir('polycom', 'sip.cfg.hbs', source));
  t.throws(() => renderCase(polycomCase, cat), { instanceOf: RenderFailure, message: /format helper/ });
});

for (const [name, template, source] of [
  ['grandstream-grp2614', 'device.xml', '<c>{{#each lines}}<p>{{password}}</p>{{/each}}</c>\n'],
  ['snom-d785', 'device.xml', '<c>{{#each lines}}<user_pass idx="{{text line}}">{{password}}</user_pass>{{/each}}</c>\n'],
  ['fanvil-x4u', 'device.cfg', '<c><DefaultPassword>{{login.password}}</DefaultPassword></c>\n'],
  ['cisco-cp-8841-3pcc', 'device.xml', '<c>{{#each lines}}<Short_Name_1_>{{label}}</Short_Name_1_>{{/each}}</c>\n'],
] as const) {
  test(`a ${name} override writing an element bare fails the render; with its helper it is escaped once`, (t) => {
    const c = GOLDEN_CASES.find((x) => x.name === name)!;
    t.throws(() => renderCase(c, catalog(overrideDir(c.device.vendor, `${template}.hbs`, source))), { instanceOf: RenderFailure, message: /format helper/ });
    const fine = source.replace(/\{\{(password|login\.password|label)\}\}/, (_, v) => `{{text ${v}}}`);
    for (const [, body] of renderCase(c, catalog(overrideDir(c.device.vendor, `${template}.hbs`, fine)))) t.true(xmllint(body).ok, body);
  });
}

test('a bare value in a vendor file (no device) fails too', (t) => {
  const cat = catalog(overrideDir('polycom', 'common.cfg.hbs', '<c s="{{provisioning.serverName}}"/>\n'));
  const err = t.throws(() => cat.renderer.renderVendor(cat.profiles.get('polycom')!), { instanceOf: RenderFailure });
  t.is(err?.owner, 'vendor:polycom');
});

test('the same override written with its helpers renders, and wins over the built-in template', (t) => {
  const body = '{{#each lines}}account.{{cfg line}}.password = {{cfg password}}\n{{/each}}';
  const cat = catalog(overrideDir('yealink', 'device.cfg.hbs', `#!version:1.0.0.1\n${body}`));
  const cfg = readYealinkCfg(renderCase(yealinkCase, cat).get(`${yealinkCase.device.mac}.cfg`)!);
  t.deepEqual([...cfg.values.keys()], ['account.1.password', 'account.2.password']);
  t.is(cfg.values.get('account.1.password'), 'Pa&ss<wo"rd#1=x');
});

test('a model-specific override wins over the vendor override', (t) => {
  const dir = overrideDir('yealink', 'device.cfg.hbs', '#!version:1.0.0.1\nwhich = vendor\n');
  fs.writeFileSync(path.join(dir, 'yealink', 'T46S.device.cfg.hbs'), '#!version:1.0.0.1\nwhich = {{cfg model.name}}\n');
  const cat = catalog(dir);
  t.is(readYealinkCfg(renderCase(yealinkCase, cat).get(`${yealinkCase.device.mac}.cfg`)!).values.get('which'), 'T46S');
  const t54w = GOLDEN_CASES.find((c) => c.name === 'yealink-t54w')!;
  t.is(readYealinkCfg(renderCase(t54w, cat).get(`${t54w.device.mac}.cfg`)!).values.get('which'), 'vendor');
});

test('a template that does not compile is refused when the catalog loads, not at a fetch', (t) => {
  t.throws(() => catalog(overrideDir('yealink', 'device.cfg.hbs', '{{#each lines}}unclosed')), {
    instanceOf: TemplateError,
    message: /PROV_TEMPLATES_DIR\/yealink\/device\.cfg\.hbs/,
  });
});

test("a helper the vendor's format does not have is refused when the catalog loads", (t) => {
  // attr is Polycom's XML helper: a Yealink file has no such format.
  t.throws(() => catalog(overrideDir('yealink', 'device.cfg.hbs', '#!version:1.0.0.1\nx = {{attr device.mac}}\n')), {
    instanceOf: TemplateError,
    message: /PROV_TEMPLATES_DIR\/yealink\/device\.cfg\.hbs.*attr/s,
  });
});

// A template must not reach a value's raw text around its helper —
// {{password.value}}, {{#each password}}{{this}}{{/each}} or
// {{#with password}}{{value}}{{/with}} — which in a Polycom file would break
// the XML and let a value inject attributes. Either the render fails or the
// secret is not in the output.
const REACH_AROUND: [string, string][] = [
  ['{{password.value}}', '{{password.value}}'],
  ['{{#each password}}{{this}}{{/each}}', '{{#each password}}{{this}}{{/each}}'],
  ['{{#with password}}{{value}}{{/with}}', '{{#with password}}{{value}}{{/with}}'],
];
for (const [what, expr] of REACH_AROUND) {
  test(`a Polycom override cannot reach a value's raw text with ${what}`, (t) => {
    const source = `<c>{{#each lines}}<reg reg.{{attr line}}.auth.password="${expr}"/>{{/each}}</c>\n`;
    const cat = catalog(overrideDir('polycom', 'sip.cfg.hbs', source));
    let body: string;
    try {
      body = renderCase(polycomCase, cat).get(`${polycomCase.device.mac}-sip.cfg`)!;
    } catch (err) {
      t.true(err instanceof RenderFailure, String(err));
      return;
    }
    for (const { secret } of GOLDEN_EXTENSIONS) {
      t.false(body.includes(secret), `rendered the secret unencoded: ${body.split('\n')[0]}`);
    }
    t.true(xmllint(body).ok);
  });
}
