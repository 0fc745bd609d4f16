// The device page previews files masked: every secret the files carry is
// replaced in whatever spelling the format wrote it (Cisco's macro fields
// double each $), and nothing is audited; the real body stays behind an
// audited preview.
import test from 'ava';
import { extensionBody } from '../helpers/server.ts';
import { phoneCredentials } from '../helpers/phone.ts';
import { consoleServer } from './session-client.ts';

const SECRET = `A&b<c>"d'e 1234$MA`;
const POLY = '0004f2a1b2c5';
const YEA = '805ec0a1b2c3';
const PHONES: [string, string][] = [
  [POLY, 'polycom'],
  [YEA, 'yealink'],
  ['c074ada1b2c6', 'grandstream'],
  ['000413a1b2c7', 'snom'],
  ['0c383ea1b2c8', 'fanvil'],
  ['00562ba1b2c9', 'cisco'],
];

test('masked previews hide the secrets of every vendor\'s files, raw and escaped, and audit nothing', async (t) => {
  const s = await consoleServer(t);
  t.is((await s.api('POST', '/api/extensions', { body: extensionBody('1001', { secret: SECRET }) })).status, 201);
  for (const [mac, vendor] of PHONES) {
    t.is((await s.api('POST', '/api/devices', { body: { mac, vendor, lines: [{ extension: '1001' }] } })).status, 201);
  }
  const escaped = ['&amp;', '&lt;', '&quot;', '&apos;'];
  for (const [mac] of PHONES) {
    const password = (await phoneCredentials(s, mac)).password;
    const audited = (await s.api('GET', '/api/audit?action=config.previewed')).json.length;
    for (const { file } of (await s.api('GET', `/api/devices/${mac}/files`)).json as { file: string }[]) {
      const real = await s.api('GET', `/api/devices/${mac}/files/${file}`);
      const masked = await s.api('GET', `/api/devices/${mac}/files/${file}?masked=true`);
      t.is(masked.status, 200);
      t.false(masked.text.includes(password), `${file}: provisioning password`);
      t.false(masked.text.includes(SECRET), `${file}: the secret`);
      t.false(masked.text.includes('A&amp;b&lt;c&gt;'), `${file}: the XML-escaped secret`);
      if (real.text.includes(password) || escaped.some((e) => real.text.includes(`b${e}`)) || real.text.includes(SECRET)) {
        t.true(masked.text.includes('••••••••'), `${file}: the mask stands where the secret was`);
      }
    }
    const after = (await s.api('GET', '/api/audit?action=config.previewed')).json.length;
    const files = (await s.api('GET', `/api/devices/${mac}/files`)).json.length;
    t.is(after - audited, files, 'only the real previews were audited');
  }
  t.is((await s.api('GET', `/api/devices/${POLY}/files/${POLY}-sip.cfg?masked=nope`)).status, 422);
});
