// The moment between a page's first read and its live stream listening, in a
// real browser. The stream is held back while a phone fetches and someone
// else edits the extension, and the admin starts typing; once the stream
// opens, the page shows both changes at once (not at the slow re-read a
// minute later), and what the admin was typing is still there to be saved.
import test from 'ava';
import { fetchWithDigest } from '../helpers/digest-client.ts';
import { phoneCredentials } from '../helpers/phone.ts';
import { extensionBody } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';
import { openBrowser } from './browser.ts';
import { consoleServer, setUp } from './session-client.ts';

const MAC = '805ec0a1b2c5';
const UA = 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:a1:b2:c5';

test('what changed before the live stream listened shows once it opens, and an edit in progress is kept', async (t) => {
  // A real browser on a shared two-core machine: generous, not a speed claim.
  t.timeout(240_000);
  const s = await consoleServer(t);
  const admin = await setUp(s);
  t.is((await admin.call('POST', '/api/extensions', extensionBody('1001', { displayName: 'Desk' }))).status, 201);
  t.is((await admin.call('POST', '/api/devices', { mac: MAC, vendor: 'yealink', model: 'T46S', lines: [{ extension: '1001' }] })).status, 201);

  const browser = await openBrowser();
  t.teardown(browser.close);
  await browser.context.addCookies([{ name: 'prov_session', value: admin.cookie, url: s.url }]);
  const page = await browser.page();
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let streams = 0;
  await page.route('**/api/events', async (route) => {
    streams++;
    await held;
    await route.continue();
  });

  await page.goto(`${s.url}/extensions/1001`);
  const badge = page.locator(`#affected tr[data-mac="${MAC}"] .badge[data-status]`);
  t.is(await badge.getAttribute('data-status', { timeout: 15_000 }), 'never');
  await until('the page asks for its event stream', () => streams > 0);

  // While the stream is held: another admin edits the label, the phone fetches what that rendered, this admin types a name.
  t.is((await admin.call('PATCH', '/api/extensions/1001', { label: 'Front desk' })).status, 200);
  const r = await fetchWithDigest(`${s.url}/prov/${MAC}.cfg`, await phoneCredentials(s, MAC), { headers: { 'user-agent': UA } });
  t.is(r.status, 200);
  await page.getByLabel('Display name').fill('Reception');
  t.is(await badge.getAttribute('data-status'), 'never', 'nothing reached the page before its stream opened');

  release();
  await page.waitForSelector(`#affected tr[data-mac="${MAC}"] .badge[data-status="synced"]`, { timeout: 15_000 });
  await page.waitForFunction(() => (document.querySelector('#f-label') as HTMLInputElement).value === 'Front desk', null, { timeout: 15_000 });
  t.is(await page.getByLabel('Display name').inputValue(), 'Reception', 'the re-read left the field being edited alone');

  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#flash').filter({ hasText: 'Saved' }).waitFor({ timeout: 15_000 });
  const stored = (await s.api('GET', '/api/extensions/1001')).json as { displayName: string; label: string | null };
  t.deepEqual({ displayName: stored.displayName, label: stored.label }, { displayName: 'Reception', label: 'Front desk' });
});
