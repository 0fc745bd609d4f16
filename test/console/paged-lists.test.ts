// The console reads lists the way the API pages them: every item, across as
// many pages as the Link headers name, in a real browser with a real session.
import test from 'ava';
import { extensionBody } from '../helpers/server.ts';
import { openBrowser } from './browser.ts';
import { consoleServer, setUp } from './session-client.ts';

test('the console follows Link headers and shows every extension, past the first page', async (t) => {
  t.timeout(180_000);
  const s = await consoleServer(t);
  await setUp(s, 'alice', 'correct horse battery');
  const numbers = Array.from({ length: 130 }, (_, i) => String(2000 + i));
  for (const n of numbers) t.is((await s.api('POST', '/api/extensions', { body: extensionBody(n) })).status, 201);
  t.is((await s.api('GET', '/api/extensions')).json.length, 100, 'one API page holds 100 by default');

  const browser = await openBrowser({ origin: s.url });
  t.teardown(browser.close);
  const page = await browser.page();
  await page.goto(s.url + '/sign-in');
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/extensions$/);

  // Pages of 40: four requests, every number once, in order.
  const read = await page.evaluate(async (module) => {
    const { apiAll } = await import(module);
    return ((await apiAll('/api/extensions', 40)) as { number: string }[]).map((e) => e.number);
  }, '/console/assets/common.js');
  t.deepEqual(read, numbers);

  // The screen itself: the last extension, on the far side of the API's default page, is listed.
  await page.getByRole('link', { name: numbers.at(-1)!, exact: true }).waitFor();
  t.is(await page.getByRole('link', { name: numbers[0]!, exact: true }).count(), 1);
});
