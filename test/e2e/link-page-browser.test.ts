// The softphone landing page in a real browser (Chromium): its strict
// Content-Security-Policy blocks nothing the page needs (its stylesheet
// applies, its form submits), opening it uses nothing, and its button gives
// MicroSIP's file as a download and Zoiper's one-use app address with a QR code.
import fs from 'node:fs';
import test from 'ava';
import { chromium, type Browser } from 'playwright-core';
import { decodeQrSvg } from '../helpers/qr.ts';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';

const SECRET = 'Browser-Secret-1';

async function setup(t: import('ava').ExecutionContext): Promise<{ s: TestServer; browser: Browser }> {
  const s = await startServer();
  t.teardown(s.close);
  const r = await s.api('POST', '/api/extensions', { body: extensionBody('1001', { secret: SECRET }) });
  if (r.status !== 201) throw new Error(r.text);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  t.teardown(() => browser.close());
  return { s, browser };
}

/** A link, with its URL on the test server (PROV_PUBLIC_URL keeps the configured port 0). */
async function linkFor(s: TestServer, app: string) {
  const made = (await s.api('POST', '/api/links', { body: { extension: '1001', app } })).json as { id: string; url: string };
  return { id: made.id, url: s.url + new URL(made.url).pathname };
}
const uses = async (s: TestServer, id: string) => ((await s.api('GET', '/api/links')).json as any[]).find((l) => l.id === id).uses as number;

test('Zoiper: the page renders under its CSP, and its button shows a one-use app address and QR code', async (t) => {
  const { s, browser } = await setup(t);
  const link = await linkFor(s, 'zoiper');
  const page = await browser.newPage();
  const violations: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') violations.push(m.text());
  });
  for (let i = 0; i < 2; i++) {
    const res = await page.goto(link.url);
    t.is(res?.status(), 200);
  }
  t.is(await uses(s, link.id), 0, 'opening the page twice used nothing');
  const colour = await page.$eval('button.go', (b) => getComputedStyle(b).backgroundColor);
  t.is(colour, 'rgb(31, 95, 191)', 'the stylesheet is allowed by its hash');
  await Promise.all([page.waitForNavigation(), page.click('button.go')]);
  t.is(await uses(s, link.id), 1, 'the button used the link once');
  t.is(page.url(), link.url, 'the form posted back to the page URL');
  const address = await page.$eval('input.address', (i) => (i as HTMLInputElement).value);
  t.regex(new URL(address).pathname, /^\/sp\/app\/[A-Za-z0-9_-]{32}$/);
  // The browser serialises <path/> as <path></path>; the reader expects the former.
  const svg = (await page.$eval('.qr svg', (e) => e.outerHTML)).replace(/><\/path>/g, '/>');
  t.is(decodeQrSvg(svg), address);
  t.false((await page.content()).includes(SECRET), 'the page shows no secret');
  t.deepEqual(violations, [], 'nothing on the page broke the policy');
  const local = s.url + new URL(address).pathname;
  const app = await fetch(local, { headers: { 'user-agent': 'Zoiper5' } });
  t.is(app.status, 200);
  t.true((await app.text()).includes(`<password>${SECRET}</password>`));
  t.is((await fetch(local)).status, 404, 'once');
});

test('MicroSIP: the button downloads MicroSIP.ini and uses the link once', async (t) => {
  const { s, browser } = await setup(t);
  const link = await linkFor(s, 'microsip');
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(link.url);
  t.is(await uses(s, link.id), 0);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('button.go')]);
  t.is(download.suggestedFilename(), 'MicroSIP.ini');
  const file = await download.path();
  const body = fs.readFileSync(file);
  t.true(body.toString('latin1').includes(`password=${SECRET}`));
  await download.delete();
  t.is(await uses(s, link.id), 1);
  t.is((await fetch(link.url)).status, 404, 'a used-up link');
});
