// Reading a secret with the session cookie needs the console's own origin:
// a page of the same site (the phones' port, say) that makes the admin's
// browser GET a secret gets 403 and causes no reveal in the admin's name.
// Bearer tokens are unaffected: they never ride along with a browser.
import test from 'ava';
import { phoneCredentials } from '../helpers/phone.ts';
import { extensionBody } from '../helpers/server.ts';
import { consoleServer, send, setUp } from '../console/session-client.ts';

const MAC = '805ec0e1e2e3';

const REVEALS = ['/api/extensions/1001/secret', `/api/devices/${MAC}/credentials`, `/api/devices/${MAC}/files/${MAC}.cfg`];

test('a secret read with the cookie from anywhere but the console itself is 403 and audits nothing', async (t) => {
  const s = await consoleServer(t);
  const alice = await setUp(s);
  t.is((await s.api('POST', '/api/extensions', { body: extensionBody('1001', { secret: 'Cross-Site-1' }) })).status, 201);
  t.is((await s.api('POST', '/api/devices', { body: { mac: MAC, vendor: 'yealink', lines: [{ extension: '1001' }] } })).status, 201);
  await phoneCredentials(s, MAC);
  const auditCount = async () => ((await s.api('GET', '/api/audit?limit=1000')).json as unknown[]).length;
  const before = await auditCount();
  const cookie = { cookie: `prov_session=${alice.cookie}` };
  const refusedWith: Record<string, string>[] = [
    { 'sec-fetch-site': 'same-site' },
    { 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'same-site', origin: 'http://127.0.0.1:1' },
    {},
    { origin: 'http://phones.example.com:8080' },
    { referer: 'http://127.0.0.1:1/prov/805ec0e1e2e3-phone.cfg' },
  ];
  for (const path of REVEALS) {
    for (const headers of refusedWith) {
      const r = await send(s, 'GET', path, undefined, { ...cookie, ...headers });
      t.deepEqual([r.status, r.json?.error?.code], [403, 'cross-site-request'], `${path} ${JSON.stringify(headers)}`);
      t.false(r.text.includes('Cross-Site-1'));
    }
  }
  t.is(await auditCount(), before, 'no reveal happened in the admin\'s name');

  // The console's own pages, the admin's own address bar, a browser without Fetch Metadata on our origin, and tokens.
  const ours: Record<string, string>[] = [{ 'sec-fetch-site': 'same-origin' }, { 'sec-fetch-site': 'none' }, { origin: s.url }, { referer: `${s.url}/extensions/1001` }];
  for (const headers of ours) {
    const r = await send(s, 'GET', REVEALS[0]!, undefined, { ...cookie, ...headers });
    t.is(r.status, 200, JSON.stringify(headers));
    t.is(r.json.secret, 'Cross-Site-1');
  }
  t.is((await s.api('GET', REVEALS[0]!)).status, 200, 'a bearer token needs no browser headers');
  const reveals = (await s.api('GET', '/api/audit?action=secret.revealed&limit=100')).json as { actor: string }[];
  t.is(reveals.length, 5, 'the four accepted reads and the token\'s');
  t.is(reveals.filter((e) => e.actor === 'user:alice').length, 4);
});
