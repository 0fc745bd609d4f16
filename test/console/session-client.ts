// A browser-like client for the console's API without a browser: signs in,
// keeps the session cookie, and sends the Origin a page of ours would.
import fs from 'node:fs';
import { startServer, type TestServer } from '../helpers/server.ts';

export interface CookieClient {
  cookie: string;
  call: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; text: string; json: any; headers: Headers }>;
}

export async function send(s: TestServer, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(s.url + path, {
    method,
    redirect: 'manual',
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

export const cookieOf = (headers: Headers) => /prov_session=([^;]*)/.exec(headers.get('set-cookie') ?? '')?.[1] ?? '';

function client(s: TestServer, cookie: string): CookieClient {
  return {
    cookie,
    call: (method, path, body, headers = {}) =>
      send(s, method, path, body, { cookie: `prov_session=${cookie}`, origin: s.url, 'sec-fetch-site': 'same-origin', ...headers }),
  };
}

export async function setUp(s: TestServer, username = 'alice', password = 'correct horse battery'): Promise<CookieClient> {
  const r = await send(s, 'POST', '/api/setup', { setupCode: s.adminToken, username, password }, { origin: s.url });
  if (r.status !== 201) throw new Error(`setup: ${r.status} ${r.text}`);
  return client(s, cookieOf(r.headers));
}

export async function signIn(s: TestServer, username: string, password: string): Promise<CookieClient> {
  const r = await send(s, 'POST', '/api/session', { username, password }, { origin: s.url });
  if (r.status !== 201) throw new Error(`sign-in: ${r.status} ${r.text}`);
  return client(s, cookieOf(r.headers));
}

/** A test server whose data directory goes with it when the test ends. */
export async function consoleServer(
  t: { teardown: (fn: () => Promise<void>) => void },
  options: Parameters<typeof startServer>[0] = {},
): Promise<TestServer> {
  const s = await startServer(options);
  t.teardown(async () => {
    await s.close();
    fs.rmSync(s.dataDir, { recursive: true, force: true });
  });
  return s;
}
