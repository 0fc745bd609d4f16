// An office behind one NAT address, as a cloud server sees it: 40 known
// phones (24 Yealink T46S, 16 Polycom VVX 450) all on 127.0.0.2, each walking
// its real chain (a bare request first, then Digest with what its claim
// delivered), with the server's default scan settings. At rollout every
// phone claims at once; after a power cut every phone walks its chain again,
// three rounds in a minute; a phone plugged in right after is claimed; an
// unknown phone lands in the inbox. Meanwhile a scanner and a password
// guesser on other addresses are refused. Nothing the office does earns a
// strike, a 429 or a fail2ban line.
import test from 'ava';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';
import { finalStatus, polycomVvx450, requestFrom, walk, yealinkT46S, type OfficePhone } from '../helpers/office.ts';

const OFFICE = '127.0.0.2';
const SCANNER = '127.0.0.3';
const GUESSER = '127.0.0.4';
const SECRET = 'Office-Secret-1';

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const logged = (s: TestServer, msg: string) => s.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === msg);

async function must(p: Promise<{ status: number; text: string }>, status = 201) {
  const r = await p;
  if (r.status !== status) throw new Error(`${r.status} ${r.text}`);
}

async function office(t: import('ava').ExecutionContext) {
  let now = Date.parse('2030-09-01T08:00:00.000Z');
  // The defaults, but for the clock and PROV_NOTIFY (no SIP peer listens here).
  const s = await startServer({ env: { PROV_NOTIFY: 'off' }, clock: () => new Date(now) });
  t.teardown(s.close);
  await must(s.api('POST', '/api/extensions', { body: extensionBody('1001', { secret: SECRET }) }));
  const phones: OfficePhone[] = [];
  for (let i = 0; i < 24; i++) phones.push(yealinkT46S(`805ec0a0${hex(i, 4)}`));
  for (let i = 0; i < 16; i++) phones.push(polycomVvx450(`0004f2a0${hex(i, 4)}`, i % 2 === 0));
  for (const p of phones) {
    const vendor = p.ua.startsWith('Yealink') ? 'yealink' : 'polycom';
    await must(s.api('POST', '/api/devices', { body: { mac: p.mac, vendor, lines: [{ extension: '1001' }] } }));
  }
  return { s, phones, advance: (seconds: number) => void (now += seconds * 1000) };
}

/** Every phone walks its chain at once; every file of every phone must end served. */
async function everyPhoneWalks(t: import('ava').ExecutionContext, s: TestServer, phones: OfficePhone[], what: string) {
  const walks = await Promise.all(phones.map((p) => walk(s.url, p, OFFICE)));
  for (const [i, steps] of walks.entries()) {
    const p = phones[i]!;
    for (const step of steps) {
      t.false(step.statuses.includes(429), `${what}: ${p.mac} ${step.file} was refused`);
      t.is(finalStatus(step), 200, `${what}: ${p.mac} ${step.file} ended ${step.statuses.join(' → ')}`);
    }
    const secretFile = steps.find((x) => x.file === p.credentialFile)!;
    t.true(secretFile.body.includes(SECRET), `${what}: ${p.mac} has the extension's secret`);
    t.truthy(p.password, `${what}: ${p.mac} holds its provisioning password`);
  }
}

test('40 phones behind one address: rollout, a power cut, a new phone and an unknown one, all zero-touch, while attackers elsewhere are refused', async (t) => {
  const { s, phones, advance } = await office(t);

  // Rollout: every phone claims its file at once.
  await everyPhoneWalks(t, s, phones, 'rollout');
  const claims = (await s.api('GET', '/api/audit?action=device.claimed&limit=100')).json as { target: string }[];
  t.is(claims.length, 40, 'each phone claimed once');

  // A scanner and a password guesser on other addresses, while the office works.
  const scanned: number[] = [];
  for (let i = 0; i < 40; i++) scanned.push((await requestFrom(SCANNER, `${s.url}/prov/805ec0ff${hex(i, 4)}.cfg`)).status);
  t.true(scanned.includes(429), 'the scanner is refused');
  const guessed: number[] = [];
  for (let i = 0; i < 40; i++) {
    const auth = `Basic ${Buffer.from(`${phones[i % 40]!.mac}:guess-${i}`).toString('base64')}`;
    guessed.push((await requestFrom(GUESSER, `${s.url}/prov/${phones[i % 40]!.credentialFile}`, { headers: { authorization: auth } })).status);
  }
  t.true(guessed.includes(429), 'the guesser is refused');
  t.false(guessed.includes(200), 'no guess was served');

  // A power cut: every phone boots and walks its chain again, three rounds in a minute.
  for (let round = 1; round <= 3; round++) {
    await everyPhoneWalks(t, s, phones, `power cut, round ${round}`);
    advance(20);
  }

  // A phone plugged in right afterwards is claimed like the others were.
  const late = yealinkT46S('805ec0a0ffff');
  await must(s.api('POST', '/api/devices', { body: { mac: late.mac, vendor: 'yealink', lines: [{ extension: '1001' }] } }));
  await everyPhoneWalks(t, s, [late], 'the new phone');

  // An unknown phone from the office lands in the inbox, not in a cool-down.
  const stranger = yealinkT46S('805ec0a1aaaa');
  const asked = await walk(s.url, stranger, OFFICE);
  t.deepEqual(asked.map(finalStatus), [404, 200, 200, 404], 'its own files are unknown, the shared ones open');
  const inbox = (await s.api('GET', '/api/devices?status=unassigned')).json as { mac: string; lastSeen: { ip: string } }[];
  t.deepEqual(inbox.map((d) => [d.mac, d.lastSeen.ip]), [[stranger.mac, OFFICE]]);

  const blocked = logged(s, 'client blocked').map((l) => l.ip);
  t.false(blocked.includes(OFFICE), 'the office never cooled down');
  t.true(blocked.includes(SCANNER) && blocked.includes(GUESSER));
  t.false(logged(s, 'prov-refused').some((l) => l.ip === OFFICE), 'nothing for fail2ban to ban the office for');
  const statuses = (await s.api('GET', '/api/devices?limit=1000')).json as { mac: string; status: string }[];
  t.is(statuses.filter((d) => d.status === 'synced').length, 41, 'every known phone synced');
});
