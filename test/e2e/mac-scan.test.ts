// A MAC scanner against the real server over loopback HTTP, so every request
// (scanner, phones, admin) comes from one address, 127.0.0.1: the office NAT
// case. The scanner walks a Yealink prefix asking for `<mac>.cfg` with a
// User-Agent naming each MAC, while 300 known phones fetch their own file
// with their own credentials before and after the scanner is cut off
// (VENDORS.md "Security facts", API.md "Phone authentication").
import { randomInt } from 'node:crypto';
import test from 'ava';
import { basic, phoneCredentials, type PhoneCredentials } from '../helpers/phone.ts';
import { extensionBody, startServer } from '../helpers/server.ts';

const KNOWN = 300;
const SCANS = 5_000;
const THRESHOLD = 30;
const MAX_UNASSIGNED = 10;
/** Requests in flight: the scanner's, and the admin API's while setting up. */
const SCANNER_FLIGHT = 20;
const SETUP_FLIGHT = 8;
/** Phones fetching while the address still has THRESHOLD - 1 strikes; the rest fetch during the cool-down. */
const EARLY_PHONES = 100;

const colons = (mac: string) => mac.match(/../g)!.join(':');
const yealinkUa = (mac: string) => `Yealink SIP-T46S 66.86.0.15 ${colons(mac)}`;
const hex6 = (n: number) => n.toString(16).padStart(6, '0');

/** Runs job(0..count-1) with at most `limit` at once, results in order. */
async function pool<T>(count: number, limit: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await job(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return out;
}

interface Answer {
  status: number;
  text: string;
}

test('a scanner on one address is cut off while 300 phones behind that address get their secrets', async (t) => {
  // About 4 s on 2 cores (setup ~1.8 s, the scan ~1.2 s); see the timings logged.
  t.timeout(60_000, 'the whole scan is bounded in time');
  const started = Date.now();
  const s = await startServer({
    env: {
      PROV_ALLOW_BASIC_OVER_HTTP: 'true',
      PROV_SCAN_THRESHOLD: String(THRESHOLD),
      PROV_SCAN_WINDOW_SECONDS: '60',
      PROV_SCAN_COOLDOWN_SECONDS: '600',
      PROV_MAX_UNASSIGNED: String(MAX_UNASSIGNED),
    },
  });
  t.teardown(s.close);

  // 300 known Yealinks, each on its own extension with its own SIP secret.
  const known = Array.from({ length: KNOWN }, (_, i) => ({
    mac: `805ec0${hex6(0x100000 + i * 0x1d3)}`,
    number: String(2000 + i),
    secret: `Scan-Test-Secret-${i}-${randomInt(1e9)}`,
  }));
  const creds: PhoneCredentials[] = await pool(KNOWN, SETUP_FLIGHT, async (i) => {
    const k = known[i]!;
    const e = await s.api('POST', '/api/extensions', { body: extensionBody(k.number, { secret: k.secret }) });
    if (e.status !== 201) throw new Error(`extension ${k.number}: ${e.status} ${e.text}`);
    const d = await s.api('POST', '/api/devices', { body: { mac: k.mac, vendor: 'yealink', lines: [{ extension: k.number }] } });
    if (d.status !== 201) throw new Error(`device ${k.mac}: ${d.status} ${d.text}`);
    return phoneCredentials(s, k.mac);
  });
  const setupMs = Date.now() - started;

  // 5,000 MACs under the same prefix, none of them known, none twice.
  const taken = new Set(known.map((k) => k.mac));
  const scanned: string[] = [];
  while (scanned.length < SCANS) {
    const mac = `805ec0${hex6(randomInt(0x1000000))}`;
    if (taken.has(mac)) continue;
    taken.add(mac);
    scanned.push(mac);
  }

  const get = async (mac: string, headers: Record<string, string>): Promise<Answer> => {
    const res = await fetch(`${s.url}/prov/${mac}.cfg`, { headers: { 'user-agent': yealinkUa(mac), ...headers } });
    return { status: res.status, text: await res.text() };
  };

  // The scanner's progress, which the phones of the second phase wait on.
  const scans: Answer[] = new Array(SCANS);
  let answered = 0;
  let first429 = false;
  let waiting: { n: number; go: () => void }[] = [];
  const wake = () => {
    const ready = waiting.filter((w) => w.n <= answered);
    waiting = waiting.filter((w) => w.n > answered);
    for (const w of ready) w.go();
  };
  const reached = (n: number) => new Promise<void>((go) => (n <= answered ? go() : waiting.push({ n, go })));
  const scan = (from: number, to: number) =>
    pool(to - from, SCANNER_FLIGHT, async (j) => {
      const i = from + j;
      const r = await get(scanned[i]!, {});
      scans[i] = r;
      if (r.status === 429) first429 = true;
      answered++;
      wake();
    }).catch((err: unknown) => {
      // Never leave a phone waiting on a scanner that stopped.
      answered = Infinity;
      wake();
      throw err;
    });

  const phones: (Answer & { duringBlock: boolean })[] = new Array(KNOWN);
  const phoneFetch = async (i: number) => {
    const duringBlock = first429;
    phones[i] = { ...(await get(known[i]!.mac, { authorization: basic(creds[i]!) })), duringBlock };
  };

  // Phase 1: phones and the scanner at once, the scanner stopping one strike
  // short of the threshold; valid fetches must not add strikes.
  const phase1Started = Date.now();
  await Promise.all([scan(0, THRESHOLD - 1), pool(EARLY_PHONES, 10, phoneFetch)]);
  t.false(s.logs.some((l) => l.includes('"msg":"client blocked"')), 'not blocked before the threshold');
  t.true(scans.slice(0, THRESHOLD - 1).every((r) => r.status === 404), 'below the threshold: 404');

  // Phase 2: the scanner crosses the threshold and keeps going; phone k fetches
  // once the scanner has had answers THRESHOLD + 5 + 20k, i.e. during the block.
  const phase2Started = Date.now();
  await Promise.all([
    scan(THRESHOLD - 1, SCANS),
    ...Array.from({ length: KNOWN - EARLY_PHONES }, async (_, k) => {
      await reached(THRESHOLD + 5 + 20 * k);
      await phoneFetch(EARLY_PHONES + k);
    }),
  ]);
  const scanMs = Date.now() - phase2Started;

  // The scanner: never a 200, never a byte of body; THRESHOLD 404s, then 429.
  const count = (status: number) => scans.filter((r) => r.status === status).length;
  t.is(count(200), 0, 'the scanner got no file');
  t.true(scans.every((r) => r.text === ''), 'every answer to the scanner is empty');
  t.is(count(404), THRESHOLD, 'exactly THRESHOLD unknown MACs answered 404');
  t.is(count(429), SCANS - THRESHOLD, 'everything after the threshold refused with 429');
  const last404 = scans.map((r) => r.status).lastIndexOf(404);
  t.true(last404 < THRESHOLD + SCANNER_FLIGHT, `the 404s are the first requests sent (last at ${last404})`);
  t.true(scans.slice(THRESHOLD + SCANNER_FLIGHT).every((r) => r.status === 429), '429 for the rest of the scan');

  // One refusal line per 429, with the address and a reason.
  const lines = s.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
  const refused = lines.filter((l) => l.msg === 'prov-refused');
  t.is(refused.length, count(429), 'one prov-refused line per 429');
  t.true(refused.every((l) => l.ip === '127.0.0.1' && l.reason === 'cooling-down' && l.surface === 'prov'));
  const blocked = lines.filter((l) => l.msg === 'client blocked');
  t.is(blocked.length, 1, 'blocked once');
  t.like(blocked[0], { ip: '127.0.0.1', reason: 'unknown-mac', strikes: THRESHOLD });

  // Every known phone: 200 with its own credentials and its own SIP secret, during the block too.
  for (const [i, p] of phones.entries()) {
    const k = known[i]!;
    t.is(p.status, 200, `${k.mac} (phone ${i})`);
    const text = p.text.split('\n');
    t.true(text.includes(`account.1.password = ${k.secret}`), `${k.mac} got its SIP secret`);
    t.true(text.includes(`static.auto_provision.server.password = ${creds[i]!.password}`), `${k.mac} got its credentials`);
  }
  t.true(phones.slice(0, EARLY_PHONES).every((p) => !p.duringBlock));
  t.true(phones.slice(EARLY_PHONES).every((p) => p.duringBlock), 'the later phones fetched while the address was refused');
  t.is((await s.api('GET', '/api/devices?status=synced&limit=1000')).json.length, KNOWN, 'every known phone is synced');

  // Unknown phones recorded: at most MAX_UNASSIGNED kept, only from the 404s before the block.
  const answered404 = new Set(scanned.filter((_, i) => scans[i]!.status === 404));
  const recorded = lines.filter((l) => l.msg === 'unknown phone recorded as unassigned');
  t.is(recorded.length, THRESHOLD, 'each 404 naming its MAC in the User-Agent was recorded');
  t.true(recorded.every((l) => answered404.has(l.mac as string)), 'nothing recorded from a refused request');
  const unassigned = (await s.api('GET', '/api/devices?status=unassigned&limit=1000')).json as { mac: string }[];
  t.true(unassigned.length > 0 && unassigned.length <= MAX_UNASSIGNED, `${unassigned.length} unassigned`);
  t.true(unassigned.every((d) => answered404.has(d.mac)));
  t.is((await s.api('GET', '/api/devices?limit=1000')).json.length, KNOWN + unassigned.length, 'no other device appeared');

  t.log(
    `setup ${setupMs} ms, phase 1 ${phase2Started - phase1Started} ms, ` +
      `phase 2 (${SCANS - THRESHOLD + 1} scans, ${KNOWN - EARLY_PHONES} phones) ${scanMs} ms, total ${Date.now() - started} ms`,
  );
});
