// The Sites page and the site fields of the extension and device forms, in a
// real browser against a real server: Berlin created and its NTP edited; an
// extension put in it through the create form, taking the site's registrar;
// the counts; a delete refused while anything is in it, the message shown;
// the extension moved out on its tab, a device placed in the site and back;
// then the delete done. Viewers read it all and change nothing; axe throughout.
import test from 'ava';
import type { Page } from 'playwright-core';
import { noSeriousViolations, signedInPage } from './first-hour-steps.ts';
import { consoleServer, setUp, signIn } from './session-client.ts';

const MAC = '805ec0a1b2c3';

const siteCount = (page: Page, site: string, what: string) => page.locator(`#sites tr[data-site="${site}"] td[data-count="${what}"]`);
const focused = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.id ?? null);

test('create Berlin, edit its NTP, an extension in it from the form, delete refused while in use and done once empty', async (t) => {
  t.timeout(300_000);
  const s = await consoleServer(t);
  const admin = await setUp(s);
  t.is((await admin.call('POST', '/api/users', { username: 'victor', role: 'viewer', password: 'viewer password 1' })).status, 201);
  const page = await signedInPage(t, s, admin);

  await page.goto(s.url + '/sites');
  await page.locator('#sites tr[data-site="default"]').waitFor();
  t.is(await page.locator('#sites tr[data-site="default"] button', { hasText: 'Delete' }).count(), 0, 'the default site cannot be deleted');
  await noSeriousViolations(t, page, 'the Sites page');

  // The time zone offers the browser's zones; a name must be the API's shape, said before sending.
  t.true((await page.locator('#s-zones option[value="Europe/Berlin"]').count()) === 1);
  await page.getByLabel('Name').fill('Berlin');
  await page.getByLabel('Time zone').fill('Europe/Berlin');
  await page.getByRole('button', { name: 'Create site' }).click();
  await page.locator('#site-error', { hasText: 'berlin, not Berlin' }).waitFor();
  t.is(await focused(page), 's-name');
  await page.getByLabel('Name').fill('mars');
  await page.getByLabel('Time zone').fill('Mars/Olympus_Mons');
  await page.getByRole('button', { name: 'Create site' }).click();
  await page.locator('#site-error', { hasText: 'IANA time zone' }).waitFor();
  t.is((await s.api('GET', '/api/sites/mars')).status, 404);

  await page.getByLabel('Name').fill('berlin');
  await page.getByLabel('Time zone').fill('Europe/Berlin');
  await page.getByLabel('Language').selectOption('de');
  await page.getByLabel('Registrar host').fill('pbx.berlin.example.com');
  await page.getByLabel('Polling (minutes)').fill('60');
  await page.getByRole('button', { name: 'Create site' }).click();
  await page.locator('#flash', { hasText: 'Site berlin is created.' }).waitFor();
  const row = page.locator('#sites tr[data-site="berlin"]');
  t.regex(await row.innerText(), /Europe\/Berlin[\s\S]*German[\s\S]*pbx\.berlin\.example\.com:5060 \(UDP\)[\s\S]*every 60 min/);
  t.like((await s.api('GET', '/api/sites/berlin')).json, {
    timeZone: 'Europe/Berlin', ntpServer: null, language: 'de', polling: 60, server: { host: 'pbx.berlin.example.com', port: 5060, transport: 'udp' },
  });
  t.is(await focused(page), 'Edit site berlin', 'focus on the new site\'s row');

  // Edit: the same form takes the site; the name stays.
  await page.getByRole('button', { name: 'Edit site berlin' }).click();
  t.is(await page.locator('#site-form-heading').innerText(), 'Edit site berlin');
  t.is(await focused(page), 's-tz');
  t.is(await page.getByLabel('Name').getAttribute('readonly'), '');
  t.is(await page.getByLabel('Time zone').inputValue(), 'Europe/Berlin');
  await page.getByLabel('NTP server').fill('ntp.berlin.example.com');
  await noSeriousViolations(t, page, 'the site form editing a site');
  await page.getByRole('button', { name: 'Save site' }).click();
  await page.locator('#flash', { hasText: 'Site berlin is saved' }).waitFor();
  await row.getByText('ntp.berlin.example.com').waitFor();
  t.like((await s.api('GET', '/api/sites/berlin')).json, { ntpServer: 'ntp.berlin.example.com', language: 'de', polling: 60 });
  t.is(await page.locator('#site-form-heading').innerText(), 'New site');
  t.is(await focused(page), 'Edit site berlin');
  t.like((await s.api('GET', '/api/audit?action=site.updated')).json[0], { actor: 'user:alice', target: 'site:berlin', details: { fields: ['ntpServer'] } });

  // The extension form: in Berlin the SIP server may stay empty, for the site's registrar.
  await page.goto(s.url + '/extensions');
  await page.getByLabel('Site').selectOption('berlin');
  t.regex(await page.locator('#new-server-hint').innerText(), /Leave the SIP server empty to use site berlin's registrar pbx\.berlin\.example\.com:5060 \(UDP\)/);
  t.is(await page.getByLabel('SIP server').getAttribute('placeholder'), 'pbx.berlin.example.com');
  await noSeriousViolations(t, page, 'the extension form with the Site select');
  await page.getByLabel('Number').fill('2001');
  await page.getByLabel('Display name').fill('Berlin desk');
  await page.getByRole('button', { name: 'Create extension' }).click();
  await page.waitForURL('**/extensions/2001');
  t.like((await s.api('GET', '/api/extensions/2001')).json, { site: 'berlin', serverFromSite: true, server: { host: 'pbx.berlin.example.com', port: 5060 } });
  await page.locator('#f-server-hint', { hasText: "Follows site berlin's registrar, pbx.berlin.example.com:5060 (UDP)." }).waitFor();
  t.is(await page.getByLabel('Site').inputValue(), 'berlin');
  t.is(await page.getByLabel('SIP server').inputValue(), '');
  await noSeriousViolations(t, page, 'the extension tab following its site');

  // The counts, and a delete refused while the extension is in the site.
  await page.goto(s.url + '/sites');
  await siteCount(page, 'berlin', 'extensions').filter({ hasText: '1' }).waitFor();
  t.is(await siteCount(page, 'berlin', 'devices').innerText(), '0');
  await page.getByRole('button', { name: 'Delete site berlin' }).click();
  const dialog = page.getByRole('dialog');
  t.regex(await dialog.innerText(), /now 1 extension and 0 placed devices/);
  await dialog.getByRole('button', { name: 'Delete site' }).click();
  const refusal = dialog.getByRole('alert');
  await refusal.filter({ hasText: 'Not deleted: site berlin is in use' }).waitFor();
  t.regex(await refusal.innerText(), /it holds 1 extension and 0 placed devices \(extension 2001\)\. Move them to another site first/);
  await noSeriousViolations(t, page, 'the refused delete');
  t.is((await s.api('GET', '/api/sites/berlin')).status, 200, 'still there');
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  // Out of Berlin on the extension's tab: the default site has no registrar, so it keeps Berlin's as its own.
  await page.goto(s.url + '/extensions/2001');
  await page.locator('#f-server-hint', { hasText: 'Follows site berlin' }).waitFor();
  await page.getByLabel('Site').selectOption('default');
  t.is(await page.getByLabel('SIP server').inputValue(), 'pbx.berlin.example.com');
  t.regex(await page.locator('#f-server-hint').innerText(), /Its own SIP server: site default has no registrar/);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.locator('#flash', { hasText: 'Saved.' }).waitFor();
  t.like((await s.api('GET', '/api/extensions/2001')).json, { site: 'default', serverFromSite: false, server: { host: 'pbx.berlin.example.com' } });

  // A device on it follows its site; placed in Berlin, it holds the site.
  t.is((await s.api('POST', '/api/devices', { body: { mac: MAC, vendor: 'yealink', model: 'T46S', lines: [{ extension: '2001' }] } })).status, 201);
  await page.goto(`${s.url}/devices/${MAC}`);
  await page.locator('#state', { hasText: "default, following extension 2001's site" }).waitFor();
  t.is(await page.getByLabel('Site').inputValue(), '');
  t.regex(await page.locator('#e-site-hint').innerText(), /In site default: it follows extension 2001's site/);
  await page.getByLabel('Site').selectOption('berlin');
  await page.getByRole('button', { name: 'Save device' }).click();
  await page.locator('#flash', { hasText: 'Device saved' }).waitFor();
  t.is((await s.api('GET', `/api/devices/${MAC}`)).json.site, 'berlin');
  await page.locator('#state', { hasText: 'berlin (placed in it)' }).waitFor();
  await noSeriousViolations(t, page, 'the device page placed in a site');

  await page.goto(s.url + '/sites');
  await siteCount(page, 'berlin', 'devices').filter({ hasText: '1' }).waitFor();
  t.is(await siteCount(page, 'berlin', 'extensions').innerText(), '0');
  await page.getByRole('button', { name: 'Delete site berlin' }).click();
  await dialog.getByRole('button', { name: 'Delete site' }).click();
  await refusal.filter({ hasText: `(device ${MAC})` }).waitFor();
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  // Back to following: Berlin is empty and goes.
  await page.goto(`${s.url}/devices/${MAC}`);
  await page.getByLabel('Site').selectOption('');
  await page.getByRole('button', { name: 'Save device' }).click();
  await page.locator('#flash', { hasText: 'Device saved' }).waitFor();
  t.is((await s.api('GET', `/api/devices/${MAC}`)).json.site, null);

  // A viewer reads the sites and is offered no change.
  const viewer = await signIn(s, 'victor', 'viewer password 1');
  const viewerPage = await signedInPage(t, s, viewer);
  await viewerPage.goto(s.url + '/sites');
  await viewerPage.locator('#sites tr[data-site="berlin"]').waitFor();
  t.is(await viewerPage.locator('#site-form').count(), 0);
  t.is(await viewerPage.getByRole('button', { name: /Edit|Delete/ }).count(), 0);
  await noSeriousViolations(t, viewerPage, 'the Sites page as a viewer');
  await viewerPage.goto(`${s.url}/devices/${MAC}`);
  await viewerPage.locator('#e-site-hint', { hasText: 'In site default' }).waitFor();
  t.true(await viewerPage.getByLabel('Site').isDisabled());

  await page.goto(s.url + '/sites');
  await siteCount(page, 'berlin', 'devices').filter({ hasText: '0' }).waitFor();
  await page.getByRole('button', { name: 'Delete site berlin' }).click();
  await dialog.getByRole('button', { name: 'Delete site' }).click();
  await page.locator('#flash', { hasText: 'Site berlin is deleted.' }).waitFor();
  t.is(await page.locator('#sites tr[data-site="berlin"]').count(), 0);
  t.is((await s.api('GET', '/api/sites/berlin')).status, 404);
  t.is(await focused(page), 'sites-heading');
});

test("the extension tab: its own server given back to the site's registrar and taken again; an empty server where the site has none is refused", async (t) => {
  t.timeout(240_000);
  const s = await consoleServer(t);
  const admin = await setUp(s);
  t.is((await s.api('POST', '/api/sites', { body: { name: 'berlin', timeZone: 'Europe/Berlin', server: { host: 'pbx.berlin.example.com' } } })).status, 201);
  t.is((await s.api('POST', '/api/extensions', { body: { number: '3001', site: 'berlin', server: { host: 'own.example.com', transport: 'tls' } } })).status, 201);
  const page = await signedInPage(t, s, admin);

  // The create form in the default site, which has no registrar: the server is needed, said before sending.
  await page.goto(s.url + '/extensions');
  await page.locator('#new-server-hint', { hasText: 'Required: site default has no registrar' }).waitFor();
  await page.getByLabel('Number').fill('3002');
  await page.getByRole('button', { name: 'Create extension' }).click();
  await page.locator('#create-error', { hasText: 'Type the SIP server: site default has no registrar to take.' }).waitFor();
  t.is(await focused(page), 'new-host');
  t.is((await s.api('GET', '/api/extensions/3002')).status, 404);

  await page.goto(s.url + '/extensions/3001');
  await page.locator('#f-server-hint', { hasText: "Its own SIP server. Empty it to follow site berlin's registrar, pbx.berlin.example.com:5060 (UDP), instead." }).waitFor();
  t.is(await page.getByLabel('SIP server').inputValue(), 'own.example.com');
  t.is(await page.getByLabel('Transport').inputValue(), 'tls');

  // Emptied: the site's registrar, its port and transport shown and not asked.
  await page.getByLabel('SIP server').fill('');
  t.regex(await page.locator('#f-server-hint').innerText(), /Saved empty, it follows site berlin's registrar/);
  t.true(await page.getByLabel('Transport').isDisabled());
  t.is(await page.getByLabel('Transport').inputValue(), 'udp');
  t.is(await page.getByLabel('Port', { exact: true }).getAttribute('placeholder'), '5060');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.locator('#flash', { hasText: 'Saved.' }).waitFor();
  t.like((await s.api('GET', '/api/extensions/3001')).json, { site: 'berlin', serverFromSite: true, server: { host: 'pbx.berlin.example.com', port: 5060, transport: 'udp' } });
  await page.locator('#f-server-hint', { hasText: "Follows site berlin's registrar" }).waitFor();

  // Typed again: its own server, the whole of it.
  await page.getByLabel('SIP server').fill('other.example.com');
  t.false(await page.getByLabel('Transport').isDisabled());
  await page.getByLabel('Transport').selectOption('tcp');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.locator('#flash', { hasText: 'Saved.' }).waitFor();
  t.like((await s.api('GET', '/api/extensions/3001')).json, { serverFromSite: false, server: { host: 'other.example.com', port: 5060, transport: 'tcp' } });
  await noSeriousViolations(t, page, 'the extension tab with its own server in a site');

  // A viewer sees where the server comes from, and can change neither.
  t.is((await admin.call('POST', '/api/users', { username: 'victor', role: 'viewer', password: 'viewer password 1' })).status, 201);
  t.is((await s.api('PATCH', '/api/extensions/3001', { body: { server: null } })).status, 200);
  const viewerPage = await signedInPage(t, s, await signIn(s, 'victor', 'viewer password 1'));
  await viewerPage.goto(s.url + '/extensions/3001');
  await viewerPage.locator('#f-server-hint', { hasText: "Follows site berlin's registrar, pbx.berlin.example.com:5060 (UDP)." }).waitFor();
  t.notRegex(await viewerPage.locator('#f-server-hint').innerText(), /Type a SIP server/);
  t.true(await viewerPage.getByLabel('Site').isDisabled());
});
