// Behind a balancer the client address comes from X-Forwarded-For, read from
// the right and only as far as PROV_TRUST_PROXY's proxies wrote it; in front
// of a real nginx, a client cannot dodge the scan guard by writing its own
// hops (docs/deployment.md "Behind a reverse proxy").
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import test from 'ava';
import { loadConfig } from '../../server/config.ts';
import { startProxy } from '../helpers/nginx.ts';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';

const run = promisify(execFile);
const MAC = '805ec0123456';
const UA = 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:12:34:56';

async function withDevice(env: Record<string, string>) {
  const s = await startServer({ env: { PROV_CLAIM_MINUTES: '0', PROV_ALLOW_BASIC_OVER_HTTP: 'true', ...env } });
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  await s.api('POST', '/api/devices', { body: { mac: MAC, vendor: 'yealink', lines: [{ extension: '1001' }] } });
  const creds = (await s.api('GET', `/api/devices/${MAC}/credentials`)).json;
  const authorization = `Basic ${Buffer.from(`${creds.user}:${creds.password}`).toString('base64')}`;
  return { s, authorization };
}

const lastIp = async (s: TestServer) => (await s.api('GET', `/api/devices/${MAC}`)).json.lastFetch.ip as string;

for (const [trust, forwarded, expected] of [
  ['false', '198.51.100.7', '127.0.0.1'],
  ['127.0.0.1', '198.51.100.7', '198.51.100.7'],
  ['127.0.0.1', '203.0.113.66, 198.51.100.7', '198.51.100.7'],
  ['127.0.0.1, 10.0.0.0/8', '203.0.113.66, 198.51.100.7, 10.1.2.3', '198.51.100.7'],
  ['127.0.0.0/8', 'not-an-address, 127.0.0.5', '127.0.0.5'],
  ['::1, 127.0.0.1', '2001:db8::7', '2001:db8::7'],
] as const) {
  test(`PROV_TRUST_PROXY=${trust}, X-Forwarded-For: ${forwarded}: the client is ${expected}`, async (t) => {
    const { s, authorization } = await withDevice({ PROV_TRUST_PROXY: trust });
    t.teardown(s.close);
    const headers = { 'user-agent': UA, 'x-forwarded-for': forwarded, authorization };
    const res = await fetch(`${s.url}/prov/${MAC}.cfg`, { headers });
    t.is(res.status, 200);
    t.is(await lastIp(s), expected);
  });
}

test('PROV_TRUST_PROXY=true is refused at start with what to write instead; a bad entry names itself', (t) => {
  const err = t.throws(() => loadConfig({ PROV_TRUST_PROXY: 'true' }));
  t.regex(err!.message, /^PROV_TRUST_PROXY .*addresses or CIDRs of the proxies/);
  t.regex(t.throws(() => loadConfig({ PROV_TRUST_PROXY: '127.0.0.1, nginx.local' }))!.message, /"nginx\.local"/);
  t.deepEqual(loadConfig({ PROV_TRUST_PROXY: 'false' }).trustedProxies, []);
  t.deepEqual(loadConfig({}).trustedProxies, []);
  t.deepEqual(loadConfig({ PROV_TRUST_PROXY: '10.0.0.7 ,fd00::/8' }).trustedProxies.map((n) => n.text), ['10.0.0.7/32', 'fd00::/8']);
});

test('behind a real nginx, forged X-Forwarded-For hops cannot dodge the 429 nor name another address', async (t) => {
  const threshold = 5;
  const { s } = await withDevice({ PROV_TRUST_PROXY: '127.0.0.1', PROV_SCAN_THRESHOLD: String(threshold) });
  t.teardown(s.close);
  const proxy = await startProxy(s.url);
  t.teardown(proxy.stop);
  // The attacker is 127.0.0.2: nginx connects to us from 127.0.0.1, which is trusted, and appends 127.0.0.2.
  const statuses: number[] = [];
  for (let i = 0; i <= threshold + 2; i++) {
    const { stdout } = await run('/usr/bin/curl', [
      '-s', '-o', '/dev/null', '-w', '%{http_code}', '--interface', '127.0.0.2',
      '-H', `X-Forwarded-For: 198.51.100.${i}, 10.9.8.${i}`,
      `${proxy.url}/prov/805ec0ff${String(i).padStart(4, '0')}.cfg`,
    ]);
    statuses.push(Number(stdout));
  }
  t.deepEqual(statuses, [...Array(threshold).fill(404), 429, 429, 429]);
  const lines = s.logs.map((l) => JSON.parse(l));
  const refused = lines.filter((l) => l.msg === 'prov-refused').map((l) => l.ip);
  t.deepEqual(refused, ['127.0.0.2', '127.0.0.2', '127.0.0.2'], 'fail2ban would ban the real client');
  t.like(lines.find((l) => l.msg === 'client blocked'), { ip: '127.0.0.2' });
  t.false(s.logs.some((l) => /198\.51\.100\.|10\.9\.8\./.test(l) && /prov-refused|client blocked/.test(l)), 'no forged address named');
});
