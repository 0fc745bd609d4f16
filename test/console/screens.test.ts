// The console's other promises, in a real browser: a viewer sees no secret
// controls and the API refuses them; no page's first HTML, list answer or
// live event carries a secret; a cross-site POST with the session cookie is
// refused; a detected phone is assigned from the inbox; every screen passes
// axe-core, on a narrow screen too, and the secret controls work by keyboard.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { phoneCredentials } from '../helpers/phone.ts';
import { extensionBody } from '../helpers/server.ts';
import { openBrowser, seriousViolations } from './browser.ts';
import { consoleServer, send, setUp, signIn } from './session-client.ts';

const ADMIN_PASSWORD = 'correct horse battery';
const VIEWER_PASSWORD = 'viewer password 1';
const YEA = '805ec0a1b2c3';
const DETECTED = '805ec0d4e5f6';

test('viewer, secret scans, cross-site POST, inbox assign and axe on every screen', async (t) => {
  // A real browser on a shared two-core machine: generous, not a speed claim.
  t.timeout(240_000);
  const s = await consoleServer(t);
  const admin = await setUp(s, 'alice', ADMIN_PASSWORD);
  t.is((await admin.call('POST', '/api/users', { username: 'victor', role: 'viewer', password: VIEWER_PASSWORD })).status, 201);
  t.is((await admin.call('POST', '/api/extensions', extensionBody('1001', { secret: 'Known-Secret-1001' }))).status, 201);
  t.is((await admin.call('POST', '/api/extensions', extensionBody('1002'))).status, 201);
  t.is((await admin.call('POST', '/api/devices', { mac: YEA, vendor: 'yealink', model: 'T46S', lines: [{ extension: '1001' }] })).status, 201);
  const link = await admin.call('POST', '/api/links', { extension: '1001', app: 'zoiper' });
  t.is(link.status, 201);
  const token = await admin.call('POST', '/api/tokens', { name: 'script', role: 'viewer' });
  // A phone nobody has mapped asks for its file: it lands in the inbox.
  t.is((await fetch(`${s.url}/prov/${DETECTED}.cfg`, { headers: { 'user-agent': 'Yealink SIP-T54W 96.86.0.100 80:5e:c0:d4:e5:f6' } })).status, 404);

  const secrets = [
    'Known-Secret-1001',
    (await s.api('GET', '/api/extensions/1002/secret')).json.secret,
    (await phoneCredentials(s, YEA)).password,
    (await phoneCredentials(s, DETECTED)).password,
    link.json.url.split('/sp/')[1],
    token.json.token,
    s.adminToken,
    ADMIN_PASSWORD,
    VIEWER_PASSWORD,
  ];
  const leaks = (text: string) => secrets.filter((x) => text.includes(x));

  // Every page's first HTML and every list answer, for both roles.
  const viewer = await signIn(s, 'victor', VIEWER_PASSWORD);
  const pages = ['/extensions', '/extensions/1001', '/devices', `/devices/${YEA}`, '/sites', '/links', '/import', '/audit', '/users'];
  const lists = [
    '/api/extensions', '/api/extensions/1001', '/api/devices', `/api/devices/${YEA}`, `/api/devices/${YEA}/files`,
    '/api/links', '/api/tokens', '/api/users', '/api/audit?limit=1000', '/api/profiles', '/api/session', '/api/sites', '/api/export.csv',
  ];
  const signInPage = await send(s, 'GET', '/sign-in');
  t.is(signInPage.status, 200);
  t.deepEqual(leaks(signInPage.text), []);
  for (const who of [admin, viewer]) {
    for (const p of [...pages, ...lists]) {
      const r = await who.call('GET', p);
      t.true(r.status === 200 || r.status === 403, `${p}: ${r.status}`);
      t.deepEqual(leaks(r.text), [], `${p} as ${who === admin ? 'admin' : 'viewer'}`);
    }
  }
  const masked = await admin.call('GET', `/api/devices/${YEA}/files/${YEA}.cfg?masked=true`);
  t.is(masked.status, 200);
  t.regex(masked.text, /account\.1\.password = ••••••••/);
  t.deepEqual(leaks(masked.text), [], 'a masked preview has no secret');

  // The viewer: the API refuses every secret route.
  for (const [method, p, body] of [
    ['GET', '/api/extensions/1001/secret'],
    ['GET', '/api/extensions/1001/secret?purpose=copy'],
    ['PUT', '/api/extensions/1001/secret', { secret: 'Viewer-Wants-This-1' }],
    ['POST', '/api/extensions/1001/secret/generate'],
    ['GET', `/api/devices/${YEA}/credentials`],
    ['GET', `/api/devices/${YEA}/files/${YEA}.cfg?masked=true`],
  ] as [string, string, unknown?][]) {
    t.is((await viewer.call(method, p, body)).status, 403, `${method} ${p}`);
  }

  // A cross-site POST with the session cookie: refused, nothing created.
  const evil = http.createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><title>elsewhere</title><p>elsewhere</p>');
  });
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => evil.close(() => resolve())));
  const evilUrl = `http://localhost:${(evil.address() as AddressInfo).port}`;
  const crossSite = await send(s, 'POST', '/api/extensions', extensionBody('6666'), {
    cookie: `prov_session=${admin.cookie}`,
    origin: evilUrl,
    'sec-fetch-site': 'cross-site',
  });
  t.is(crossSite.status, 403);
  t.is(crossSite.json.error.code, 'cross-site-request');

  const browser = await openBrowser({ origin: s.url });
  t.teardown(browser.close);
  const page = await browser.page();
  const axe = async (screen: string) => t.deepEqual(await seriousViolations(page), [], `axe on ${screen}`);

  const signInAs = async (username: string, password: string) => {
    await page.goto(s.url + '/sign-in');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/extensions');
  };

  // The same attempt from a page on another site in the browser itself.
  await signInAs('alice', ADMIN_PASSWORD);
  await page.goto(evilUrl);
  await page.evaluate(async (target) => {
    await fetch(`${target}/api/extensions`, {
      method: 'POST',
      mode: 'no-cors',
      credentials: 'include',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ number: '6667', server: { host: 'evil.example' } }),
    }).catch(() => {});
  }, s.url);
  t.deepEqual((await s.api('GET', '/api/extensions')).json.map((x: any) => x.number), ['1001', '1002'], 'nothing created cross-site');

  // The inbox: the detected phone is assigned.
  await page.goto(s.url + '/devices');
  const item = page.locator(`#inbox li[data-mac="${DETECTED}"]`);
  await item.waitFor();
  await axe('devices with the inbox');
  await item.getByRole('button', { name: 'Assign 80:5e:c0:d4:e5:f6' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Extension for line 1').selectOption('1002');
  await axe('assign dialog');
  await dialog.getByRole('button', { name: 'Assign' }).click();
  await page.locator('#flash', { hasText: 'assigned to 1002' }).waitFor();
  t.like((await s.api('GET', `/api/devices/${DETECTED}`)).json.lines, [{ line: 1, extension: '1002' }]);
  t.is(await page.locator(`#inbox li[data-mac="${DETECTED}"]`).count(), 0, 'it left the inbox');

  // Search by MAC in another notation, with the filters.
  await page.getByLabel('Search by MAC').fill('805E.C0A1');
  await page.locator('#devices tbody tr').first().waitFor();
  t.deepEqual(await page.locator('#devices tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-mac'))), [YEA]);
  await page.getByLabel('Search by MAC').fill('');
  await page.getByLabel('Filter by status').selectOption('never');
  t.is(await page.locator('#devices tbody tr').count(), 2);

  // The other screens, as admin.
  await page.goto(`${s.url}/devices/${YEA}`);
  await page.locator('#files tbody tr').first().waitFor();
  await page.getByRole('button', { name: `Preview ${YEA}.cfg` }).click();
  await page.locator('#preview', { hasText: '••••••••' }).waitFor();
  t.deepEqual(leaks(await page.content()), [], 'the masked preview shows no secret');
  await axe('device detail');
  await page.goto(s.url + '/links');
  await page.getByLabel('Extension').selectOption('1002');
  await page.getByRole('button', { name: 'Create link' }).click();
  await page.locator('#link-url').waitFor({ state: 'visible' });
  t.regex(await page.locator('#link-url').inputValue(), /\/sp\//);
  await axe('links');
  await page.goto(s.url + '/audit');
  await page.locator('#audit tbody tr').first().waitFor();
  await axe('audit');
  await page.goto(s.url + '/users');
  await page.locator('#users tbody tr').first().waitFor();
  await axe('users');

  // Keyboard: from the secret field, Tab reaches Show secret, Enter reveals.
  await page.goto(s.url + '/extensions/1001');
  await page.locator('#affected tr[data-mac]').first().waitFor();
  await page.getByLabel('Extension Secret').focus();
  await page.keyboard.press('Tab');
  t.is(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Show secret');
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Hide secret' }).waitFor();
  t.is(await page.getByLabel('Extension Secret').inputValue(), 'Known-Secret-1001');

  // A narrow screen.
  await page.setViewportSize({ width: 360, height: 740 });
  await page.reload();
  await page.locator('#affected tr[data-mac]').first().waitFor();
  await axe('extension panel, narrow');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  t.true(overflow <= 0, `no sideways scrolling on a narrow screen (${overflow}px)`);
  await page.setViewportSize({ width: 1280, height: 900 });

  // The viewer's screens: no reveal, copy or change controls at all.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL('**/sign-in');
  await signInAs('victor', VIEWER_PASSWORD);
  await page.locator('#extensions tbody tr').first().waitFor();
  t.is(await page.getByRole('button', { name: 'Create extension' }).count(), 0);
  await axe('extensions as viewer');
  await page.getByRole('link', { name: '1001', exact: true }).click();
  await page.locator('#affected tr[data-mac]').first().waitFor();
  for (const name of ['Show secret', 'Hide secret', 'Copy secret', 'Generate new secret', 'Save']) {
    t.is(await page.getByRole('button', { name }).count(), 0, `no ${name} for a viewer`);
  }
  t.is(await page.getByLabel('Extension Secret').count(), 0);
  await axe('extension panel as viewer');
  await page.goto(s.url + '/devices');
  await page.locator('#devices tbody tr').first().waitFor();
  t.is(await page.getByRole('button', { name: 'Add device' }).count(), 0);
  await page.goto(`${s.url}/devices/${YEA}`);
  await page.locator('#state dd').first().waitFor();
  t.is(await page.getByRole('button', { name: 'Show credentials' }).count(), 0);
  t.is(await page.getByRole('button', { name: /Preview/ }).count(), 0);
  await axe('device as viewer');
  const forbidden = await page.goto(s.url + '/users');
  t.is(forbidden?.status(), 403);
  await axe('forbidden page');
});
