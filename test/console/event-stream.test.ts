// GET /api/events over real HTTP: the stream carries device snapshots when a
// change re-renders a phone and when the phone fetches, link snapshots after
// a secret change, the notifier's outcomes as they are published, and
// nothing secret; it needs a signed-in person or a token like any /api route.
import test from 'ava';
import { phoneCredentials } from '../helpers/phone.ts';
import { fetchWithDigest } from '../helpers/digest-client.ts';
import { extensionBody } from '../helpers/server.ts';
import { consoleServer, setUp } from './session-client.ts';

const MAC = '805ec0a1b2c3';
const UA = 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:a1:b2:c3';

interface Frame {
  event: string;
  data: any;
}

/** Reads server-sent events from a fetch body until `until` says stop. */
async function collect(res: Response, until: (frames: Frame[]) => boolean): Promise<{ frames: Frame[]; raw: string }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let raw = '';
  const frames: Frame[] = [];
  while (!until(frames)) {
    const { value, done } = await reader.read();
    if (done) break;
    raw += decoder.decode(value, { stream: true });
    frames.length = 0;
    for (const block of raw.split('\n\n').slice(0, -1)) {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) frames.push({ event, data: JSON.parse(data) });
    }
  }
  await reader.cancel();
  return { frames, raw };
}

test('the event stream follows a secret change to the phone and forwards notify outcomes', async (t) => {
  // The outcome is published by hand below; the server's own notifier stays out of the way.
  const s = await consoleServer(t, { env: { PROV_NOTIFY: 'off' } });
  const alice = await setUp(s);
  t.is((await s.api('GET', '/api/events', { token: null })).status, 401);
  t.is((await s.api('POST', '/api/extensions', { body: extensionBody('1001', { secret: 'Stream-Secret-1' }) })).status, 201);
  t.is((await s.api('POST', '/api/devices', { body: { mac: MAC, vendor: 'yealink', lines: [{ extension: '1001' }] } })).status, 201);
  t.is((await s.api('POST', '/api/links', { body: { extension: '1001', app: 'zoiper' } })).status, 201);
  const credentials = await phoneCredentials(s, MAC);
  const phone = () => fetchWithDigest(`${s.url}/prov/${MAC}.cfg`, credentials, { headers: { 'user-agent': UA } });
  t.is((await phone()).status, 200);

  const res = await fetch(`${s.url}/api/events`, { headers: { cookie: `prov_session=${alice.cookie}` } });
  t.is(res.status, 200);
  t.regex(res.headers.get('content-type')!, /^text\/event-stream/);
  const reading = collect(res, (f) => f.some((x) => x.event === 'notify'));
  await new Promise((r) => setTimeout(r, 200));

  const changed = await s.api('PUT', '/api/extensions/1001/secret', { body: { secret: 'Stream-Secret-2' } });
  t.is(changed.status, 200);
  t.is((await phone()).status, 200);
  const notify = { state: 'acknowledged' as const, via: 'direct' as const, target: 'sip:192.0.2.7:5060', at: new Date().toISOString(), code: 200, attempts: 1 };
  s.events.publish({ type: 'notify-outcome', mac: MAC, notify });

  const { frames, raw } = await reading;
  const statuses = frames.filter((f) => f.event === 'device' && f.data.mac === MAC).map((f) => f.data.status);
  t.deepEqual(statuses.slice(-3), ['pending', 'synced', 'synced'], 'pending after the change, synced after the fetch');
  const ext = frames.find((f) => f.event === 'extension');
  t.like(ext?.data, { number: '1001', secretVersion: 2 });
  t.like(frames.find((f) => f.event === 'link')?.data, { extension: '1001', app: 'zoiper' });
  t.deepEqual(frames.find((f) => f.event === 'notify')?.data, { mac: MAC, notify });
  for (const secret of ['Stream-Secret-1', 'Stream-Secret-2', credentials.password]) t.false(raw.includes(secret));
});
