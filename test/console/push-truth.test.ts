// The console tells the truth about push, in a real browser: the Devices
// page gives the provisioning URL and the DHCP option 66 value with setup
// steps per vendor, and warns when the URL cannot work for phones; with push
// off, a device page disables Sync now and says why and when the phone will
// poll on its own, and a new secret does not claim the phones are being
// pushed; with push on, Sync is offered.
import test, { type ExecutionContext } from 'ava';
import { fetchWithDigest } from '../helpers/digest-client.ts';
import { phoneCredentials } from '../helpers/phone.ts';
import { extensionBody, type TestServer } from '../helpers/server.ts';
import { openBrowser, seriousViolations } from './browser.ts';
import { consoleServer, setUp } from './session-client.ts';

const MAC = '805ec0b1c2d3';
const UA = 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:b1:c2:d3';

async function signedInPage(t: ExecutionContext, s: TestServer) {
  const alice = await setUp(s);
  const browser = await openBrowser();
  t.teardown(browser.close);
  await browser.context.addCookies([{ name: 'prov_session', value: alice.cookie, url: s.url }]);
  return browser.page();
}

async function phoneOnExtension(s: TestServer) {
  for (const [path, body] of [
    ['/api/extensions', extensionBody('1001', { secret: 'Truth-Secret-1' })],
    ['/api/devices', { mac: MAC, vendor: 'yealink', model: 'T46S', lines: [{ extension: '1001' }] }],
  ] as const) {
    const r = await s.api('POST', path, { body });
    if (r.status !== 201) throw new Error(r.text);
  }
  const r = await fetchWithDigest(`${s.url}/prov/${MAC}.cfg`, await phoneCredentials(s, MAC), { headers: { 'user-agent': UA } });
  if (r.status !== 200) throw new Error(`phone fetch: ${r.status}`);
}

test('push off: the URL to give phones and its warnings, Sync disabled with the reason, and when the phone polls instead', async (t) => {
  t.timeout(180_000);
  const s = await consoleServer(t, { env: { PROV_NOTIFY: 'off' } });
  await phoneOnExtension(s);
  const page = await signedInPage(t, s);

  await page.goto(`${s.url}/devices`);
  await page.locator('#prov-url', { hasText: '/prov/' }).waitFor();
  // Unset PROV_PUBLIC_URL: made from HOST and PORT, as the configs carry it.
  const url = (await page.locator('#prov-url').textContent())!;
  t.regex(url, /^http:\/\/127\.0\.0\.1:\d+\/prov\/$/);
  t.is(await page.locator('#dhcp-66').textContent(), url);
  t.regex((await page.locator('#push-mode').textContent()) ?? '', /^Off/);
  const warning = (await page.locator('#url-warning').textContent()) ?? '';
  t.regex(warning, /PROV_PUBLIC_URL is not set/);
  t.regex(warning, /loopback/);
  await page.locator('#vendor-setup summary', { hasText: 'Yealink' }).click();
  t.true(((await page.locator('#vendor-setup').textContent()) ?? '').includes(`Server URL: ${url}`));
  t.deepEqual(await seriousViolations(page), [], 'axe on devices');

  await page.goto(`${s.url}/devices/${MAC}`);
  const sync = page.getByRole('button', { name: 'Sync now' });
  await sync.waitFor();
  t.true(await sync.isDisabled());
  t.regex((await page.locator('#sync-why').textContent()) ?? '', /push is off on this server/);
  t.regex((await page.locator('#state').textContent()) ?? '', /push off · polls every 24 h; next by/);
  t.deepEqual(await seriousViolations(page), [], 'axe on device');

  await page.goto(`${s.url}/extensions/1001`);
  await page.locator(`#affected tr[data-mac="${MAC}"]`).waitFor();
  await page.getByRole('button', { name: 'Generate new secret' }).click();
  await page.locator('#confirm-yes').click();
  const flash = page.locator('#flash');
  await flash.filter({ hasText: 'version 2' }).waitFor();
  t.regex((await flash.textContent()) ?? '', /push cannot reach them; one phone fetches at its next poll/);
  t.notRegex((await flash.textContent()) ?? '', /told to fetch now/);
});

test('push on and a proven phone: Sync now is offered and no warning when PROV_PUBLIC_URL names a real host', async (t) => {
  t.timeout(180_000);
  const s = await consoleServer(t, { env: { PROV_NOTIFY: 'direct', PROV_PUBLIC_URL: 'http://prov.example.com:8080' } });
  await phoneOnExtension(s);
  const page = await signedInPage(t, s);
  await page.goto(`${s.url}/devices`);
  await page.locator('#prov-url', { hasText: 'prov.example.com' }).waitFor();
  t.true(await page.locator('#url-warning').isHidden());
  t.regex((await page.locator('#push-mode').textContent()) ?? '', /^On \(direct\)/);
  await page.goto(`${s.url}/devices/${MAC}`);
  const sync = page.getByRole('button', { name: 'Sync now' });
  await sync.waitFor();
  t.false(await sync.isDisabled());
  t.is(await page.locator('#sync-why').textContent(), '');
});
