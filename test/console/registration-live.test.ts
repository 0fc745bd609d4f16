// The extension panel, in a real browser, follows a phone from pending to
// synced to registered without a reload: the phone fetches the new secret,
// then the registrar reports its REGISTER with that secret's version; a
// later report of a wrong password shows it failing, and the devices list
// filters by registration.
import test from 'ava';
import { fetchWithDigest } from '../helpers/digest-client.ts';
import { phoneCredentials } from '../helpers/phone.ts';
import { extensionBody } from '../helpers/server.ts';
import { openBrowser, seriousViolations } from './browser.ts';
import { consoleServer, setUp } from './session-client.ts';

const MAC = '805ec0d4d5d6';
const UA = 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:d4:d5:d6';

test('pending, synced, then registered with the new secret, live on the extension panel; failing shows too', async (t) => {
  t.timeout(180_000);
  const s = await consoleServer(t, { env: { PROV_NOTIFY: 'off' } });
  const alice = await setUp(s);
  t.is((await s.api('POST', '/api/extensions', { body: extensionBody('1001', { secret: 'Live-Reg-Secret-1' }) })).status, 201);
  t.is((await s.api('POST', '/api/devices', { body: { mac: MAC, vendor: 'yealink', model: 'T46S', lines: [{ extension: '1001' }] } })).status, 201);
  const pbx = (await s.api('POST', '/api/tokens', { body: { name: 'registrar', role: 'pbx', realms: ['pbx.example.com'] } })).json.token as string;
  const creds = await phoneCredentials(s, MAC);
  const phoneFetch = async () => t.is((await fetchWithDigest(`${s.url}/prov/${MAC}.cfg`, creds, { headers: { 'user-agent': UA } })).status, 200);
  await phoneFetch();
  const report = async (result: 'ok' | 'failed', secretVersion?: number) =>
    t.is((await s.api('POST', '/pbx/v1/registrations', {
      token: pbx,
      body: { authUsername: '1001', realm: 'pbx.example.com', result, contact: 'sip:1001@127.0.0.1:5062', expires: 3600, ...(secretVersion ? { secretVersion } : {}) },
    })).status, 204);

  const browser = await openBrowser();
  t.teardown(browser.close);
  await browser.context.addCookies([{ name: 'prov_session', value: alice.cookie, url: s.url }]);
  const page = await browser.page();
  const errors: string[] = [];
  page.on('pageerror', (err) => void errors.push(err.message));
  await page.goto(`${s.url}/extensions/1001`);
  const row = page.locator(`#affected tr[data-mac="${MAC}"]`);
  await row.locator('.badge[data-status="synced"]').waitFor();
  t.is(await row.locator('[data-registration]').getAttribute('data-registration'), 'unknown');
  await report('ok', 1);
  await row.locator('[data-registration="registered"]', { hasText: 'v1' }).waitFor({ timeout: 15_000 });

  // A new secret: pending; the phone fetches it: synced; the registrar reports it in use: registered v2.
  t.is((await s.api('POST', '/api/extensions/1001/secret/generate', { body: {} })).status, 200);
  await row.locator('.badge[data-status="pending"]').waitFor({ timeout: 15_000 });
  await phoneFetch();
  await row.locator('.badge[data-status="synced"]').waitFor({ timeout: 15_000 });
  await report('ok', 2);
  await row.locator('[data-registration="registered"]', { hasText: 'v2' }).waitFor({ timeout: 15_000 });
  t.deepEqual(await seriousViolations(page), [], 'axe on the panel');

  await report('failed');
  await row.locator('[data-registration="failed"]').waitFor({ timeout: 15_000 });
  t.like((await s.api('GET', '/api/devices')).json[0].lines[0].registration, { state: 'failed' }, 'the list says it too');
  await page.goto(`${s.url}/devices`);
  await page.locator(`#devices tr[data-mac="${MAC}"]`).waitFor();
  await page.selectOption('#filter-registration', 'registered');
  t.is(await page.locator(`#devices tr[data-mac="${MAC}"]`).count(), 0);
  await page.selectOption('#filter-registration', 'failed');
  await page.locator(`#devices tr[data-mac="${MAC}"] [data-registration="failed"]`).waitFor();
  t.deepEqual(await seriousViolations(page), [], 'axe on devices');
  t.deepEqual(errors, [], 'no script error on any page');
});
