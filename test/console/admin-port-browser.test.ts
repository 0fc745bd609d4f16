// The console on its own port (PROV_ADMIN_PORT), in a real browser, with two
// phone workers: setup and sign-in, an extension and a Yealink made on the
// screens, and a new secret watched going pending → synced live while the
// phone fetches on the phones' port. The console's live stream is the
// primary's, which hears the workers' fetches.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { listeners, startProcess } from '../helpers/process.ts';
import { tempDir } from '../helpers/server.ts';
import { openBrowser } from './browser.ts';
import { addExtensionAndYealink } from './screen-steps.ts';

const MAC = '805ec0a1b2c4';
const UA = 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:a1:b2:c4';

test('the console on the admin port, with workers: a new secret goes pending, then synced as the phone fetches', async (t) => {
  t.timeout(240_000);
  const dataDir = tempDir();
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const s = await startProcess(
    { PROV_DATA_DIR: dataDir, PROV_WORKERS: '2', PROV_ADMIN_PORT: '0', PROV_ADMIN_HOST: '127.0.0.1', PROV_ALLOW_BASIC_OVER_HTTP: 'true', PROV_SWEEP_MINUTES: '0' },
    120_000,
  );
  t.teardown(() => s.stop());
  const { admin } = await listeners(s, 2, true);
  const adminUrl = `http://127.0.0.1:${admin!.port}`;
  const setupCode = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();

  const browser = await openBrowser();
  t.teardown(browser.close);
  const page = await browser.page();
  await page.goto(adminUrl + '/');
  t.is(new URL(page.url()).pathname, '/setup');
  await page.getByLabel('Setup code').fill(setupCode);
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create admin' }).click();
  await page.waitForURL('**/extensions');

  await addExtensionAndYealink(page, adminUrl, { number: '1001', mac: '80:5E:C0:A1:B2:C4' });

  // The phone, on the phones' port, with the credentials the API gives an admin.
  const creds = await (await fetch(`${adminUrl}/api/devices/${MAC}/credentials`, { headers: { authorization: `Bearer ${setupCode}` } })).json() as { user: string; password: string };
  const basic = `Basic ${Buffer.from(`${creds.user}:${creds.password}`).toString('base64')}`;
  const phoneFetch = async () => {
    const r = await fetch(`${s.url}/prov/${MAC}.cfg`, { headers: { authorization: basic, 'user-agent': UA } });
    t.is(r.status, 200);
    return /^account\.1\.password = (.*)$/m.exec(await r.text())?.[1];
  };
  t.is((await fetch(`${s.url}/extensions`)).status, 404, 'no console on the phones\' port');

  await page.goto(adminUrl + '/extensions/1001');
  const status = (st: string) => page.waitForSelector(`#affected tr[data-mac="${MAC}"] .badge[data-status="${st}"]`, { timeout: 15_000 });
  const first = await phoneFetch();
  await status('synced');
  await page.evaluate(() => ((window as any).stayedOnPage = true));
  await page.getByRole('button', { name: 'Generate new secret' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Generate' }).click();
  await status('pending');
  const generated = await phoneFetch();
  t.truthy(generated);
  t.not(generated, first);
  await status('synced');
  t.true(await page.evaluate(() => (window as any).stayedOnPage === true), 'synced arrived live, without a reload');
});
