// The audit log in a real browser, over more events than one API page holds:
// who and what in names people know (an account, a token's name, the link
// that was used, never a UUID), details as text, each target a link to its
// page, and filters by action prefix and by days that give, page after page,
// exactly what the API's own events say they should.
import test, { type ExecutionContext } from 'ava';
import type { Page } from 'playwright-core';
import { extensionBody } from '../helpers/server.ts';
import { noSeriousViolations, signedInPage, wholeAudit, zoiperTakes, type AuditEvent } from './first-hour-steps.ts';
import { consoleServer, setUp } from './session-client.ts';

const MAC = '805ec0a1b2c3';
const DAY = 86_400_000;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

/** The event ids the table shows, once they are `expected` (the page reads the API first). */
async function shownIds(page: Page, expected: number[]): Promise<number[]> {
  await page
    .waitForFunction((ids) => JSON.stringify([...document.querySelectorAll<HTMLElement>('#audit tbody tr')].map((r) => Number(r.dataset.id))) === JSON.stringify(ids), expected)
    .catch(() => {});
  return page.locator('#audit tbody tr').evaluateAll((rows) => rows.map((r) => Number((r as HTMLElement).dataset.id)));
}

async function filter(page: Page, { action = '', from = '', to = '' }: { action?: string; from?: string; to?: string }) {
  await page.getByLabel('Action starts with').fill(action);
  await page.getByLabel('From (day)').fill(from);
  await page.getByLabel('To (day, included)').fill(to);
  await page.getByRole('button', { name: 'Filter' }).click();
}

/** Walks Older through every page of the current filter, checking each against the API's events. */
async function pagesMatch(t: ExecutionContext, page: Page, expected: AuditEvent[], what: string) {
  const ids = expected.map((e) => e.id);
  t.true(ids.length > 50, `${what}: more than one page to walk`);
  for (let start = 0; start < ids.length; start += 50) {
    if (start > 0) await page.getByRole('button', { name: 'Older events' }).click();
    t.deepEqual(await shownIds(page, ids.slice(start, start + 50)), ids.slice(start, start + 50), `${what}, page ${start / 50 + 1}`);
    t.is(await page.getByRole('button', { name: 'Older events' }).isVisible(), start + 50 < ids.length, `${what}: Older only while there is more`);
  }
  await page.getByRole('button', { name: 'Newer events' }).click();
  const back = Math.floor((ids.length - 1) / 50) - 1;
  t.deepEqual(await shownIds(page, ids.slice(back * 50, back * 50 + 50)), ids.slice(back * 50, back * 50 + 50), `${what}: Newer goes back a page`);
}

test('the audit log: names, readable details, links to targets, prefix and day filters across pages', async (t) => {
  t.timeout(300_000);
  let now = Date.parse('2026-03-01T12:00:00.000Z');
  const s = await consoleServer(t, { clock: () => new Date(now) });

  // Day one: a script's token makes the extension and its phone, and a new secret.
  const made = await s.api('POST', '/api/tokens', { body: { name: 'deploy-script', role: 'admin' } });
  t.is(made.status, 201);
  const script = (method: string, path: string, body?: unknown) => s.api(method, path, { token: made.json.token, body });
  t.is((await script('POST', '/api/extensions', extensionBody('1001', { displayName: 'Alice' }))).status, 201);
  t.is((await script('POST', '/api/devices', { mac: MAC, vendor: 'yealink', model: 'T46S', lines: [{ extension: '1001' }] })).status, 201);
  t.is((await script('POST', '/api/extensions/1001/secret/generate', {})).status, 200);

  // Day three: over a thousand events, secret reveals among credential reveals; a Zoiper link used.
  now += 2 * DAY;
  for (let i = 0; i < 1105; i += 25) {
    const batch = [];
    for (let j = i; j < Math.min(i + 25, 1105); j++) {
      batch.push(script('GET', j % 20 === 7 ? '/api/extensions/1001/secret' : `/api/devices/${MAC}/credentials`));
    }
    for (const r of await Promise.all(batch)) t.is(r.status, 200);
  }
  const link = await script('POST', '/api/links', { extension: '1001', app: 'zoiper' });
  t.is(link.status, 201);
  await zoiperTakes(s, link.json.url);

  // Day five: Alice sets up the console and reveals the secret.
  now += 2 * DAY;
  const alice = await setUp(s);
  t.is((await alice.call('GET', '/api/extensions/1001/secret')).status, 200);
  const all = await wholeAudit(s);
  t.true(all.length > 1100);

  const page = await signedInPage(t, s, alice);
  await page.goto(s.url + '/audit');
  t.deepEqual(await shownIds(page, all.slice(0, 50).map((e) => e.id)), all.slice(0, 50).map((e) => e.id), 'the newest 50');
  await noSeriousViolations(t, page, 'the audit log');

  // Names: the person, the link that was used, never an id; details as text.
  const row = (e: AuditEvent) => page.locator(`#audit tr[data-id="${e.id}"]`);
  const reveal = all.find((e) => e.action === 'secret.revealed' && e.actor === 'user:alice')!;
  t.regex(await row(reveal).innerText(), /alice\s+Secret revealed — extension 1001 \(Alice\)\s+secret\.revealed\s+version 2/);
  const used = all.find((e) => e.action === 'link.used')!;
  t.regex(await row(used).locator('td.actor').innerText(), /^Zoiper 5 link for extension 1001 \(Alice\)$/);
  const table = await page.locator('#audit tbody').innerText();
  t.notRegex(table, UUID, 'no UUID in the text');
  t.false(/[{}]|":/.test(await page.locator('#audit td.details').allInnerTexts().then((x) => x.join('\n'))), 'no JSON in the details');

  // A prefix: "secret." is every secret change and reveal, page after page.
  await filter(page, { action: 'secret.' });
  const secrets = all.filter((e) => e.action.startsWith('secret.'));
  t.deepEqual([...new Set(secrets.map((e) => e.action))].sort(), ['secret.changed', 'secret.revealed']);
  await pagesMatch(t, page, secrets, 'secret.');
  const changed = secrets.find((e) => e.action === 'secret.changed')!;
  await filter(page, { action: 'secret.changed' });
  t.deepEqual(await shownIds(page, [changed.id]), [changed.id]);
  t.regex(await row(changed).innerText(), /API token “deploy-script”\s+Secret changed — extension 1001 \(Alice\)[\s\S]*now version 2, generated; the previous secret/);

  // Days: the middle day alone, with and without the prefix.
  await filter(page, { action: 'secret.', from: '2026-03-02', to: '2026-03-04' });
  const middle = (e: AuditEvent) => e.at >= '2026-03-02T00:00:00.000Z' && e.at < '2026-03-05T00:00:00.000Z';
  await pagesMatch(t, page, secrets.filter(middle), 'secret. on 2 to 4 March');
  await filter(page, { from: '2026-03-01', to: '2026-03-01' });
  const first = all.filter((e) => e.at < '2026-03-02T00:00:00.000Z').map((e) => e.id);
  t.deepEqual(await shownIds(page, first), first, 'the first day alone');
  t.false(await page.getByRole('button', { name: 'Older events' }).isVisible());
  await filter(page, { from: '2026-03-05', to: '2026-03-01' });
  await page.getByRole('alert').filter({ hasText: 'The From day is after the To day.' }).waitFor();

  // Each target links to its page.
  await filter(page, { action: 'device.created' });
  const device = all.find((e) => e.action === 'device.created')!;
  await shownIds(page, [device.id]);
  const deviceLink = row(device).getByRole('link', { name: 'device 80:5e:c0:a1:b2:c3 (Yealink T46S)' });
  t.is(await deviceLink.getAttribute('href'), `/devices/${MAC}`);
  await filter(page, { action: 'token.created' });
  const token = all.find((e) => e.action === 'token.created' && e.target === `token:${made.json.id}`)!;
  await shownIds(page, all.filter((e) => e.action === 'token.created').map((e) => e.id));
  t.is(await row(token).locator('td.actor').innerText(), 'API token “initial-admin”');
  t.is(await row(token).getByRole('link', { name: 'API token “deploy-script”' }).getAttribute('href'), '/users');
  await filter(page, { action: 'link.created' });
  const created = all.find((e) => e.action === 'link.created')!;
  await shownIds(page, [created.id]);
  await row(created).getByRole('link', { name: 'Zoiper 5 link for extension 1001 (Alice)' }).click();
  await page.waitForURL(`**/links#link-${link.json.id}`);
  await page.locator(`#links tr#link-${link.json.id}`).waitFor();
  await page.goto(s.url + '/audit');
  await filter(page, { action: 'secret.revealed' });
  await shownIds(page, secrets.filter((e) => e.action === 'secret.revealed').slice(0, 50).map((e) => e.id));
  await row(reveal).getByRole('link', { name: 'extension 1001 (Alice)' }).click();
  await page.waitForURL('**/extensions/1001');
});
