// A phone provisioned here registers at a real Kamailio (examples/kamailio/
// registrar-feed.cfg) that verifies Digest against the credential feed, and
// keeps registering through a secret rotation: sipp plays the phone with the
// secret it read from the Yealink config it fetched from this server.
import test, { type ExecutionContext } from 'ava';
import { fetchWithDigest } from '../helpers/digest-client.ts';
import { startKamailio, sippRegister, type Kamailio, type SipAccount } from '../helpers/registrar-peers.ts';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';
import { cfgGet, readYealinkCfg } from '../helpers/yealink-cfg-reader.ts';

const MAC = '805ec0a1b2d4';
const UA = 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:a1:b2:d4';
// The Kamailio config reuses a lookup for this long; a dropped secret is refused once it has passed.
const CACHE_SECONDS = 1;
const waitOutCache = () => new Promise((r) => setTimeout(r, CACHE_SECONDS * 1000 + 1100));

interface Phone extends SipAccount {
  login: { user: string; password: string } | null;
}

/** What the phone knows after fetching its MAC file: the first time through the claim window, then with its own login. */
async function fetchConfig(t: ExecutionContext, s: TestServer, phone: Phone | null): Promise<Phone> {
  const url = `${s.url}/prov/${MAC}.cfg`;
  const text = phone?.login
    ? await fetchWithDigest(url, phone.login, { headers: { 'user-agent': UA } }).then((r) => {
        t.is(r.status, 200, 'the phone fetches its config with its login');
        return r.text;
      })
    : await fetch(url, { headers: { 'user-agent': UA } }).then(async (r) => {
        t.is(r.status, 200, 'the claim window serves the first fetch');
        return r.text();
      });
  const cfg = readYealinkCfg(text);
  return {
    user: cfgGet(cfg, 'account.1.user_name'),
    authUser: cfgGet(cfg, 'account.1.auth_name'),
    password: cfgGet(cfg, 'account.1.password'),
    login: { user: cfgGet(cfg, 'static.auto_provision.server.username'), password: cfgGet(cfg, 'static.auto_provision.server.password') },
  };
}

async function registers(t: ExecutionContext, k: Kamailio, account: SipAccount, expect: 200 | 401 | 403, what: string) {
  const r = await sippRegister(t, k.port, account, expect);
  t.is(r.code, 0, `${what}: expected ${expect}\n${r.output}\n--- kamailio\n${k.output().slice(-3000)}`);
}

test('a phone keeps registering through a rotation and loses the old secret exactly when it has the new one', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const pbx = (await s.api('POST', '/api/tokens', { body: { name: 'kamailio', role: 'pbx', realms: ['127.0.0.1'] } })).json.token as string;
  const k = await startKamailio(t, 'registrar-feed.cfg', {
    FEED_URL: `${s.url}/pbx/v1/credentials/`,
    PBX_TOKEN: pbx,
    CACHE_SECONDS,
    FEED_TIMEOUT: 2,
  });
  const server = { host: '127.0.0.1', port: k.port };
  t.is((await s.api('POST', '/api/extensions', { body: extensionBody('1001', { authUsername: 'desk-1001', server }) })).status, 201);
  t.is((await s.api('POST', '/api/extensions', { body: extensionBody('1002', { server }) })).status, 201);
  t.is((await s.api('POST', '/api/devices', { body: { mac: MAC, vendor: 'yealink', model: 'T46S', lines: [{ extension: '1001' }] } })).status, 201);

  const first = await fetchConfig(t, s, null);
  t.like(first, { user: '1001', authUser: 'desk-1001' });
  await registers(t, k, first, 200, 'the provisioned secret');
  await registers(t, k, { ...first, password: `${first.password}x` }, 401, 'a wrong secret');
  await registers(t, k, { ...first, user: '1002' }, 403, "another extension's number with these credentials");

  t.is((await s.api('POST', '/api/extensions/1001/secret/generate')).status, 200);
  const rotating = (await s.api('GET', '/api/extensions/1001')).json.rotation;
  t.deepEqual(rotating.waitingFor, { macs: [MAC], links: [], contacts: [] });
  t.truthy(rotating.previousAcceptedUntil);
  await registers(t, k, first, 200, 'the old secret during the grace');

  const second = await fetchConfig(t, s, first);
  t.not(second.password, first.password, 'the phone got a new secret');
  await registers(t, k, second, 200, 'the new secret');
  t.deepEqual((await s.api('GET', '/api/extensions/1001')).json.rotation, {
    previousAcceptedUntil: null,
    waitingFor: { macs: [], links: [], contacts: [] },
  });
  await waitOutCache();
  await registers(t, k, first, 401, 'the old secret once the phone has the new one');
  await registers(t, k, second, 200, 'the new secret still');

  // A suspected leak: the secret the phone has now is refused before the phone has fetched anything.
  t.is((await s.api('POST', '/api/extensions/1001/secret/generate', { body: { revokePrevious: true } })).status, 200);
  await waitOutCache();
  await registers(t, k, second, 401, 'a revoked secret');
  const third = await fetchConfig(t, s, second);
  await registers(t, k, third, 200, 'the secret after the revocation');

  // The feed gone: Kamailio fails closed (503), it never lets a REGISTER through.
  await s.close();
  await waitOutCache();
  const closed = await sippRegister(t, k.port, third, 200);
  t.not(closed.code, 0, 'no registration without the feed');
  t.regex(closed.output, /SIP\/2\.0 503 /, 'Kamailio answers 503 when the feed does not answer');
});

test('a feed that does not answer in time is a refusal (503), never a registration', async (t) => {
  const { createServer } = await import('node:net');
  const held: import('node:net').Socket[] = [];
  const silent = createServer((socket) => void held.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const socket of held) socket.destroy();
    return new Promise<void>((resolve) => silent.close(() => resolve()));
  });
  const port = (silent.address() as import('node:net').AddressInfo).port;
  const k = await startKamailio(t, 'registrar-feed.cfg', {
    FEED_URL: `http://127.0.0.1:${port}/pbx/v1/credentials/`,
    PBX_TOKEN: 'prov_unused',
    CACHE_SECONDS,
    FEED_TIMEOUT: 1,
  });
  const r = await sippRegister(t, k.port, { user: '1001', authUser: '1001', password: 'Any-Secret-1' }, 200);
  t.not(r.code, 0, 'not registered');
  t.regex(r.output, /SIP\/2\.0 503 /);
  t.true(held.length > 0, 'Kamailio did ask the feed');
});
