// The admin's whole flow in a real browser, as one test: setup, sign in,
// create an extension and a Yealink on it, open the panel, reveal and copy
// the secret, generate a new one (shown, as the admin just made it) and watch
// the phone go pending and then synced live as it fetches, refuse a bad typed
// secret, save a good one after confirming and see the phone's next fetch carry it. axe-core checks each screen on the way.
import test from 'ava';
import type { Page } from 'playwright-core';
import { fetchWithDigest } from '../helpers/digest-client.ts';
import { phoneCredentials } from '../helpers/phone.ts';
import type { TestServer } from '../helpers/server.ts';
import { consoleServer } from './session-client.ts';
import { openBrowser, seriousViolations } from './browser.ts';
import { addExtensionAndYealink } from './screen-steps.ts';

const MAC = '805ec0a1b2c3';
const UA = 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:a1:b2:c3';

/** The phone's fetch of its credential-bearing file, authenticated as it would be. */
async function phoneFetch(s: TestServer): Promise<string> {
  const r = await fetchWithDigest(`${s.url}/prov/${MAC}.cfg`, await phoneCredentials(s, MAC), { headers: { 'user-agent': UA } });
  if (r.status !== 200) throw new Error(`phone fetch: ${r.status}`);
  const password = /^account\.1\.password = (.*)$/m.exec(r.text)?.[1];
  if (password === undefined) throw new Error('no account.1.password in the file');
  return password;
}

async function statusOf(page: Page): Promise<string | null> {
  return page.locator(`#affected tr[data-mac="${MAC}"] .badge[data-status]`).getAttribute('data-status', { timeout: 5_000 });
}

async function waitForStatus(page: Page, status: string): Promise<void> {
  await page.waitForSelector(`#affected tr[data-mac="${MAC}"] .badge[data-status="${status}"]`, { timeout: 15_000 });
}

test('setup to a typed secret on the phone, in the browser, live', async (t) => {
  // A real browser on a shared two-core machine: generous, not a speed claim.
  t.timeout(240_000);
  const s = await consoleServer(t);
  const browser = await openBrowser({ origin: s.url });
  t.teardown(browser.close);
  const page = await browser.page();
  const axe = async (screen: string) => t.deepEqual(await seriousViolations(page), [], `axe on ${screen}`);

  // Setup: / leads to it; the setup code is the admin-token file's token.
  await page.goto(s.url + '/');
  t.is(new URL(page.url()).pathname, '/setup');
  await axe('setup');
  await page.getByLabel('Setup code').fill(s.adminToken);
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create admin' }).click();
  await page.waitForURL('**/extensions');

  // Sign out, then sign in.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL('**/sign-in');
  await axe('sign-in');
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('wrong password here');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'wrong' }).waitFor();
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/extensions');
  await axe('extensions (empty)');

  // An extension, then a Yealink on it from the Devices screen.
  await addExtensionAndYealink(page, s.url, { number: '1001', displayName: 'Reception', mac: '80:5E:C0:A1:B2:C3' });
  await axe('devices');
  const first = await phoneFetch(s);

  // The list names each extension by the control that opens its panel.
  await page.goto(s.url + '/extensions');
  await page.locator('[data-summary="1001"]', { hasText: '1 synced' }).waitFor();
  await axe('extensions');
  await page.getByRole('link', { name: '1001', exact: true }).click();
  await page.waitForURL('**/extensions/1001');
  await waitForStatus(page, 'synced');
  await axe('extension panel');
  const secretField = page.getByLabel('Extension Secret');
  t.is(await secretField.inputValue(), '', 'masked: the page holds no secret before a reveal');
  t.is(await secretField.getAttribute('type'), 'password');

  // Reveal: the audited GET; the audit log names the person.
  await page.getByRole('button', { name: 'Show secret' }).click();
  await page.getByRole('button', { name: 'Hide secret' }).waitFor();
  t.is(await secretField.inputValue(), first);
  t.is(await secretField.getAttribute('type'), 'text');
  const reveal = (await s.api('GET', '/api/audit?action=secret.revealed&limit=1')).json[0];
  t.like(reveal, { actor: 'user:alice', target: 'extension:1001' });
  await page.getByRole('button', { name: 'Hide secret' }).click();
  t.is(await secretField.getAttribute('type'), 'password');

  // Copy: the clipboard holds it, and it is audited like a reveal.
  await page.getByRole('button', { name: 'Copy secret' }).click();
  await page.locator('#flash', { hasText: 'copied' }).waitFor();
  t.is(await page.evaluate(() => navigator.clipboard.readText()), first);
  t.like((await s.api('GET', '/api/audit?action=secret.revealed&limit=1')).json[0], { actor: 'user:alice', details: { via: 'copy' } });

  // Generate: the confirmation names what will be re-provisioned.
  await page.evaluate(() => ((window as any).stayedOnPage = true));
  await page.getByRole('button', { name: 'Generate new secret' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  t.regex(await dialog.innerText(), /1 phone and 0 softphone links/);
  await axe('generate confirmation');
  await dialog.getByRole('button', { name: 'Generate' }).click();
  await waitForStatus(page, 'pending');
  await page.getByRole('button', { name: 'Hide secret' }).waitFor();
  const generated = await phoneFetch(s);
  t.not(generated, first);
  t.is(await secretField.inputValue(), generated, 'the new secret is shown: the admin has just made it');
  await waitForStatus(page, 'synced');
  t.true(await page.evaluate(() => (window as any).stayedOnPage === true), 'synced arrived without a reload');
  t.is(await statusOf(page), 'synced');

  // A typed secret that breaks the rules: inline error, nothing saved.
  const before = (await s.api('GET', '/api/extensions/1001')).json.secretVersion;
  await secretField.fill('short');
  await page.locator('#secret-error', { hasText: '8 to 64' }).waitFor();
  t.is(await secretField.getAttribute('aria-invalid'), 'true');
  await page.getByRole('button', { name: 'Save' }).click();
  t.is((await s.api('GET', '/api/extensions/1001')).json.secretVersion, before, 'nothing was saved');
  t.is(await phoneFetch(s), generated);

  // A good one: saved, and the phone's next fetch carries it.
  const typed = 'Typed & "quoted" <secret> 42';
  await secretField.fill(typed);
  t.is(await page.locator('#secret-error').innerText(), '');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Save secret' }).click();
  await page.locator('#flash', { hasText: 'Secret saved' }).waitFor();
  await waitForStatus(page, 'pending');
  t.is((await s.api('GET', '/api/extensions/1001')).json.secretVersion, before + 1);
  t.is(await phoneFetch(s), typed);
  await waitForStatus(page, 'synced');
  t.true(await page.evaluate(() => (window as any).stayedOnPage === true));
});
