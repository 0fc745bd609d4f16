// PROV_SIP_CA_FILE is read at start: a file that is not PEM certificates
// stops the boot with one line naming the variable, and a good bundle boots.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { ConfigError, loadConfig } from '../server/config.ts';
import { runToExit } from './helpers/process.ts';
import { tempDir } from './helpers/server.ts';
import { SIP_CA_FILE } from './render/fixtures.ts';

const bundle = fs.readFileSync(SIP_CA_FILE, 'latin1');
const firstCert = bundle.slice(0, bundle.indexOf('-----END CERTIFICATE-----') + 25);

const BAD: [string, string | Buffer, RegExp][] = [
  ['plain text', 'this is not a certificate\n', /no PEM certificate/],
  ['an empty file', '', /is empty/],
  ['a private key', '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n', /PRIVATE KEY block/],
  ['a certificate block that is not X.509', '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n', /does not parse as X\.509/],
  ['a good certificate followed by text', `${bundle}trailing words\n`, /text outside/],
  ['DER bytes', Buffer.from([0x30, 0x82, 0x01, 0xc4, 0x30, 0x82, 0xff, 0x00]), /not PEM text/],
];

function badFile(t: import('ava').ExecutionContext, content: string | Buffer) {
  const dir = tempDir('prov-ca-boot-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'ca.pem');
  fs.writeFileSync(file, content);
  return { dir, file };
}

// Two of them through a real process, the way an admin meets it; every kind through loadConfig.
for (const [what, content, problem] of BAD.slice(0, 2)) {
  test.serial(`the boot stops with one line naming PROV_SIP_CA_FILE on a file holding ${what}`, async (t) => {
    const { dir, file } = badFile(t, content);
    const run = await runToExit({ PROV_DATA_DIR: path.join(dir, 'data'), PROV_SIP_CA_FILE: file });
    t.is(run.code, 1);
    const lines = run.stderr.trim().split('\n');
    t.is(lines.length, 1, run.stderr);
    t.true(lines[0]!.startsWith('config error: PROV_SIP_CA_FILE '), lines[0]);
    t.regex(lines[0]!, problem);
    t.true(lines[0]!.endsWith(file), 'names the file');
    t.false(fs.existsSync(path.join(dir, 'data')), 'refused before anything was written');
  });
}

for (const [what, content, problem] of BAD) {
  test(`PROV_SIP_CA_FILE holding ${what} is a ConfigError saying so`, (t) => {
    const { file } = badFile(t, content);
    const err = t.throws(() => loadConfig({ PROV_SIP_CA_FILE: file }), { instanceOf: ConfigError });
    t.is(err!.variable, 'PROV_SIP_CA_FILE');
    t.regex(err!.message, problem);
    t.false(err!.message.includes('\n'), 'one line');
  });
}

test('a missing PROV_SIP_CA_FILE is refused with the reason', (t) => {
  t.throws(() => loadConfig({ PROV_SIP_CA_FILE: '/nonexistent/ca.pem' }), {
    instanceOf: ConfigError,
    message: /^PROV_SIP_CA_FILE cannot be read \(ENOENT\): \/nonexistent\/ca\.pem$/,
  });
});

test('a bundle of one or more certificates is accepted, with or without CRLF line ends', (t) => {
  const dir = tempDir('prov-ca-ok-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of [['one.pem', firstCert + '\n'], ['two.pem', bundle], ['crlf.pem', bundle.replace(/\n/g, '\r\n')]]) {
    const file = path.join(dir, name!);
    fs.writeFileSync(file, text!);
    t.is(loadConfig({ PROV_SIP_CA_FILE: file }).sipCaFile, file, name);
  }
  t.is(loadConfig({}).sipCaFile, null, 'unset: phones keep their built-in trust store');
});
