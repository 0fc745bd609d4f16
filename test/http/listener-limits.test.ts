// Listener limits on a real port: a client that sends its headers slowly is
// cut off at the header deadline while a phone that asks at once is served,
// a flood of such clients cannot lock the phone out, and over-large headers
// are refused by the HTTP parser, never by a crash.
import net from 'node:net';
import test from 'ava';
import { LISTENER_LIMITS } from '../../server/http/listeners.ts';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';

const YEA_UA = 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:12:34:56';

/** Opens a connection that sends one header line a second and never finishes; resolves when the server closes it. */
function slowClient(s: TestServer): { closed: Promise<number>; socket: net.Socket } {
  const { hostname, port } = new URL(s.url);
  const socket = net.connect(Number(port), hostname);
  const opened = Date.now();
  let n = 0;
  socket.on('connect', () => socket.write('GET /prov/y000000000000.boot HTTP/1.1\r\nHost: t\r\n'));
  const timer = setInterval(() => socket.writable && socket.write(`X-Slow-${n++}: a\r\n`), 1_000);
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve(Date.now() - opened);
    }),
  );
  return { closed, socket };
}

async function phone(s: TestServer) {
  const r = await fetch(`${s.url}/prov/y000000000000.boot`, { headers: { 'user-agent': YEA_UA } });
  return { status: r.status, text: await r.text() };
}

test('a slow-header client is disconnected at the header deadline while a phone is served', async (t) => {
  const s = await startServer();
  t.teardown(s.close);
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  const slow = slowClient(s);
  t.teardown(() => slow.socket.destroy());
  // The phone asks while the slow client is still trickling.
  await new Promise((r) => setTimeout(r, 1_500));
  const served = await phone(s);
  t.is(served.status, 200);
  t.true(served.text.startsWith('#!version:1.0.0.1'));
  const heldMs = await slow.closed;
  // Node checks the deadline once a second; the slow client would otherwise go on for ever.
  t.true(heldMs >= LISTENER_LIMITS.headersTimeoutMs - 500, `closed after ${heldMs} ms`);
  t.true(heldMs < LISTENER_LIMITS.headersTimeoutMs + 5_000, `held for ${heldMs} ms`);
});

test('a flood of unfinished connections cannot lock a phone out', async (t) => {
  const s = await startServer();
  t.teardown(s.close);
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  const { hostname, port } = new URL(s.url);
  const flood: net.Socket[] = [];
  t.teardown(() => flood.forEach((c) => c.destroy()));
  let dropped = 0;
  for (let i = 0; i < LISTENER_LIMITS.maxUnprovenPerAddress + 50; i++) {
    const c = net.connect(Number(port), hostname);
    c.on('error', () => {});
    c.on('close', () => dropped++);
    c.on('connect', () => c.write('GET /prov/y000000000000.boot HTTP/1.1\r\nHost: t\r\n'));
    flood.push(c);
  }
  await Promise.all(flood.map((c) => new Promise((r) => (c.connecting ? c.once('connect', r) : r(null)))));
  for (let i = 0; i < 5; i++) t.is((await phone(s)).status, 200, `phone fetch ${i}`);
  await new Promise((r) => setTimeout(r, 200));
  t.true(dropped >= 50, `the oldest unfinished connections of the address made room (${dropped} dropped)`);
});

test('too many or too large headers are refused with 431, and the server keeps serving', async (t) => {
  const s = await startServer();
  t.teardown(s.close);
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  const { hostname, port } = new URL(s.url);
  const send = (head: string) =>
    new Promise<string>((resolve) => {
      const c = net.connect(Number(port), hostname, () => c.end(head));
      let got = '';
      c.on('data', (d) => (got += d));
      c.on('error', () => {});
      c.on('close', () => resolve(got));
    });
  const big = await send(`GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: ${'a'.repeat(LISTENER_LIMITS.maxHeaderSize + 10)}\r\n\r\n`);
  t.regex(big, /^HTTP\/1\.1 431 /);
  t.is((await phone(s)).status, 200);
});

/** Sends headers that promise a large body, then a few bytes of it; resolves with what comes back once the server closes. */
function unfinishedBody(s: TestServer, head: string): Promise<string> {
  const { hostname, port } = new URL(s.url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(head + '<PHONE_CONFIG'));
    let got = '';
    socket.on('data', (d) => (got += d));
    socket.on('error', () => {});
    socket.on('close', () => resolve(got));
  });
}

test('an upload without credentials is refused before its body is read, and the connection closed', async (t) => {
  // No claim window: the upload has nothing but its (missing) credentials.
  const s = await startServer({ env: { PROV_CLAIM_MINUTES: '0' } });
  t.teardown(s.close);
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  await s.api('POST', '/api/devices', { body: { mac: '0004f2e765da', vendor: 'polycom', lines: [{ extension: '1001' }] } });
  const got = await unfinishedBody(
    s,
    'PUT /prov/0004f2e765da-phone.cfg HTTP/1.1\r\nHost: t\r\nUser-Agent: FileTransport PolycomVVX-VVX_450-UA/6.4.0.1\r\nContent-Length: 200000\r\n\r\n',
  );
  t.regex(got, /^HTTP\/1\.1 401 /);
  t.regex(got, /\r\nConnection: close\r\n/i);
  t.regex(got, /\r\nWWW-Authenticate: Digest /i);
});
