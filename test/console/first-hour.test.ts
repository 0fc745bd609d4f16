// What a new admin meets in the first hour, in a real browser against a real
// server: an extension made with a chosen secret (a broken rule shown while
// typing), SRTP and an outbound proxy on the create form and the tab,
// Generate and Save that ask first and then leave the new secret shown, each
// with exactly the audit events the action makes, a softphone link made from
// the extension's tab, no link row a reload would not show, and deleting an
// extension: refused while a phone uses it, then done, its links with it.
// Lines, the audit log and the favicon are in first-hour-*.test.ts.
import test from 'ava';
import { extensionBody } from '../helpers/server.ts';
import { auditMark, auditSince, linkRows, noSeriousViolations, signedInPage, zoiperTakes } from './first-hour-steps.ts';
import { consoleServer, setUp } from './session-client.ts';

const MAC = '805ec0a1b2c3';

test('a chosen secret on create, SRTP and proxy saved, Generate and Save keep the new secret shown and audit it once', async (t) => {
  // A real browser on a shared two-core machine: generous, not a speed claim.
  t.timeout(240_000);
  const s = await consoleServer(t);
  const admin = await setUp(s);
  const page = await signedInPage(t, s, admin);

  // The create form: a rule broken while typing is said at once, and nothing is created.
  await page.goto(s.url + '/extensions');
  await page.getByLabel('Number').fill('1001');
  await page.getByLabel('Display name').fill('Alice');
  await page.getByLabel('SIP server').fill('pbx.example.com');
  await page.getByLabel('Transport').selectOption('tls');
  t.regex(await page.locator('#new-srtp-hint').innerText(), /Following the transport: mandatory for TLS/);
  await page.getByLabel('SRTP (media encryption)').selectOption('optional');
  await page.getByLabel('Outbound proxy').fill('proxy.example.com');
  await page.getByLabel('Proxy port').fill('5070');
  const chosen = page.getByLabel('Secret (optional)');
  await chosen.pressSequentially('short');
  await page.locator('#new-secret-error', { hasText: '8 to 64 characters' }).waitFor();
  t.is(await chosen.getAttribute('aria-invalid'), 'true');
  await page.getByRole('button', { name: 'Create extension' }).click();
  t.is((await s.api('GET', '/api/extensions/1001')).status, 404, 'a broken rule creates nothing');
  await chosen.fill('Chosen Secret 1001 ');
  await page.locator('#new-secret-error', { hasText: 'may not start or end with a space' }).waitFor();
  await chosen.fill('Chosen Secret 1001');
  t.is(await page.locator('#new-secret-error').innerText(), '');
  t.is(await chosen.getAttribute('aria-invalid'), 'false');
  await noSeriousViolations(t, page, 'the create form with a chosen secret');
  await page.getByRole('button', { name: 'Create extension' }).click();
  await page.waitForURL('**/extensions/1001');

  const made = (await s.api('GET', '/api/extensions/1001')).json;
  t.like(made, { displayName: 'Alice', server: { transport: 'tls' }, media: { srtp: 'optional', explicit: true }, outboundProxy: { host: 'proxy.example.com', port: 5070 } });
  t.is((await s.api('GET', '/api/extensions/1001/secret')).json.secret, 'Chosen Secret 1001', 'the chosen secret, not a generated one');
  const created = (await s.api('GET', '/api/audit?action=extension.created')).json[0];
  t.like(created, { actor: 'user:alice', details: { secretGenerated: false } });

  // The tab shows what was stored, and no secret until asked.
  await page.locator('#f-srtp').waitFor();
  await page.waitForFunction(() => (document.querySelector('#f-proxy-host') as HTMLInputElement).value === 'proxy.example.com');
  t.is(await page.locator('#f-srtp').inputValue(), 'optional');
  t.is(await page.getByLabel('Proxy port').inputValue(), '5070');
  const secretField = page.getByLabel('Extension Secret');
  t.is(await secretField.inputValue(), '');
  t.false((await page.content()).includes('Chosen Secret 1001'), 'no secret in the page before an action');
  t.is((await s.api('POST', '/api/devices', { body: { mac: MAC, vendor: 'yealink', model: 'T46S', lines: [{ extension: '1001' }] } })).status, 201);
  await page.locator(`#affected tr[data-mac="${MAC}"]`).waitFor();
  await noSeriousViolations(t, page, 'the extension tab with SRTP and proxy');

  // Generate: asked first; then the new secret stays shown. The generate
  // answer carries it, so the change is the one event, marked as shown.
  let mark = await auditMark(s);
  await page.getByRole('button', { name: 'Generate new secret' }).click();
  const generateDialog = page.getByRole('dialog');
  t.regex(await generateDialog.innerText(), /1 phone and 0 softphone links will be updated/);
  await generateDialog.getByRole('button', { name: 'Generate' }).click();
  await page.locator('#flash', { hasText: 'New secret generated' }).waitFor();
  await page.getByRole('button', { name: 'Hide secret' }).waitFor();
  t.is(await secretField.getAttribute('type'), 'text', 'shown, not masked');
  const generated = await secretField.inputValue();
  t.regex(generated, /^[A-Za-z0-9]{20,}$/);
  const afterGenerate = await auditSince(s, mark);
  t.deepEqual(afterGenerate.map((e) => [e.actor, e.action, e.target]), [['user:alice', 'secret.changed', 'extension:1001']]);
  t.like(afterGenerate[0]!.details, { method: 'generate', shown: true });
  t.is((await s.api('GET', '/api/extensions/1001/secret')).json.secret, generated, 'the field shows the stored secret');
  // Hiding and showing it again reads nothing more.
  mark = await auditMark(s);
  await page.getByRole('button', { name: 'Hide secret' }).click();
  await page.getByRole('button', { name: 'Show secret' }).click();
  t.is(await secretField.inputValue(), generated);
  t.deepEqual(await auditSince(s, mark), [], 'no second reveal');

  // Save of a typed secret asks like Generate; Cancel changes nothing.
  const version = (await s.api('GET', '/api/extensions/1001')).json.secretVersion;
  await secretField.fill('Not-This-One-42');
  await page.getByRole('button', { name: 'Save' }).click();
  const saveDialog = page.getByRole('dialog');
  t.regex(await saveDialog.innerText(), /typed secret replaces the current one\. 1 phone and 0 softphone links will be updated/);
  await noSeriousViolations(t, page, 'the save confirmation');
  await saveDialog.getByRole('button', { name: 'Cancel' }).click();
  t.is((await s.api('GET', '/api/extensions/1001')).json.secretVersion, version, 'cancelled: nothing saved');
  mark = await auditMark(s);
  const typed = 'Typed & "quoted" 2002';
  await secretField.fill(typed);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Save secret' }).click();
  await page.locator('#flash', { hasText: 'Secret saved' }).waitFor();
  t.is(await secretField.inputValue(), typed, 'the saved secret stays in the field');
  t.is(await secretField.getAttribute('type'), 'text');
  const afterSave = await auditSince(s, mark);
  t.deepEqual(afterSave.map((e) => [e.actor, e.action]), [['user:alice', 'secret.changed']], 'one event: the change, no reveal');
  t.like(afterSave[0], { details: { method: 'set', version: version + 1 } });
  t.is((await s.api('GET', '/api/extensions/1001/secret')).json.secret, typed);

  // SRTP back to the transport, another proxy with the default port: saved and shown after a reload.
  await page.getByLabel('SRTP (media encryption)').selectOption('');
  await page.getByLabel('Outbound proxy').fill('edge.example.com');
  await page.getByLabel('Proxy port').fill('');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#flash', { hasText: 'Saved.' }).waitFor();
  t.like((await s.api('GET', '/api/extensions/1001')).json, { media: { srtp: 'mandatory', explicit: false }, outboundProxy: { host: 'edge.example.com', port: 5061 } });
  await page.reload();
  await page.waitForFunction(() => (document.querySelector('#f-proxy-host') as HTMLInputElement).value === 'edge.example.com');
  t.is(await page.locator('#f-srtp').inputValue(), '');
  t.is(await page.getByLabel('Proxy port').inputValue(), '5061');
  t.regex(await page.locator('#f-srtp-hint').innerText(), /Following the transport: mandatory for TLS/);
  t.is(await secretField.inputValue(), '', 'a reload holds no secret');

  // SRTP off on TLS is allowed, and the page says what it means.
  await page.getByLabel('SRTP (media encryption)').selectOption('off');
  await page.getByLabel('Outbound proxy').fill('');
  await page.getByLabel('Proxy port').fill('');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#flash', { hasText: 'Saved.' }).waitFor();
  await page.reload();
  await page.locator('#ext-warnings', { hasText: 'the audio goes in clear' }).waitFor();
  t.like((await s.api('GET', '/api/extensions/1001')).json, { media: { srtp: 'off', explicit: true }, outboundProxy: null, warnings: ['tls-without-srtp'] });
  t.is(await page.locator('#f-srtp').inputValue(), 'off');
  await noSeriousViolations(t, page, 'the extension tab with a warning');
});

test('a link from the extension tab, no phantom link rows, and delete: refused while a phone uses it, then done', async (t) => {
  t.timeout(240_000);
  const s = await consoleServer(t);
  const admin = await setUp(s);
  t.is((await s.api('POST', '/api/extensions', { body: extensionBody('1001', { displayName: 'Alice' }) })).status, 201);
  t.is((await s.api('POST', '/api/devices', { body: { mac: MAC, vendor: 'yealink', model: 'T46S', lines: [{ extension: '1001' }] } })).status, 201);
  const page = await signedInPage(t, s, admin);

  // A Zoiper link made on the extension's own tab: shown once, URL and QR code.
  await page.goto(s.url + '/extensions/1001');
  await page.locator(`#affected tr[data-mac="${MAC}"]`).waitFor();
  await page.getByRole('tab', { name: 'Softphone links' }).click();
  await page.getByLabel('App').selectOption('zoiper');
  await page.getByRole('button', { name: 'Create link' }).click();
  await page.locator('#link-url').waitFor({ state: 'visible' });
  const url = await page.locator('#link-url').inputValue();
  t.regex(url, /\/sp\/[A-Za-z0-9_-]{16,}$/);
  t.regex((await page.locator('#link-qr').getAttribute('src')) ?? '', /^data:image\/svg\+xml/);
  const listed = (await s.api('GET', '/api/links?extension=1001')).json;
  t.like(listed, [{ extension: '1001', app: 'zoiper', createdBy: 'user:alice' }]);
  await page.locator(`#links-summary li[data-link="${listed[0].id}"]`).waitFor();
  await noSeriousViolations(t, page, 'the softphone links tab with a new link');

  // The links page open beside it. A Zoiper user presses the link's button
  // and the app fetches its account; then another link is made, which both
  // pages must show: by then every event before it has been handled.
  const links = await page.context().newPage();
  await links.goto(s.url + '/links');
  await links.locator(`#links tr[data-link="${listed[0].id}"]`).waitFor();
  await links.waitForFunction(() => document.body.dataset.live === 'on');
  await page.waitForFunction(() => document.body.dataset.live === 'on');
  await zoiperTakes(s, url);
  const second = await s.api('POST', '/api/links', { body: { extension: '1001', app: 'microsip' } });
  t.is(second.status, 201);
  await links.locator(`#links tr[data-link="${second.json.id}"]`).waitFor();
  await page.locator(`#affected tr[data-link="${second.json.id}"]`).waitFor({ state: 'attached' });
  const truth = ((await s.api('GET', '/api/links')).json as { id: string }[]).map((l) => l.id).sort();
  t.is(truth.length, 2);
  t.deepEqual(await linkRows(links, '#links tbody tr'), truth, 'the live links page shows the listed links only');
  t.deepEqual(await linkRows(page, '#affected tr[data-link]'), truth, 'so does the extension tab');
  t.deepEqual(await linkRows(page, '#links-summary li[data-link]'), truth);
  await links.locator(`#links tr[data-link="${listed[0].id}"]`, { hasText: '1 of 1' }).waitFor();
  await links.reload();
  await links.locator(`#links tr[data-link="${second.json.id}"]`).waitFor();
  t.deepEqual(await linkRows(links, '#links tbody tr'), truth, 'a reload shows the same rows');
  await links.close();

  // Delete: the confirmation names the phone that holds it and the links that go with it.
  await page.getByRole('tab', { name: 'Extension' }).click();
  await page.getByRole('button', { name: 'Delete extension' }).click();
  const dialog = page.getByRole('dialog');
  const said = await dialog.innerText();
  t.regex(said, /1 phone uses it\. The server refuses/);
  t.regex(said, /80:5e:c0:a1:b2:c3 yealink T46S, line 1/);
  t.regex(said, /2 softphone links are deleted with it and stop working/);
  await dialog.getByRole('button', { name: 'Delete extension' }).click();
  const refusal = dialog.getByRole('alert');
  await refusal.filter({ hasText: 'Not deleted: 1 phone still uses extension 1001' }).waitFor();
  t.regex(await refusal.innerText(), /80:5e:c0:a1:b2:c3/);
  t.is(await refusal.getByRole('link', { name: '80:5e:c0:a1:b2:c3' }).getAttribute('href'), `/devices/${MAC}`);
  await noSeriousViolations(t, page, 'the delete refusal');
  t.is((await s.api('GET', '/api/extensions/1001')).status, 200, 'still there');
  t.is((await s.api('GET', '/api/links')).json.length, 2, 'its links untouched');

  // The phone goes; the same confirmation now deletes, and the server deletes the links with it.
  t.is((await s.api('DELETE', `/api/devices/${MAC}`)).status, 204);
  await dialog.getByRole('button', { name: 'Delete extension' }).click();
  await page.waitForURL('**/extensions');
  await page.locator('#flash', { hasText: 'Extension 1001 is deleted, with its 2 softphone links.' }).waitFor();
  t.is((await s.api('GET', '/api/extensions/1001')).status, 404);
  t.deepEqual((await s.api('GET', '/api/links')).json, []);
  t.is((await fetch(s.url + new URL(url).pathname)).status, 404, 'the link no longer opens');
  t.like((await s.api('GET', '/api/audit?action=extension.deleted')).json[0], { actor: 'user:alice', target: 'extension:1001' });
});

test('several lines on a device: from the add form and on its page, up to the model\'s count; the favicon on every page', async (t) => {
  t.timeout(240_000);
  const s = await consoleServer(t);
  const admin = await setUp(s);
  for (const [number, name] of [['1001', 'Alice'], ['1002', 'Bob'], ['1003', 'Carol']]) {
    t.is((await s.api('POST', '/api/extensions', { body: extensionBody(number!, { displayName: name }) })).status, 201);
  }
  const page = await signedInPage(t, s, admin);

  // The add form: a Yealink T31G has two lines, so two rows and no more.
  await page.goto(s.url + '/devices');
  await page.getByLabel('MAC address').fill('80:5E:C0:A1:B2:C3');
  await page.getByLabel('Vendor', { exact: true }).selectOption('yealink');
  await page.getByLabel('Model').selectOption('T31G');
  t.is(await page.locator('#d-lines-hint').innerText(), 'This phone has 2 lines.');
  const addRow = page.getByRole('button', { name: 'Add a line' });
  await addRow.click();
  t.true(await addRow.isDisabled(), 'a T31G has two lines');
  await page.getByLabel('Line 1 extension').selectOption('1001');
  await page.getByLabel('Line 2 extension').selectOption('1002');
  await page.getByRole('button', { name: 'Add device' }).click();
  await page.locator(`#devices tr[data-mac="${MAC}"]`, { hasText: '1: 1001, 2: 1002' }).waitFor();
  t.deepEqual((await s.api('GET', `/api/devices/${MAC}`)).json.lines.map((l: any) => [l.line, l.extension]), [[1, '1001'], [2, '1002']]);

  // Its page shows both lines; a bigger model makes room for a third.
  await page.goto(`${s.url}/devices/${MAC}`);
  await page.getByLabel('Extension for line 2').waitFor();
  t.is(await page.getByLabel('Extension for line 1').inputValue(), '1001');
  t.is(await page.getByLabel('Extension for line 2').inputValue(), '1002');
  const addLine = page.getByRole('button', { name: 'Add a line' });
  t.true(await addLine.isDisabled());
  await page.getByLabel('Model').selectOption('T46S');
  t.is(await page.locator('#lines-hint').innerText(), 'This phone has 16 lines.');
  await addLine.click();
  await page.getByLabel('Extension for line 3').selectOption('1003');
  await noSeriousViolations(t, page, 'a device with three lines');
  await page.getByRole('button', { name: 'Save device' }).click();
  await page.locator('#flash', { hasText: 'Device saved' }).waitFor();
  t.like((await s.api('GET', `/api/devices/${MAC}`)).json, { model: 'T46S' });
  t.deepEqual((await s.api('GET', `/api/devices/${MAC}`)).json.lines.map((l: any) => [l.line, l.extension]), [[1, '1001'], [2, '1002'], [3, '1003']]);
  await page.goto(s.url + '/extensions/1003');
  await page.locator(`#affected tr[data-mac="${MAC}"]`, { hasText: 'line 3' }).waitFor();

  // A gap in the lines (1 and 3): Add a line fills line 2, never a second line 3.
  t.is((await s.api('PATCH', `/api/devices/${MAC}`, { body: { lines: [{ line: 1, extension: '1001' }, { line: 3, extension: '1003' }] } })).status, 200);
  await page.goto(`${s.url}/devices/${MAC}`);
  await page.getByLabel('Extension for line 3').waitFor();
  await addLine.click();
  await page.getByLabel('Extension for line 2').selectOption('1002');
  t.deepEqual(await page.locator('#lines .line').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-line'))), ['1', '2', '3']);
  await page.getByRole('button', { name: 'Save device' }).click();
  await page.locator('#flash', { hasText: 'Device saved' }).waitFor();
  t.deepEqual((await s.api('GET', `/api/devices/${MAC}`)).json.lines.map((l: any) => [l.line, l.extension]), [[1, '1001'], [2, '1002'], [3, '1003']]);

  // The favicon: linked from every page and served with the other assets' headers.
  for (const path of ['/sign-in', '/extensions', '/extensions/1001', '/devices', `/devices/${MAC}`, '/sites', '/links', '/import', '/audit', '/users']) {
    await page.goto(s.url + path);
    const icon = await page.evaluate(async () => {
      const href = document.querySelector<HTMLLinkElement>('link[rel="icon"]')?.href;
      if (!href) return null;
      const res = await fetch(href);
      return { href, status: res.status, type: res.headers.get('content-type'), bytes: [...new Uint8Array(await res.arrayBuffer()).slice(0, 4)] };
    });
    t.deepEqual(icon, { href: `${s.url}/favicon.ico`, status: 200, type: 'image/x-icon', bytes: [0, 0, 1, 0] }, path);
  }
  const direct = await fetch(`${s.url}/favicon.ico`);
  t.is(direct.status, 200, 'also without a session');
  t.is(direct.headers.get('content-type'), 'image/x-icon');
  t.is(direct.headers.get('x-content-type-options'), 'nosniff');
  t.is(direct.headers.get('x-frame-options'), 'DENY');
  t.regex(direct.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  t.true((await direct.arrayBuffer()).byteLength > 0);
});
