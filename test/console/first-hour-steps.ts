// What the first-hour tests share: a signed-in browser page, the audit
// events since a mark, and a softphone user pressing a Zoiper link's button.
import type { ExecutionContext } from 'ava';
import type { Page } from 'playwright-core';
import type { AuditEvent as StoredEvent } from '../../server/domain/audit.ts';
import type { TestServer } from '../helpers/server.ts';
import { openBrowser, seriousViolations } from './browser.ts';
import type { CookieClient } from './session-client.ts';

/** An event as the API answers it: with its id. */
export type AuditEvent = StoredEvent & { id: number };

/** A page in a fresh browser profile, signed in with the client's session; the browser goes when the test ends. */
export async function signedInPage(t: ExecutionContext, s: TestServer, who: CookieClient): Promise<Page> {
  const browser = await openBrowser({ origin: s.url });
  t.teardown(browser.close);
  await browser.context.addCookies([{ name: 'prov_session', value: who.cookie, url: s.url }]);
  return browser.page();
}

export async function noSeriousViolations(t: ExecutionContext, page: Page, screen: string): Promise<void> {
  t.deepEqual(await seriousViolations(page), [], `axe on ${screen}`);
}

/** The newest audit event's id: what later events are counted from. */
export async function auditMark(s: TestServer): Promise<number> {
  return (await s.api('GET', '/api/audit?limit=1')).json[0]?.id ?? 0;
}

/** Every audit event after `mark` (newest first), optionally for one target. */
export async function auditSince(s: TestServer, mark: number, target?: string): Promise<AuditEvent[]> {
  const q = target ? `&target=${encodeURIComponent(target)}` : '';
  const events = (await s.api('GET', `/api/audit?limit=1000${q}`)).json as AuditEvent[];
  return events.filter((e) => e.id > mark);
}

/** The whole audit log through the API's own paging, newest first. */
export async function wholeAudit(s: TestServer): Promise<AuditEvent[]> {
  const all: AuditEvent[] = [];
  for (;;) {
    const before = all.length ? `&before=${all[all.length - 1]!.id}` : '';
    const page = (await s.api('GET', `/api/audit?limit=1000${before}`)).json as AuditEvent[];
    all.push(...page);
    if (page.length < 1000) return all;
  }
}

/**
 * A Zoiper user on the link's landing page: presses its button (POST), which
 * answers a one-use app address, and the app fetches its account from it.
 */
export async function zoiperTakes(s: TestServer, linkUrl: string): Promise<void> {
  const path = new URL(linkUrl).pathname;
  const ua = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36' };
  const pressed = await fetch(s.url + path, { method: 'POST', headers: { ...ua, 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
  const html = await pressed.text();
  if (pressed.status !== 200) throw new Error(`landing POST: ${pressed.status}`);
  const app = /\/sp\/app\/[A-Za-z0-9_-]+/.exec(html)?.[0];
  if (!app) throw new Error('no app address on the page the button answered');
  const fetched = await fetch(s.url + app, { headers: { 'user-agent': 'Zoiper rv2.10.19.6' } });
  await fetched.arrayBuffer();
  if (fetched.status !== 200) throw new Error(`app fetch: ${fetched.status}`);
}

/** The link rows a page shows, by id, sorted. */
export async function linkRows(page: Page, selector: string): Promise<string[]> {
  return (await page.locator(selector).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-link') ?? ''))).sort();
}
