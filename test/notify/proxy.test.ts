// check-sync NOTIFY through the line's registrar (PROV_NOTIFY=proxy): a sipp
// phone registers with Kamailio (examples/kamailio/notify-proxy.cfg), the
// server sends the NOTIFY to Kamailio, Kamailio relays it to the phone's
// registered contact, and the phone's 200 comes back as acknowledged.
import test from 'ava';
import { basic, phoneCredentials } from '../helpers/phone.ts';
import { startServer } from '../helpers/server.ts';
import { freeUdpPort, startKamailio, startSipp } from '../helpers/sip-peers.ts';
import { until } from '../helpers/until.ts';

const EXT = '2001';
const MAC = '805ec0a1b2c3';

test('a NOTIFY relayed by Kamailio to the registered phone is acknowledged', async (t) => {
  const kamailio = await startKamailio(t);
  const phonePort = await freeUdpPort();
  const phone = await startSipp(t, 'phone-yealink.xml', { calls: 1, port: phonePort });
  const register = await startSipp(t, 'register.xml', {
    calls: 1,
    remote: `127.0.0.1:${kamailio.port}`,
    keys: { user: EXT, phone_port: String(phonePort) },
  });
  t.is(await register.exited, 0, `the phone registered: ${register.output()}`);

  const s = await startServer({
    env: { PROV_NOTIFY: 'proxy', PROV_NOTIFY_JITTER_MS: '0', PROV_ALLOW_BASIC_OVER_HTTP: 'true', PROV_SWEEP_MINUTES: '0' },
  });
  t.teardown(s.close);
  const ext = await s.api('POST', '/api/extensions', {
    body: { number: EXT, secret: 'First-Secret-1', server: { host: '127.0.0.1', port: kamailio.port, transport: 'udp' } },
  });
  t.is(ext.status, 201);
  t.is((await s.api('POST', '/api/devices', { body: { mac: MAC, vendor: 'yealink', model: 'T46S', lines: [{ extension: EXT }] } })).status, 201);
  const creds = await phoneCredentials(s, MAC);
  const fetchConfig = () =>
    fetch(`${s.url}/prov/${MAC}.cfg`, { headers: { 'user-agent': 'Yealink SIP-T46S 66.86.0.15', authorization: basic(creds) } });
  t.is((await fetchConfig()).status, 200);

  t.is((await s.api('PUT', `/api/extensions/${EXT}/secret`, { body: { secret: 'Second-Secret-2' } })).status, 200);
  const d = await until('an outcome', async () => {
    const r = (await s.api('GET', `/api/devices/${MAC}`)).json;
    return r.notify && ['acknowledged', 'failed'].includes(r.notify.state) ? r : null;
  });
  t.like(d.notify, { state: 'acknowledged', via: 'proxy', target: `udp:127.0.0.1:${kamailio.port}`, code: 200, attempts: 1 });
  t.is(await phone.exited, 0, 'the phone got the Event it expects');
  const [notify] = phone.received().filter((m) => m.startLine.startsWith('NOTIFY '));
  t.is(notify!.startLine, `NOTIFY sip:${EXT}@127.0.0.1:${phonePort} SIP/2.0`, 'Kamailio put the registered contact in the Request-URI');
  t.is(notify!.header('Event'), 'check-sync;reboot=false');
  t.regex(kamailio.output(), new RegExp(`check-sync for ${EXT} relayed`));

  t.is((await fetchConfig()).status, 200);
  t.is((await s.api('GET', `/api/devices/${MAC}`)).json.status, 'synced');
});
