// `npm run screenshots`: a PNG of each console screen in docs/screenshots/,
// taken from a throwaway server with a little data, in the same headless
// Chromium as the browser tests. Not part of `npm test`.
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { fetchWithDigest } from '../helpers/digest-client.ts';
import { phoneCredentials } from '../helpers/phone.ts';
import { extensionBody, startServer } from '../helpers/server.ts';
import { openBrowser } from './browser.ts';
import { setUp } from './session-client.ts';

const OUT = path.resolve(import.meta.dirname, '../../docs/screenshots');
const PASSWORD = 'correct horse battery';

const s = await startServer({ env: { PROV_PUBLIC_URL: 'https://prov.example.com' } });
const browser = await openBrowser({ origin: s.url });
try {
  fs.mkdirSync(OUT, { recursive: true });
  const page = await browser.page();
  const shot = async (name: string, p: Page = page) => {
    await p.waitForLoadState('networkidle');
    await p.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
    process.stdout.write(`docs/screenshots/${name}.png\n`);
  };

  await page.goto(s.url + '/');
  await page.getByLabel('Setup code').fill(s.adminToken);
  await page.getByLabel('Username').fill('alice');
  await shot('setup');

  const admin = await setUp(s, 'alice', PASSWORD);
  await admin.call('POST', '/api/users', { username: 'victor', role: 'viewer', password: 'viewer password 1' });
  await admin.call('POST', '/api/extensions', extensionBody('1001', { displayName: 'Reception', label: 'Front desk' }));
  await admin.call('POST', '/api/extensions', extensionBody('1002', { displayName: 'Sales' }));
  await admin.call('POST', '/api/extensions', extensionBody('1003', { displayName: 'Warehouse', server: { host: 'pbx.example.com', transport: 'tls' } }));
  const phones = [
    { mac: '805ec0a1b2c3', model: 'T46S', ext: '1001', ua: 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:a1:b2:c3' },
    { mac: '249ad8a1b2c4', model: 'T54W', ext: '1001', ua: 'Yealink SIP-T54W 96.86.0.100 24:9a:d8:a1:b2:c4' },
    { mac: '805ec0a1b2c5', model: 'T46S', ext: '1002', ua: 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:a1:b2:c5' },
  ];
  for (const p of phones) {
    await admin.call('POST', '/api/devices', { mac: p.mac, vendor: 'yealink', model: p.model, lines: [{ extension: p.ext }] });
    await fetchWithDigest(`${s.url}/prov/${p.mac}.cfg`, await phoneCredentials(s, p.mac), { headers: { 'user-agent': p.ua } });
  }
  await admin.call('POST', '/api/links', { extension: '1001', app: 'zoiper' });
  await fetch(`${s.url}/prov/805ec0d4e5f6.cfg`, { headers: { 'user-agent': 'Yealink SIP-T54W 96.86.0.100 80:5e:c0:d4:e5:f6' } });

  await page.goto(s.url + '/sign-in');
  await page.getByLabel('Username').fill('alice');
  await shot('sign-in');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/extensions');
  await page.locator('#extensions tbody tr').first().waitFor();
  await shot('extensions');

  await page.getByRole('link', { name: '1001', exact: true }).click();
  await page.locator('#affected tr[data-mac]').first().waitFor();
  await shot('extension-panel');
  await page.getByRole('button', { name: 'Generate new secret' }).click();
  await shot('generate-confirmation');
  await page.getByRole('dialog').getByRole('button', { name: 'Generate' }).click();
  await page.locator('#affected .badge[data-status="pending"]').first().waitFor();
  await fetchWithDigest(`${s.url}/prov/${phones[0]!.mac}.cfg`, await phoneCredentials(s, phones[0]!.mac), { headers: { 'user-agent': phones[0]!.ua } });
  await page.locator(`#affected tr[data-mac="${phones[0]!.mac}"] .badge[data-status="synced"]`).waitFor();
  await page.getByLabel('Extension Secret').fill('short');
  await shot('extension-panel-live');

  await page.goto(s.url + '/devices');
  await page.locator('#inbox li').first().waitFor();
  await shot('devices');
  await page.goto(`${s.url}/devices/${phones[0]!.mac}`);
  await page.locator('#files tbody tr').first().waitFor();
  await page.getByRole('button', { name: `Preview ${phones[0]!.mac}.cfg` }).click();
  await page.locator('#preview', { hasText: '••••••••' }).waitFor();
  await shot('device');
  await page.goto(s.url + '/links');
  await page.getByRole('button', { name: 'Create link' }).click();
  await page.locator('#link-qr').waitFor({ state: 'visible' });
  await shot('links');
  await page.goto(s.url + '/audit');
  await page.locator('#audit tbody tr').first().waitFor();
  await shot('audit');
  await page.goto(s.url + '/users');
  await page.locator('#users tbody tr').first().waitFor();
  await shot('users');
  await admin.call('POST', '/api/sites', { name: 'berlin', timeZone: 'Europe/Berlin', language: 'de', server: { host: 'pbx.berlin.example.com' } });
  await page.goto(s.url + '/sites');
  await page.locator('#sites tr[data-site="berlin"]').waitFor();
  await shot('sites');
  await page.goto(s.url + '/import');
  const file = 'extension,name,site,mac,vendor,model,line\n2001,Berlin desk,berlin,805ec0a1b2d0,yealink,T46S,1\n2002,Berlin lab,berlin,not-a-mac,yealink,T46S,1\n';
  await page.getByLabel('CSV file to import').setInputFiles({ name: 'berlin.csv', mimeType: 'text/csv', buffer: Buffer.from(file) });
  await page.locator('#result-heading', { hasText: 'problem' }).waitFor();
  await shot('import');

  await page.setViewportSize({ width: 375, height: 812 });
  await page.goto(s.url + '/extensions/1001');
  await page.locator('#affected tr[data-mac]').first().waitFor();
  await shot('extension-panel-narrow');
  await page.goto(s.url + '/devices');
  await page.locator('#devices tbody tr').first().waitFor();
  await shot('devices-narrow');
  await page.setViewportSize({ width: 1280, height: 900 });

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL('**/sign-in');
  await page.getByLabel('Username').fill('victor');
  await page.getByLabel('Password').fill('viewer password 1');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/extensions');
  await page.goto(s.url + '/extensions/1001');
  await page.locator('#affected tr[data-mac]').first().waitFor();
  await shot('extension-panel-viewer');
} finally {
  await browser.close();
  await s.close();
  fs.rmSync(s.dataDir, { recursive: true, force: true });
}
