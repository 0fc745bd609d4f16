// What a phone uploads never runs as a page, in a real browser. Whoever holds
// one Polycom's provisioning credentials tries to plant a script on the
// console's origin: an XHTML page uploaded as the phone's override is refused
// (422, audited) and not stored; an override that passes carries a script in
// an attribute, and an admin signed in to the console who opens its URL
// downloads it: nothing runs, nothing is revealed in the admin's name.
import test from 'ava';
import { phoneCredentials } from '../helpers/phone.ts';
import { extensionBody } from '../helpers/server.ts';
import { openBrowser } from './browser.ts';
import { consoleServer, setUp } from './session-client.ts';

const POLY = '0004f2c0ffee';
const PAGE = `<html xmlns="http://www.w3.org/1999/xhtml"><body><script>fetch('/api/extensions/1001/secret').then(r => r.text()).then(t => { document.title = 'ran:' + t; })</script></body></html>`;

test('an uploaded XHTML page is refused, and an override opened in a signed-in browser runs nothing', async (t) => {
  t.timeout(180_000);
  const s = await consoleServer(t, { env: { PROV_ALLOW_BASIC_OVER_HTTP: 'true', PROV_NOTIFY: 'off' } });
  const alice = await setUp(s);
  t.is((await s.api('POST', '/api/extensions', { body: extensionBody('1001', { secret: 'Never-Revealed-1' }) })).status, 201);
  t.is((await s.api('POST', '/api/devices', { body: { mac: POLY, vendor: 'polycom', lines: [{ extension: '1001' }] } })).status, 201);
  const creds = await phoneCredentials(s, POLY);
  const basic = `Basic ${Buffer.from(`${creds.user}:${creds.password}`).toString('base64')}`;
  const put = (file: string, body: string) =>
    fetch(`${s.url}/prov/${file}`, { method: 'PUT', headers: { authorization: basic, 'content-type': 'application/xml' }, body });

  const refusals: [string, string][] = [
    ['an XHTML page', PAGE],
    ['a processing instruction', `<?xml version="1.0"?><?xml-stylesheet href="x.xsl"?><PHONE_CONFIG><OVERRIDES a="1"/></PHONE_CONFIG>`],
    ['another namespace', `<PHONE_CONFIG><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script></PHONE_CONFIG>`],
    ['text content', `<PHONE_CONFIG><OVERRIDES>alert(1)</OVERRIDES></PHONE_CONFIG>`],
    ['a document type', `<!DOCTYPE PHONE_CONFIG [<!ENTITY x "y">]><PHONE_CONFIG><OVERRIDES a="&x;"/></PHONE_CONFIG>`],
  ];
  for (const [what, body] of refusals) {
    t.is((await put(`${POLY}-phone.cfg`, body)).status, 422, what);
  }
  const refused = (await s.api('GET', '/api/audit?action=device.upload-refused&limit=100')).json as { details: { reason: string } }[];
  t.is(refused.length, 5, 'each refusal is on record');
  t.is((await fetch(`${s.url}/prov/${POLY}-phone.cfg`, { headers: { authorization: basic } })).status, 404, 'nothing stored');

  // An override of the vendor's shape, with a script in an attribute value.
  const override = `<?xml version="1.0"?><PHONE_CONFIG><OVERRIDES up.welcome="&lt;script&gt;fetch('/api/extensions/1001/secret')&lt;/script&gt;"/></PHONE_CONFIG>`;
  t.is((await put(`${POLY}-phone.cfg`, override)).status, 204);

  const browser = await openBrowser();
  t.teardown(browser.close);
  await browser.context.addCookies([{ name: 'prov_session', value: alice.cookie, url: s.url }]);
  await browser.context.setHTTPCredentials({ username: creds.user, password: creds.password });
  const page = await browser.page();
  const asked: string[] = [];
  page.on('request', (r) => void asked.push(new URL(r.url()).pathname));
  const download = page.waitForEvent('download', { timeout: 15_000 });
  await page.goto(`${s.url}/prov/${POLY}-phone.cfg`).catch(() => undefined);
  t.truthy(await download, 'the browser downloads it instead of showing it');
  await page.waitForTimeout(500);
  t.false(asked.includes('/api/extensions/1001/secret'), 'no script asked for the secret');
  t.deepEqual((await s.api('GET', '/api/audit?action=secret.revealed')).json, [], 'nothing revealed in the admin\'s name');
});
