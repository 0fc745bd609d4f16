// Export from the console in a real browser: the Extensions list's Export
// CSV downloads the file the API answers; Export with secrets asks first,
// Cancel fetches nothing, and going ahead downloads the secrets and is
// audited exactly once. Viewers get the plain export only.
import fs from 'node:fs';
import test from 'ava';
import type { Download, Page } from 'playwright-core';
import { auditMark, auditSince, noSeriousViolations, signedInPage } from './first-hour-steps.ts';
import { consoleServer, setUp, signIn } from './session-client.ts';

const FLEET = [
  'extension,name,secret,server,mac,vendor,model,line',
  '1001,Reception,Known-Secret-1001,pbx.example.com,805ec0000001,yealink,T46S,1',
  '1002,Sales,Known-Secret-1002,pbx.example.com,805ec0000001,yealink,T46S,2',
  '1003,Warehouse,Known-Secret-1003,pbx.example.com:5070,0004f2000002,polycom,VVX_410,1',
  '1004,Home office,Known-Secret-1004,pbx.example.com,,,,',
].join('\n');

async function downloaded(page: Page, click: () => Promise<void>): Promise<{ download: Download; text: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  return { download, text: fs.readFileSync((await download.path())!, 'utf8') };
}

const rowsOf = (csv: string) => csv.replace(/^\ufeff/, '').trim().split(/\r\n/);

test('Export CSV downloads what the API exports; with secrets asks first and is audited once', async (t) => {
  t.timeout(240_000);
  const s = await consoleServer(t);
  const admin = await setUp(s);
  t.is((await admin.call('POST', '/api/users', { username: 'victor', role: 'viewer', password: 'viewer password 1' })).status, 201);
  const imported = await s.api('POST', '/api/import', { raw: FLEET, headers: { 'content-type': 'text/csv' } });
  t.is(imported.status, 200, imported.text);
  const page = await signedInPage(t, s, admin);
  await page.goto(s.url + '/extensions');
  await page.locator('#extensions tbody tr').nth(3).waitFor();

  const plain = await downloaded(page, () => page.getByRole('link', { name: 'Export CSV' }).click());
  t.is(plain.download.suggestedFilename(), 'provisioning-export.csv');
  // fetch() drops the byte order mark the file keeps for spreadsheets.
  const api = { text: '\ufeff' + (await s.api('GET', '/api/export.csv')).text };
  t.is(plain.text, api.text, 'the file is the API\'s export');
  const rows = rowsOf(plain.text);
  t.is(rows.length, 1 + 4, 'the header, three phone lines and the extension without a phone');
  t.true(rows.some((r) => r.startsWith('1002,Sales,1002,,pbx.example.com:5060,udp,default,805ec0000001,yealink,T46S,2')), rows.join('\n'));
  t.false(plain.text.includes('Known-Secret'), 'no secret without asking');
  t.deepEqual((await s.api('GET', '/api/audit?action=export.secrets')).json, []);

  // With secrets: a confirmation first; Cancel downloads and audits nothing.
  const mark = await auditMark(s);
  await page.getByRole('button', { name: 'Export with secrets' }).click();
  const dialog = page.getByRole('dialog');
  t.regex(await dialog.innerText(), /every extension's SIP secret in clear text[\s\S]*written to the audit log/);
  await noSeriousViolations(t, page, 'the export confirmation');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  t.is(await page.evaluate(() => document.activeElement?.id), 'export-secrets', 'focus back on the button');
  t.deepEqual(await auditSince(s, mark), []);

  await page.getByRole('button', { name: 'Export with secrets' }).click();
  const secret = await downloaded(page, () => dialog.getByRole('button', { name: 'Download with secrets' }).click());
  t.is(secret.download.suggestedFilename(), 'provisioning-export-with-secrets.csv');
  t.true(rowsOf(secret.text).some((r) => r.startsWith('1001,Reception,1001,Known-Secret-1001,')));
  t.is(rowsOf(secret.text).length, rows.length);
  await page.locator('#flash', { hasText: 'written to the audit log' }).waitFor();
  const audited = (await s.api('GET', '/api/audit?action=export.secrets')).json;
  t.is(audited.length, 1, 'audited once');
  t.like(audited[0], { actor: 'user:alice', target: 'export' });

  // The Import page has the same actions.
  await page.goto(s.url + '/import');
  const again = await downloaded(page, () => page.getByRole('link', { name: 'Export CSV' }).click());
  t.is(again.text, api.text);
  t.is(await page.getByRole('button', { name: 'Export with secrets' }).count(), 1);

  // A viewer exports without secrets and is offered nothing more.
  const viewer = await signIn(s, 'victor', 'viewer password 1');
  const viewerPage = await signedInPage(t, s, viewer);
  await viewerPage.goto(s.url + '/extensions');
  await viewerPage.locator('#extensions tbody tr').nth(3).waitFor();
  t.is(await viewerPage.getByRole('button', { name: 'Export with secrets' }).count(), 0);
  const theirs = await downloaded(viewerPage, () => viewerPage.getByRole('link', { name: 'Export CSV' }).click());
  t.is(theirs.text, api.text);
  t.is((await s.api('GET', '/api/audit?action=export.secrets')).json.length, 1, 'still once');
});
