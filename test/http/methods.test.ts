// Every method against every surface, in every letter case, with and without
// a token: the answer is never a 5xx, and a 401 shows nothing of what is
// behind it (a bare status on the phone and link routes, the error envelope
// alone on the API).
import type { AddressInfo } from 'node:net';
import test from 'ava';
import Koa from 'koa';
import pino from 'pino';
import { errorMiddleware } from '../../server/http/errors.ts';
import { requestLog } from '../../server/http/request-log.ts';
import { rawRequest, requestBytes } from '../helpers/raw-http.ts';
import { extensionBody, startServer } from '../helpers/server.ts';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND', 'TRACE', 'MKCOL', 'LOCK', 'UNLOCK', 'SEARCH', 'PURGE', 'COPY', 'MOVE', 'REPORT', 'BREW'];
const PATHS = [
  '/healthz',
  '/readyz',
  '/prov/805ec0123456.cfg',
  '/prov/y000000000000.boot',
  '/prov/nothing-here.cfg',
  '/sp/AAAAAAAAAAAAAAAAAAAAAAAA',
  '/api',
  '/api/extensions',
  '/api/extensions/1001',
  '/api/extensions/1001/secret',
  '/api/devices/805ec0123456/credentials',
  '/api/openapi.json',
  '/',
  '/no/such/thing',
];
const cases = (p: string) => [...new Set([p, p.toUpperCase(), p.replace(/[a-z]/g, (c, i: number) => (i % 2 ? c.toUpperCase() : c))])];

test('no method, path or letter case gets a 5xx, and a 401 shows nothing', async (t) => {
  const s = await startServer({ env: { PROV_SCAN_THRESHOLD: '1000000' } });
  t.teardown(s.close);
  t.is((await s.api('POST', '/api/extensions', { body: extensionBody('1001', { secret: 'Known-Secret-77' }) })).status, 201);
  t.is((await s.api('POST', '/api/devices', { body: { mac: '805ec0123456', vendor: 'yealink', lines: [{ extension: '1001' }] } })).status, 201);
  const tokens: [string, Record<string, string>][] = [
    ['no token', {}],
    ['a bad token', { Authorization: 'Bearer not-a-real-token-at-all' }],
    ['the admin token', { Authorization: `Bearer ${s.adminToken}` }],
  ];
  let tried = 0;
  for (const method of METHODS) {
    for (const base of PATHS) {
      for (const path of cases(base)) {
        for (const [who, headers] of tokens) {
          const body = ['POST', 'PUT', 'PATCH'].includes(method) ? Buffer.from('{}') : undefined;
          const r = await rawRequest(s.url, requestBytes(method, path, body ? { ...headers, 'Content-Type': 'application/json' } : headers, body));
          const what = `${method} ${path} with ${who}`;
          tried++;
          t.true(r.status >= 100 && r.status < 500, `${what}: ${r.status}`);
          if (who !== 'the admin token') t.false(r.body.includes('Known-Secret-77'), `${what} shows the secret`);
          if (r.status === 401 && method === 'HEAD') t.is(r.body, '', what);
          else if (r.status === 401) {
            if (path.toLowerCase().startsWith('/api')) {
              t.deepEqual(Object.keys(JSON.parse(r.body)), ['error'], what);
              t.is(JSON.parse(r.body).error.code, 'unauthorized', what);
            } else {
              t.is(r.body, '', what);
            }
          }
          if (r.status === 405) t.truthy(r.headers.get('allow'), `${what}: 405 without Allow`);
          if (who !== 'the admin token' && path.toLowerCase().startsWith('/api') && !['PROPFIND', 'TRACE', 'MKCOL', 'LOCK', 'UNLOCK', 'SEARCH', 'PURGE', 'COPY', 'MOVE', 'REPORT', 'BREW'].includes(method)) {
            t.is(r.status, 401, `${what} reaches the API without a valid token`);
          }
        }
      }
    }
  }
  t.true(tried > 1000);
  t.false(s.logs.some((l) => /"level":50/.test(l)), 'nothing was logged as a failure');
});

test('the API in any letter case takes a valid token, and an unauthenticated request is refused before its body is read', async (t) => {
  const s = await startServer();
  t.teardown(s.close);
  t.is((await s.api('POST', '/API/Extensions', { body: extensionBody('1001') })).status, 201);
  t.is((await s.api('GET', '/Api/EXTENSIONS/1001')).json.number, '1001');
  const noToken = await s.api('GET', '/aPI/extensions/1001/secret', { token: null });
  t.is(noToken.status, 401);
  t.is(noToken.headers.get('connection'), 'close');

  // Headers promise a large body that never comes; the 401 arrives anyway and the socket is closed.
  const { hostname, port } = new URL(s.url);
  const net = await import('node:net');
  const answer = await new Promise<string>((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let got = '';
    socket.on('data', (c) => (got += c));
    socket.on('close', () => resolve(got));
    socket.write('POST /api/extensions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"number":');
  });
  t.regex(answer, /^HTTP\/1\.1 401 /);
  t.is((await s.api('GET', '/api/extensions')).json.length, 1, 'nothing was created');
});

test('invalid UTF-8 in a JSON body is 400 malformed-json and stores nothing', async (t) => {
  const s = await startServer();
  t.teardown(s.close);
  for (const bad of [Buffer.from([0xff]), Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xe2, 0x82])]) {
    const body = Buffer.concat([Buffer.from('{"number":"1001","displayName":"Zo'), bad, Buffer.from('","server":{"host":"pbx.example.com"}}')]);
    const r = await fetch(`${s.url}/api/extensions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/json' },
      body,
    });
    t.is(r.status, 400);
    t.is(((await r.json()) as { error: { code: string } }).error.code, 'malformed-json');
  }
  t.deepEqual((await s.api('GET', '/api/extensions')).json, []);
  const good = await s.api('POST', '/api/extensions', { body: extensionBody('1001', { displayName: 'Zoë' }) });
  t.is(good.json.displayName, 'Zoë');
});

test('an unexpected failure is a bare 500, logged once without the request', async (t) => {
  // A route that fails the way a bug would, behind the real error and log middleware.
  const logs: string[] = [];
  const app = new Koa();
  app.silent = true;
  app.use(requestLog(pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) })));
  app.use(errorMiddleware);
  app.use((ctx) => {
    throw new TypeError(`cannot read ${ctx.path.length}`);
  });
  const server = app.listen(0, '127.0.0.1');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const r = await fetch(`${url}/api/extensions?token=Known-Secret-77`, { headers: { authorization: 'Bearer Known-Secret-77' } });
  t.is(r.status, 500);
  t.deepEqual(await r.json(), { error: { code: 'internal', message: 'internal error' } });
  const plain = await fetch(`${url}/prov/x.cfg`);
  t.is(plain.status, 500);
  t.is(await plain.text(), '');
  const failures = logs.filter((l) => l.includes('"level":50'));
  t.is(failures.length, 2, 'one line per failed request');
  t.true(failures[0]!.includes('TypeError'));
  t.false(logs.some((l) => l.includes('Known-Secret-77')));
});
