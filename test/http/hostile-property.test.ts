// Random bytes, headers and paths against the admin API (fast-check): the
// answer is never a 5xx, and a refused request changes nothing — the full
// listings before and after are the same.
import fc from 'fast-check';
import test from 'ava';
import { rawRequest } from '../helpers/raw-http.ts';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';

async function snapshot(s: TestServer): Promise<string> {
  const parts = [];
  for (const p of ['/api/extensions?limit=1000', '/api/devices?limit=1000', '/api/tokens', '/api/links', '/api/audit?limit=1000']) {
    const r = await s.api('GET', p);
    if (r.status !== 200) throw new Error(`${p}: ${r.status}`);
    parts.push(r.text);
  }
  // A secret change shows as secretVersion in the listing; revealing it here would add audit events.
  return parts.join('\n');
}

const segment = fc.oneof(
  fc.constantFrom('extensions', 'devices', 'tokens', 'links', 'audit', 'templates', 'reload', 'secret', 'generate', 'claim', 'credentials', 'files', 'openapi.json', '1001', '1002', '805ec0123456', '..', '.', '%2e%2e', '%00', '%ff', 'API', ''),
  fc.string({ unit: fc.constantFrom(...'abcAZ09._~-%:@!$&\'()*+,;=\\"<>{}|^`[]'.split('')), maxLength: 12 }),
);
const path = fc.tuple(fc.constantFrom('/api', '/API', '/Api', '/api/', '//api'), fc.array(segment, { maxLength: 5 }), fc.option(fc.string({ maxLength: 20 }))).map(
  ([root, parts, query]) => `${root}/${parts.join('/')}${query === null ? '' : '?' + encodeURI(query)}`.replace(/ /g, '%20'),
);
const headerValue = fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes.filter((b) => b !== 10 && b !== 13)).toString('latin1'));
const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'PROPFIND', 'get', 'XYZ');
const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', '', 'application/json;;');
const body = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc.constant(Buffer.from(JSON.stringify(extensionBody('1003')))),
  fc.constant(Buffer.from('{"secret":"Another-Secret-9"}')),
);

test('random requests against the admin API: never a 5xx, and a refusal changes nothing', async (t) => {
  const s = await startServer({ env: { PROV_SCAN_THRESHOLD: '1000000' } });
  t.teardown(s.close);
  const viewer = (await s.api('POST', '/api/tokens', { body: { name: 'wall', role: 'viewer' } })).json.token as string;
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  await s.api('POST', '/api/extensions', { body: extensionBody('1002') });
  await s.api('POST', '/api/devices', { body: { mac: '805ec0123456', vendor: 'yealink', lines: [{ extension: '1001' }] } });
  await s.api('POST', '/api/links', { body: { extension: '1001', app: 'zoiper' } });

  // Tokens that cannot change anything: none, a wrong one, garbage, and a viewer's.
  const auth = fc.oneof(
    fc.constant(null),
    fc.constant('Bearer wrong-token-wrong-token'),
    headerValue.map((v) => `Bearer ${v}`),
    fc.constant(`Bearer ${viewer}`),
    fc.constant(`bearer   ${viewer}`),
  );
  const extraHeaders = fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/), headerValue), { maxLength: 4 });

  let before = await snapshot(s);
  await fc.assert(
    fc.asyncProperty(method, path, auth, contentType, extraHeaders, fc.option(body), fc.boolean(), async (m, p, a, type, extra, b, lieLength) => {
      const lines = [`${m} ${p} HTTP/1.1`, 'Host: test', 'Connection: close'];
      if (a !== null) lines.push(`Authorization: ${a}`);
      if (type) lines.push(`Content-Type: ${type}`);
      for (const [k, v] of extra) if (!/^(host|connection|content-length|transfer-encoding|authorization)$/i.test(k)) lines.push(`${k}: ${v}`);
      if (b) lines.push(`Content-Length: ${lieLength ? b.length + 5 : b.length}`);
      const bytes = Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), b ?? Buffer.alloc(0)]);
      const r = await rawRequest(s.url, bytes);
      if (r.status >= 500) throw new Error(`${m} ${p} → ${r.status} ${r.body}`);
      // A body that lies about its length holds the request open until it times out or the socket ends.
      if (r.status === 0 && !(b && lieLength)) throw new Error(`${m} ${p}: closed without an answer`);
      const after = await snapshot(s);
      if (after !== before) throw new Error(`${m} ${p} (${r.status}) changed the data`);
      before = after;
    }),
    { numRuns: 250 },
  );
  t.false(s.logs.some((l) => l.includes('"level":50')), 'nothing failed inside');
});
