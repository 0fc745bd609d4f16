// Adding a device in a real browser: the form offers every desk-phone vendor
// and its models from the profiles (GET /api/profiles), under the names
// their makers write, and a row per line for a multi-line phone, never more
// rows than the phone has lines; the list and the inbox show the same names.
import test from 'ava';
import { extensionBody } from '../helpers/server.ts';
import { openBrowser, seriousViolations } from './browser.ts';
import { consoleServer, setUp } from './session-client.ts';

const ADMIN_PASSWORD = 'correct horse battery';

test('the add-device form: vendors and models from the profiles, several lines for a multi-line phone', async (t) => {
  t.timeout(180_000);
  const s = await consoleServer(t);
  const admin = await setUp(s, 'alice', ADMIN_PASSWORD);
  for (const number of ['1001', '1002', '1003']) t.is((await admin.call('POST', '/api/extensions', extensionBody(number))).status, 201);
  // An unknown Snom asks for its file: the inbox names its maker.
  t.is((await fetch(`${s.url}/prov/000413A1B2C3.xml`, { headers: { 'user-agent': 'Mozilla/4.0 (compatible; snomD785-SIP 10.1.46.16 000413A1B2C3)' } })).status, 404);

  const browser = await openBrowser({ origin: s.url });
  t.teardown(browser.close);
  const page = await browser.page();
  await page.goto(s.url + '/sign-in');
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/extensions');
  await page.goto(s.url + '/devices');
  await page.locator('#inbox li[data-mac="000413a1b2c3"]', { hasText: 'Snom D785' }).waitFor();

  const vendor = page.getByLabel('Vendor', { exact: true });
  const offered = await vendor.locator('option').evaluateAll((os) => os.map((o) => [(o as HTMLOptionElement).value, o.textContent]));
  t.deepEqual(offered, [
    ['cisco', 'Cisco'],
    ['fanvil', 'Fanvil'],
    ['grandstream', 'Grandstream'],
    ['polycom', 'Polycom / Poly'],
    ['snom', 'Snom'],
    ['yealink', 'Yealink'],
  ]);
  await vendor.selectOption('grandstream');
  const models = await page.getByLabel('Model').locator('option').allTextContents();
  t.true(models.includes('GRP2614 (4 lines)'), models.join(', '));
  t.true(models.includes('GXP2170 (6 lines)'));
  await page.getByLabel('Model').selectOption('GRP2613');

  await page.getByLabel('MAC address').fill('C0:74:AD:1A:2B:3C');
  const add = page.getByRole('button', { name: 'Add a line' });
  await add.click();
  await add.click();
  t.true(await add.isDisabled(), 'a GRP2613 has three lines');
  await page.getByLabel('Line 1 extension').selectOption('1001');
  await page.getByLabel('Line 2 extension').selectOption('1002');
  await page.getByLabel('Line 3 extension').selectOption('1003');
  t.deepEqual(await seriousViolations(page), [], 'axe on the form with three lines');

  // A smaller model keeps only the rows it has room for.
  await page.getByLabel('Model').selectOption('GRP2612');
  t.is(await page.locator('#d-lines .line').count(), 2);
  await page.getByLabel('Model').selectOption('GRP2613');
  await add.click();
  await page.getByLabel('Line 3 extension').selectOption('1003');
  await page.getByRole('button', { name: 'Add device' }).click();
  const row = page.locator('#devices tr[data-mac="c074ad1a2b3c"]');
  await row.waitFor();
  t.regex((await row.textContent()) ?? '', /Grandstream GRP2613.*1: 1001, 2: 1002, 3: 1003/);
  const made = (await s.api('GET', '/api/devices/c074ad1a2b3c')).json;
  t.like(made, { vendor: 'grandstream', model: 'GRP2613' });
  t.deepEqual(made.lines.map(({ line, extension }: { line: number; extension: string }) => ({ line, extension })), [
    { line: 1, extension: '1001' },
    { line: 2, extension: '1002' },
    { line: 3, extension: '1003' },
  ]);
  t.is(await page.locator('#d-lines .line').count(), 1, 'the form starts over with one line');
});
