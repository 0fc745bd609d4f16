// The Import page in a real browser against a real server: a 200-row file
// checked (counts, its rows), applied with progress shown, and then on the
// Extensions list and the API; a file with three bad rows dropped on the
// page, each problem on its row and column, Apply off and nothing written;
// the template and the help's example; files refused whole, at the header
// or at Apply; a narrow screen; viewers kept out; axe throughout.
import fs from 'node:fs';
import test from 'ava';
import type { Page } from 'playwright-core';
import { COLUMNS } from '../../server/provisioning/bulk/csv-cells.ts';
import { noSeriousViolations, signedInPage } from './first-hour-steps.ts';
import { BAD_CELLS, badCsv, chooseFile, dropFile, fleetCsv, fleetDevice } from './import-files.ts';
import { consoleServer, send, setUp, signIn } from './session-client.ts';

/** Every data-phase the progress box takes from now on, as the page shows them. */
async function watchPhases(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as any).phases = seen;
    const box = document.querySelector('#progress-box')!;
    new MutationObserver(() => {
      const phase = (box as HTMLElement).dataset.phase ?? '';
      if (phase && seen.at(-1) !== phase) seen.push(phase);
    }).observe(box, { attributes: true, attributeFilter: ['data-phase'] });
  });
  return () => page.evaluate(() => (window as any).phases as string[]);
}

const count = (page: Page, kind: string, what: string) => page.locator(`#counts tr[data-kind="${kind}"] td[data-count="${what}"]`).innerText();

test('a 200-row file checked, then applied with progress; a file with three bad rows shows each on its cell and writes nothing', async (t) => {
  // A real browser and 500 rows on a shared two-core machine: generous, not a speed claim.
  t.timeout(300_000);
  const s = await consoleServer(t);
  const admin = await setUp(s);
  const page = await signedInPage(t, s, admin);

  await page.goto(s.url + '/import');
  t.is(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Import' }).getAttribute('aria-current'), 'page');
  await noSeriousViolations(t, page, 'the Import page');

  // The check: counts, the first rows of a file this long, nothing written yet, focus on the answer.
  await chooseFile(page, 'fleet.csv', fleetCsv());
  await page.locator('#result-heading', { hasText: 'Check of fleet.csv: ready to apply' }).waitFor();
  t.is(await count(page, 'extensions', 'created'), '200');
  t.is(await count(page, 'devices', 'created'), '150');
  t.is(await count(page, 'extensions', 'updated'), '0');
  t.true(await page.locator('#errors-box').isHidden(), 'no problems table');
  t.is(await page.locator('#rows tbody tr[data-row]').count(), 20, 'a long file shows its first rows, not all of them');
  t.regex(await page.locator('#rows tbody tr.gap').innerText(), /180 rows/);
  t.is(await page.locator('#rows tbody tr[data-row="2"] td[data-column="MAC"]').innerText(), '80:5E:C0:00:00:00');
  t.is(await page.evaluate(() => document.activeElement?.id), 'result-heading', 'focus moves to the answer');
  t.false(await page.getByRole('button', { name: 'Apply' }).isDisabled());
  t.deepEqual((await s.api('GET', '/api/extensions')).json, [], 'a check writes nothing');
  await noSeriousViolations(t, page, 'the Import page after a check');

  // Apply: the same file sent for real, its upload and then the writing shown.
  const phases = await watchPhases(page);
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.locator('#result-heading', { hasText: 'Imported fleet.csv' }).waitFor();
  t.deepEqual(await phases(), ['sending', 'applying']);
  t.true(await page.locator('#progress-box').isHidden(), 'the progress goes once it is done');
  t.is(await count(page, 'extensions', 'created'), '200');
  t.is(await count(page, 'devices', 'created'), '150');
  t.regex(await page.locator('#flash').innerText(), /fleet\.csv is imported: 200 extensions created, 150 devices created/);
  t.true(await page.getByRole('button', { name: 'Apply' }).isDisabled(), 'one file is applied once');
  t.is(await page.evaluate(() => document.activeElement?.id), 'result-heading');

  const extensions = (await s.api('GET', '/api/extensions?limit=1000')).json as { number: string; displayName: string }[];
  t.is(extensions.length, 200);
  t.like(extensions.find((e) => e.number === '2150'), { displayName: 'Desk 2150' });
  const devices = (await s.api('GET', '/api/devices?limit=1000')).json as { mac: string; vendor: string; model: string; lines: { line: number; extension: string }[] }[];
  t.is(devices.length, 150);
  t.is(devices.filter((d) => d.vendor === 'polycom').length, 75);
  const first = devices.find((d) => d.mac === fleetDevice(0).mac)!;
  t.like(first, { vendor: 'yealink', model: 'T46S' });
  t.deepEqual(first.lines.map((l) => [l.line, l.extension]), [[1, '2000'], [2, '2150']], 'a phone on two lines');
  t.is(devices.filter((d) => d.lines.length === 2).length, 20);
  t.is((await s.api('GET', '/api/audit?action=import.applied')).json.length, 1, 'audited once');

  await page.getByRole('link', { name: 'See the extensions' }).click();
  await page.waitForURL('**/extensions');
  await page.locator('#extensions tbody tr').nth(199).waitFor();
  t.is(await page.locator('#extensions tbody tr').count(), 200, 'the Extensions list shows every one');
  await page.locator('#extensions tbody tr', { hasText: '2000' }).first().locator('td[data-summary]', { hasText: '1 never fetched' }).waitFor();

  // A longer file with three bad rows, dropped on the page.
  await page.goto(s.url + '/import');
  await dropFile(page, 'temps.csv', badCsv());
  await page.locator('#result-heading', { hasText: 'Check of temps.csv: 3 problems' }).waitFor();
  const listed = await page.locator('#errors tbody tr').evaluateAll((rows) =>
    rows.map((r) => ({ row: Number(r.getAttribute('data-row')), column: r.getAttribute('data-column'), code: r.querySelector('code')?.textContent })));
  t.deepEqual(listed, BAD_CELLS.map((c) => ({ ...c })));
  for (const { row, column, code } of BAD_CELLS) {
    const cell = page.locator(`#rows tbody tr[data-row="${row}"] td[data-column="${column}"]`);
    t.is(await cell.getAttribute('class'), 'bad', `row ${row}, ${column}`);
    t.regex(await cell.innerText(), new RegExp(code));
    t.is(await page.locator(`#rows tbody tr[data-row="${row}"] td.bad`).count(), 1, `only ${column} is marked on row ${row}`);
    // Its neighbours are there for context, and the problem's row number leads to it.
    t.is(await page.locator(`#rows tbody tr[data-row="${row - 1}"]`).count(), 1);
    t.is(await page.locator(`#errors tbody tr[data-row="${row}"] a`).getAttribute('href'), `#row-${row}`);
  }
  t.true((await page.locator('#rows tbody tr[data-row]').count()) <= 9, 'problems and neighbours only, not 300 rows');
  t.is(await page.locator('#rows tbody tr.gap').count(), 4);
  const apply = page.getByRole('button', { name: 'Apply' });
  t.true(await apply.isDisabled());
  t.regex(await page.locator('#apply-hint').innerText(), /off until the file has no problems/);
  await noSeriousViolations(t, page, 'the Import page with problems');
  t.is((await s.api('GET', '/api/extensions/3000')).status, 404, 'nothing of the bad file is written');
  t.is(((await s.api('GET', '/api/extensions?limit=1000')).json as unknown[]).length, 200);
  t.is((await s.api('GET', '/api/audit?action=import.applied')).json.length, 1);
});

test('the template, the help\'s example, refusals said plainly (a whole file, a header, an apply the server turns down), narrow screens, and viewers kept out', async (t) => {
  t.timeout(240_000);
  const s = await consoleServer(t);
  const admin = await setUp(s);
  t.is((await admin.call('POST', '/api/users', { username: 'victor', role: 'viewer', password: 'viewer password 1' })).status, 201);
  const page = await signedInPage(t, s, admin);
  await page.goto(s.url + '/import');

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download a template' }).click()]);
  t.is(download.suggestedFilename(), 'provisioning-template.csv');
  t.is(fs.readFileSync((await download.path())!, 'utf8'), `\ufeff${COLUMNS.join(',')}\r\n`, 'every column the server reads, in its order');

  const example = await page.locator('#help-heading ~ pre').innerText();
  const checked = await s.api('POST', '/api/import?dryRun=true', { raw: example, headers: { 'content-type': 'text/csv' } });
  t.is(checked.status, 200);
  t.like(checked.json, { errors: [], extensions: { created: 4 }, devices: { created: 2 } });

  // A file the server refuses whole is said plainly, and nothing is shown as checked.
  await chooseFile(page, 'empty.csv', '');
  await page.locator('#import-error', { hasText: 'The file was not taken: the file is empty' }).waitFor();
  t.true(await page.locator('#result').isHidden());
  // A header problem is row 1's, marked on the header cell.
  await chooseFile(page, 'notes.csv', 'extension,server,colour\n1001,pbx.example.com,blue\n');
  await page.locator('#result-heading', { hasText: '1 problem' }).waitFor();
  t.is(await page.locator('#import-error').innerText(), '');
  t.regex(await page.locator('#rows thead th.bad').innerText(), /colour\s+problem:\s+unknown-column/);

  // Clean when checked, refused when applied: the site went meanwhile. Shown like a check's problems; nothing written.
  t.is((await s.api('POST', '/api/sites', { body: { name: 'berlin', timeZone: 'Europe/Berlin' } })).status, 201);
  await chooseFile(page, 'berlin.csv', 'extension,server,site\n5001,pbx.example.com,berlin\n');
  await page.locator('#result-heading', { hasText: 'ready to apply' }).waitFor();
  t.is((await s.api('DELETE', '/api/sites/berlin')).status, 204);
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.locator('#result-heading', { hasText: 'berlin.csv was not imported: 1 problem' }).waitFor();
  t.is(await page.locator('#rows tbody tr[data-row="2"] td[data-column="site"]').getAttribute('class'), 'bad');
  t.regex(await page.locator('#errors tbody tr[data-row="2"]').innerText(), /unknown-site/);
  t.true(await page.getByRole('button', { name: 'Apply' }).isDisabled());
  t.is((await s.api('GET', '/api/extensions/5001')).status, 404);

  // A narrow screen: the problems and rows stack as cards, nothing scrolls sideways.
  await page.setViewportSize({ width: 360, height: 740 });
  await chooseFile(page, 'temps.csv', badCsv());
  await page.locator('#result-heading', { hasText: '3 problems' }).waitFor();
  await noSeriousViolations(t, page, 'the Import page with problems, narrow');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  t.true(overflow <= 0, `no sideways scrolling on a narrow screen (${overflow}px)`);

  const viewer = await signIn(s, 'victor', 'viewer password 1');
  const asViewer = await send(s, 'GET', '/import', undefined, { cookie: `prov_session=${viewer.cookie}` });
  t.is(asViewer.status, 403);
  t.regex(asViewer.text, /This page is for admins/);
  t.regex(asViewer.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  t.is(asViewer.headers.get('x-frame-options'), 'DENY');
  t.notRegex(asViewer.text, /href="\/import"/, 'no Import in a viewer\'s navigation');
  const asAdmin = await send(s, 'GET', '/import', undefined, { cookie: `prov_session=${admin.cookie}` });
  t.is(asAdmin.status, 200);
  t.is(asAdmin.headers.get('cache-control'), 'no-store');
  t.regex(asAdmin.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  t.is(asAdmin.headers.get('x-content-type-options'), 'nosniff');
  t.is(asAdmin.headers.get('referrer-policy'), 'no-referrer');
});
