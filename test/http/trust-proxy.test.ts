// Behind a balancer the client address comes from X-Forwarded-For, but only
// when PROV_TRUST_PROXY says every request comes through one.
import test from 'ava';
import { extensionBody, startServer } from '../helpers/server.ts';

const MAC = '805ec0123456';
const UA = 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:12:34:56';

for (const [trust, expected] of [['true', '198.51.100.7'], ['false', '127.0.0.1']] as const) {
  test(`PROV_TRUST_PROXY=${trust}: the recorded client address is ${expected}`, async (t) => {
    const s = await startServer({ env: { PROV_TRUST_PROXY: trust } });
    t.teardown(s.close);
    await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
    await s.api('POST', '/api/devices', { body: { mac: MAC, vendor: 'yealink', lines: [{ extension: '1001' }] } });
    const res = await fetch(`${s.url}/prov/${MAC}.cfg`, { headers: { 'user-agent': UA, 'x-forwarded-for': '198.51.100.7' } });
    t.is(res.status, 200);
    t.is((await s.api('GET', `/api/devices/${MAC}`)).json.lastFetch.ip, expected);
  });
}
