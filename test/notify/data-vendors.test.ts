// Push to the desk phones added as data, with sipp as each phone
// (PROV_NOTIFY=direct): a secret change sends the check-sync event its
// profile names — Grandstream and Fanvil `check-sync`, Snom
// `check-sync;reboot=false`, Cisco `resync` — which the phone's scenario
// accepts only in exactly that form; the device goes acknowledged, and
// synced once it fetches the file the NOTIFY asked for.
import test from 'ava';
import { readDeskFile, type DeskVendor } from '../helpers/desk-readers.ts';
import { DATA_PHONES } from '../helpers/data-phones.ts';
import { basic, phoneCredentials } from '../helpers/phone.ts';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';
import { DIRECT_NOTIFY_ENV, notifyTransactions, startSipp } from '../helpers/sip-peers.ts';
import { until } from '../helpers/until.ts';

const EXT = '1001';
const ENV = DIRECT_NOTIFY_ENV;

const PHONES: Record<DeskVendor, { mac: string; file: string; event: string }> = {
  grandstream: { mac: 'c074ada1b2c3', file: 'cfgc074ada1b2c3.xml', event: 'check-sync' },
  snom: { mac: '000413a1b2c3', file: '000413A1B2C3.xml', event: 'check-sync;reboot=false' },
  fanvil: { mac: '0c383ea1b2c3', file: '0c383ea1b2c3.cfg', event: 'check-sync' },
  cisco: { mac: '00562ba1b2c3', file: '00562ba1b2c3.xml', event: 'resync' },
};

async function must(p: Promise<{ status: number; text: string; json: any }>, status: number) {
  const r = await p;
  if (r.status !== status) throw new Error(`setup: ${r.status} ${r.text}`);
  return r.json;
}

const device = async (s: TestServer, mac: string) => (await s.api('GET', `/api/devices/${mac}`)).json;

for (const vendor of Object.keys(PHONES) as DeskVendor[]) {
  const p = PHONES[vendor];
  test(`${vendor}: a secret change sends "Event: ${p.event}", the phone accepts it, and its fetch makes it synced`, async (t) => {
    const sipp = await startSipp(t, `phone-${vendor}.xml`, { calls: 1 });
    const s = await startServer({ env: ENV });
    t.teardown(s.close);
    await must(s.api('POST', '/api/extensions', { body: extensionBody(EXT, { secret: 'First-Secret-1' }) }), 201);
    await must(s.api('POST', '/api/devices', {
      body: { mac: p.mac, vendor, model: DATA_PHONES[vendor].model, lines: [{ extension: EXT }], sipContact: `sip:127.0.0.1:${sipp.port};transport=udp` },
    }), 201);
    const creds = await phoneCredentials(s, p.mac);
    const fetchConfig = async () => {
      const res = await fetch(`${s.url}/prov/${p.file}`, { headers: { 'user-agent': DATA_PHONES[vendor].ua(p.mac), authorization: basic(creds) } });
      t.is(res.status, 200);
      return readDeskFile(vendor, await res.text(), (f) => f.line(1).password);
    };
    t.is(await fetchConfig(), 'First-Secret-1');
    t.is((await device(s, p.mac)).status, 'synced');

    t.is((await s.api('PUT', `/api/extensions/${EXT}/secret`, { body: { secret: 'Second-Secret-2' } })).status, 200);
    const acked = await until(`notify of ${p.mac}`, async () => {
      const d = await device(s, p.mac);
      return d.notify && ['acknowledged', 'failed'].includes(d.notify.state) ? d : null;
    });
    t.like(acked.notify, { state: 'acknowledged', via: 'direct', code: 200, attempts: 1 });
    t.is(acked.status, 'pending', 'acknowledged is not synced: the phone has yet to fetch');
    t.is(await sipp.exited, 0, 'sipp saw the Event it expects and answered 200');
    const [notify, ...more] = notifyTransactions(sipp.received());
    t.deepEqual(more, [], 'one NOTIFY');
    t.is(notify!.header('Event'), p.event);
    t.is(notify!.header('Subscription-State'), 'terminated');

    t.is(await fetchConfig(), 'Second-Secret-2');
    const synced = await device(s, p.mac);
    t.is(synced.status, 'synced');
    t.is(synced.notify.state, 'acknowledged');
  });
}
