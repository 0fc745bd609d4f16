// The scan guard over real HTTP with an injected clock and a small threshold:
// the sliding window, the cool-down, what counts as a strike, shared files and
// the claim window during a cool-down, the admin API's bad tokens, and the
// fail2ban filter of docs/fail2ban.md against every line the server writes
// (API.md "Phone authentication", VENDORS.md "Security facts").
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { basic, phoneCredentials } from '../helpers/phone.ts';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';

const THRESHOLD = 5;
const COOLDOWN = 600;
const YEA = '805ec0123456';
const UA = 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:12:34:56';
const SECRET = 'Handset-Secret-1';

async function setup(t: ExecutionContext, env: Record<string, string> = {}) {
  const clock = { now: Date.parse('2030-01-01T00:00:00.000Z') };
  const s = await startServer({
    env: {
      PROV_SCAN_THRESHOLD: String(THRESHOLD),
      PROV_SCAN_WINDOW_SECONDS: '60',
      PROV_SCAN_COOLDOWN_SECONDS: String(COOLDOWN),
      PROV_ALLOW_BASIC_OVER_HTTP: 'true',
      PROV_CLAIM_MINUTES: '0',
      ...env,
    },
    clock: () => new Date(clock.now),
  });
  t.teardown(s.close);
  const must = async (p: Promise<{ status: number; text: string }>) => {
    const r = await p;
    if (r.status !== 201) throw new Error(r.text);
  };
  await must(s.api('POST', '/api/extensions', { body: extensionBody('1001', { secret: SECRET }) }));
  await must(s.api('POST', '/api/devices', { body: { mac: YEA, vendor: 'yealink', lines: [{ extension: '1001' }] } }));
  const creds = await phoneCredentials(s, YEA);
  let unknown = 0;
  return {
    s,
    creds,
    advance: (seconds: number) => void (clock.now += seconds * 1000),
    prov: async (file: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${s.url}/prov/${file}`, { headers: { 'user-agent': UA, ...headers } });
      return { status: res.status, text: await res.text(), challenge: res.headers.get('www-authenticate') };
    },
    /** Statuses of `n` fetches of MACs the server does not know. */
    scan: async (n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const res = await fetch(`${s.url}/prov/805ec0ff${(unknown++).toString(16).padStart(4, '0')}.cfg`);
        await res.arrayBuffer();
        out.push(res.status);
      }
      return out;
    },
  };
}

const logged = (s: TestServer, msg: string) => s.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === msg);
const times = (n: number, v: number) => Array<number>(n).fill(v);

test('strikes older than the window stop counting: the window slides', async (t) => {
  const g = await setup(t);
  t.deepEqual(await g.scan(2), [404, 404], 't=0');
  g.advance(30);
  t.deepEqual(await g.scan(2), [404, 404], 't=30: four strikes');
  g.advance(31);
  t.deepEqual(await g.scan(2), [404, 404], 't=61: the two of t=0 have left the window, so four again');
  t.deepEqual(logged(g.s, 'client blocked'), []);
  t.deepEqual(await g.scan(2), [404, 429], 't=61: the two of t=30 still count; the fifth strike blocks');
  t.like(logged(g.s, 'client blocked')[0], { ip: '127.0.0.1', reason: 'unknown-mac', strikes: THRESHOLD });
});

test('the cool-down lasts PROV_SCAN_COOLDOWN_SECONDS, then counting starts afresh', async (t) => {
  const g = await setup(t);
  t.deepEqual(await g.scan(THRESHOLD + 1), [...times(THRESHOLD, 404), 429]);
  g.advance(COOLDOWN - 1);
  t.deepEqual(await g.scan(1), [429], 'one second before the end');
  g.advance(1);
  t.deepEqual(await g.scan(THRESHOLD + 1), [...times(THRESHOLD, 404), 429], 'over, and a full threshold again');
  const refused = logged(g.s, 'prov-refused');
  t.is(refused.length, 3, 'one line per 429');
  for (const l of refused) t.like(l, { ip: '127.0.0.1', reason: 'cooling-down', surface: 'prov' });
  t.is(logged(g.s, 'client blocked').length, 2);
});

test('a wrong password is a strike, every time', async (t) => {
  const g = await setup(t);
  const wrong = { authorization: basic({ user: YEA, password: 'not-the-password' }) };
  const statuses: number[] = [];
  for (let i = 0; i < THRESHOLD + 2; i++) statuses.push((await g.prov(`${YEA}.cfg`, wrong)).status);
  t.deepEqual(statuses.slice(0, THRESHOLD - 1), times(THRESHOLD - 1, 401), 'below the threshold: challenged');
  t.true([401, 429].includes(statuses[THRESHOLD - 1]!), 'the failure that reaches the threshold');
  t.deepEqual(statuses.slice(THRESHOLD), [429, 429], 'then refused');
  t.like(logged(g.s, 'client blocked')[0], { reason: 'bad-credentials', strikes: THRESHOLD });

  const right = await g.prov(`${YEA}.cfg`, { authorization: basic(g.creds) });
  t.is(right.status, 200, 'the right password is served during the cool-down');
  t.true(right.text.split('\n').includes(`account.1.password = ${SECRET}`));

  g.advance(COOLDOWN);
  t.is((await g.prov(`${YEA}.cfg`, wrong)).status, 401, 'after the cool-down: challenged again');
});

test('bare requests for many known devices that never authenticate start a cool-down once their grace has passed', async (t) => {
  const g = await setup(t);
  const macs: string[] = [];
  for (let i = 0; i < THRESHOLD; i++) {
    const mac = `805ec0aa00${i.toString(16).padStart(2, '0')}`;
    const r = await g.s.api('POST', '/api/devices', { body: { mac, vendor: 'yealink', lines: [{ extension: '1001' }] } });
    t.is(r.status, 201);
    macs.push(mac);
  }
  // Every known MAC asked for bare, some more than once: each is challenged, none is a strike yet.
  for (const mac of [...macs, ...macs]) {
    const r = await g.prov(`${mac}.cfg`);
    t.is(r.status, 401);
    t.regex(r.challenge ?? '', /^Digest /);
  }
  t.deepEqual(logged(g.s, 'client blocked'), [], 'within the grace a phone may still answer with its credentials');
  g.advance(31);
  // None of them answered: each device asked for counts once.
  t.is((await g.prov('y000000000000.boot')).status, 401, 'the address now cools down: shared files only with credentials');
  t.like(logged(g.s, 'client blocked')[0], { reason: 'no-credentials', strikes: THRESHOLD });
  t.is((await g.prov(`${YEA}.cfg`, { authorization: basic({ user: YEA, password: 'not-it-either' }) })).status, 429, 'a wrong password during the cool-down is refused');
  t.is((await g.prov(`${YEA}.cfg`, { authorization: basic(g.creds) })).status, 200, 'the right one is not');
});

test("a phone's bare request that its own credentials follow from the same address is never a strike", async (t) => {
  const g = await setup(t);
  // One phone walking its chain again and again (a power cut every minute, for an hour).
  for (let round = 0; round < 3 * THRESHOLD; round++) {
    t.is((await g.prov(`${YEA}.cfg`)).status, 401);
    t.is((await g.prov(`${YEA}.cfg`, { authorization: basic(g.creds) })).status, 200);
    g.advance(40);
  }
  t.deepEqual(logged(g.s, 'client blocked'), []);
  t.deepEqual(await g.scan(THRESHOLD - 1), times(THRESHOLD - 1, 404), 'a whole threshold is still left for what is not a phone');
});

test('unknown file names are strikes', async (t) => {
  const g = await setup(t);
  const statuses: number[] = [];
  for (let i = 0; i <= THRESHOLD; i++) statuses.push((await g.prov(`backup-${i}.tar.gz`)).status);
  t.deepEqual(statuses, [...times(THRESHOLD, 404), 429]);
  t.like(logged(g.s, 'client blocked')[0], { reason: 'unknown-file' });
});

test('shared files are open until a cool-down, then served only with valid credentials', async (t) => {
  const g = await setup(t);
  const open = await g.prov('y000000000000.boot');
  t.is(open.status, 200);
  t.not(open.text, '');
  await g.scan(THRESHOLD);

  // Without credentials: the challenge, so a Digest phone behind the same
  // address can still authenticate; never the file.
  const none = await g.prov('y000000000000.boot');
  t.deepEqual([none.status, none.text], [401, ''], 'no credentials: challenged');
  t.regex(none.challenge ?? '', /Digest/);
  const wrong = await g.prov('y000000000000.boot', { authorization: basic({ user: YEA, password: 'wrong-password' }) });
  t.deepEqual([wrong.status, wrong.text], [429, ''], 'wrong credentials: refused');
  const valid = await g.prov('y000000000000.boot', { authorization: basic(g.creds) });
  t.is(valid.status, 200, "a known phone's credentials");
  t.is(valid.text, open.text);

  t.is((await g.prov(`${YEA}.boot`)).status, 401, "a device's file without a secret, no credentials: challenged");
  t.is((await g.prov(`${YEA}.boot`, { authorization: basic(g.creds) })).status, 200, 'with them');
  t.is((await g.prov('805ec0fedcba.cfg')).status, 429, 'an unknown MAC: refused');
  t.is(logged(g.s, 'prov-refused').length, 2);
});

test('a cooling-down address gets no file through the claim window', async (t) => {
  // Zero-touch: a fresh device's files are served without credentials to a
  // User-Agent naming its MAC. A scanner sends exactly that User-Agent, so a
  // blocked scanner walking the prefix must not be served a device it hits.
  const g = await setup(t, { PROV_CLAIM_MINUTES: '60' });
  const claimed = await g.prov(`${YEA}.cfg`);
  t.is(claimed.status, 200, 'the claim window is open');
  await g.scan(THRESHOLD);
  const r = await g.prov(`${YEA}.cfg`);
  t.is(r.status, 401, 'challenged during the cool-down, not served through the window');
  t.is(r.text, '', 'no secret to a blocked address');
});

test('admin API: bad tokens lead to 429 too-many-requests; a valid token still works and the refusal is logged', async (t) => {
  const g = await setup(t);
  const statuses: number[] = [];
  for (let i = 0; i < THRESHOLD; i++) statuses.push((await g.s.api('GET', '/api/devices', { token: `wrong-token-${i}` })).status);
  t.deepEqual(statuses, times(THRESHOLD, 401));
  const refused = await g.s.api('GET', '/api/devices', { token: 'wrong-token-again' });
  t.is(refused.status, 429);
  t.is(refused.json?.error?.code, 'too-many-requests');
  t.is(typeof refused.json?.error?.message, 'string');

  const ok = await g.s.api('GET', '/api/devices');
  t.is(ok.status, 200, 'the admin token works from the same address during the cool-down');
  t.deepEqual(ok.json.map((d: { mac: string }) => d.mac), [YEA]);
  t.is((await g.s.api('POST', '/api/extensions', { body: extensionBody('1002') })).status, 201);

  t.like(logged(g.s, 'client blocked')[0], { ip: '127.0.0.1', reason: 'bad-token', strikes: THRESHOLD });
  t.deepEqual(logged(g.s, 'prov-refused').map(({ ip, reason, surface }) => ({ ip, reason, surface })), [
    { ip: '127.0.0.1', reason: 'cooling-down', surface: 'api' },
  ]);
  t.deepEqual(await g.scan(1), [429], 'one count per address: /prov is refused too');
});

// ---- docs/fail2ban.md ----

const DOC = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../docs/fail2ban.md'), 'utf8');

function between(marker: string): string {
  const m = new RegExp(`<!-- ${marker}:begin -->([\\s\\S]*?)<!-- ${marker}:end -->`).exec(DOC);
  if (!m) throw new Error(`docs/fail2ban.md has no ${marker} markers`);
  return m[1]!;
}

const setting = (name: string) => {
  const m = new RegExp(`^${name}\\s*=\\s*(.*)$`, 'm').exec(between('fail2ban-filter'));
  if (!m) throw new Error(`no ${name} in the documented filter`);
  return m[1]!.trim();
};

// fail2ban's own <HOST> (usedns other than "no"): IPAddr.IP_4_RE / IP_6_RE of
// fail2ban/server/ipdns.py and R_HOST of fail2ban/server/failregex.py, with
// Python's (?P<name>…) written as JavaScript's (?<name>…).
const IP4 = String.raw`(?:\d{1,3}\.){3}\d{1,3}`;
const IP6 = String.raw`(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):)`;
const F2B_HOST = String.raw`(?:\[?(?:(?:::f{4,6}:)?(?<ip4>${IP4})|(?<ip6>${IP6}))\]?|(?<dns>[\w\-.^_]*\w))`;

function failregex(): RegExp {
  const source = setting('failregex');
  if (source.split('<HOST>').length !== 2 || /<(?!HOST>)[A-Z-]+\/?>/.test(source)) throw new Error(`expected one <HOST> tag: ${source}`);
  return new RegExp(source.replace('<HOST>', F2B_HOST));
}

/** The address fail2ban would ban for a line, or null when the line does not match. */
function banned(re: RegExp, line: string): string | null {
  const m = re.exec(line);
  if (!m) return null;
  return m.groups?.ip4 ?? m.groups?.ip6 ?? `dns:${m.groups?.dns}`;
}

/** A line as fail2ban sees it: as written, with the "time" field cut out by the datepattern, and from the journal. */
const seenAs = (line: string) => [line, line.replace(/"time":\d+/, ''), `prov1 node[4242]: ${line}`];
const expectedBan = (ip: string) => ip.replace(/^::ffff:(?=\d+\.)/, '');

function checkLines(t: ExecutionContext, lines: string[]) {
  const re = failregex();
  let refusals = 0;
  for (const line of lines) {
    const entry = JSON.parse(line);
    for (const seen of seenAs(line)) {
      if (entry.msg === 'prov-refused') t.is(banned(re, seen), expectedBan(entry.ip), seen);
      else t.is(banned(re, seen), null, `not a refusal: ${seen}`);
    }
    if (entry.msg === 'prov-refused') {
      refusals++;
      // Fields in other orders: ip last, msg first, reversed.
      const { ip, msg, ...rest } = entry;
      for (const reordered of [{ msg, ...rest, ip }, { ...rest, ip, msg }, Object.fromEntries(Object.entries(entry).reverse())]) {
        t.is(banned(re, JSON.stringify(reordered)), expectedBan(ip), 'field order does not matter');
      }
    }
  }
  return refusals;
}

test('the documented failregex takes the address from every refusal line and matches no other line', async (t) => {
  t.is(setting('datepattern'), '"time":{LEPOCH}', 'the datepattern the cut below stands for');
  const g = await setup(t);
  await g.scan(THRESHOLD + 3);
  for (let i = 0; i < THRESHOLD + 2; i++) await g.s.api('GET', '/api/extensions', { token: `bad-${i}` });
  // A request whose path tries to look like a refusal: it reaches the log only as an escaped JSON string.
  const { port } = new URL(g.s.url);
  await new Promise<void>((resolve, reject) => {
    const forged = '/prov/x","msg":"prov-refused","ip":"192.0.2.1';
    http.request({ host: '127.0.0.1', port, path: forged }, (res) => res.resume().on('end', resolve)).on('error', reject).end();
  });
  t.true(g.s.logs.some((l) => l.includes('prov-refused\\"')), 'the forged path was logged');

  t.is(checkLines(t, g.s.logs), logged(g.s, 'prov-refused').length);
  t.true(logged(g.s, 'prov-refused').length >= 5);
  t.deepEqual([...new Set(logged(g.s, 'prov-refused').map((l) => l.surface))].sort(), ['api', 'prov']);

  // The documented example line is what pino writes (same fields, same order) and matches.
  const example = between('refusal-example').split('\n').find((l) => l.startsWith('{'))!;
  t.deepEqual(Object.keys(JSON.parse(example)), Object.keys(logged(g.s, 'prov-refused')[0]));
  t.is(banned(failregex(), example), JSON.parse(example).ip);
  t.is(banned(failregex(), example.replace('"prov-refused"', '"prov-refused-later"')), null);
});

test('PROV_SCAN_EXEMPT: a cool-down is logged but never enforced, and fail2ban\'s filter matches none of its lines', async (t) => {
  const g = await setup(t, { PROV_SCAN_EXEMPT: '127.0.0.0/8' });
  t.deepEqual(await g.scan(THRESHOLD + 3), times(THRESHOLD + 3, 404), 'never refused');
  t.like(logged(g.s, 'client blocked')[0], { ip: '127.0.0.1', enforced: false });
  t.true(logged(g.s, 'prov-refusal-waived').length >= 3);
  t.deepEqual(logged(g.s, 'prov-refused'), []);
  t.is(checkLines(t, g.s.logs), 0, 'no line for fail2ban');
  t.is((await g.prov('y000000000000.boot')).status, 200, 'shared files stay open');
});

test('the documented failregex reads IPv6 and IPv4-mapped addresses as the server logs them', async (t) => {
  const g = await setup(t, { HOST: '::' });
  const port = new URL(g.s.url).port;
  for (const base of [`http://[::1]:${port}`, `http://127.0.0.1:${port}`]) {
    for (let i = 0; i <= THRESHOLD; i++) await (await fetch(`${base}/prov/nothing-${i}.txt`)).arrayBuffer();
  }
  const ips = logged(g.s, 'prov-refused').map((l) => l.ip as string);
  // An IPv4-mapped peer is the IPv4 client it stands for.
  t.deepEqual(ips, ['::1', '127.0.0.1'], 'one refusal from each address');
  checkLines(t, g.s.logs);
  t.deepEqual(logged(g.s, 'prov-refused').map((l) => banned(failregex(), JSON.stringify(l))), ['::1', '127.0.0.1']);
});

test('IPv6 clients are counted per /64: walking the addresses of one /64 does not reset the count', async (t) => {
  const g = await setup(t, { PROV_TRUST_PROXY: '127.0.0.1' });
  const from = async (ip: string, n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${g.s.url}/prov/805ec0ee${String(i).padStart(4, '0')}.cfg`, { headers: { 'x-forwarded-for': ip.replace('N', (i + 1).toString(16)) } });
      await res.arrayBuffer();
      out.push(res.status);
    }
    return out;
  };
  t.deepEqual(await from('2001:db8:1:2::N', THRESHOLD + 1), [...times(THRESHOLD, 404), 429], 'one address per request, one /64');
  t.deepEqual(await from('2001:db8:1:2:ffff:N::1', 1), [429], 'anywhere in that /64');
  t.deepEqual(await from('2001:db8:1:3::N', 1), [404], 'the next /64 is someone else');
  t.like(logged(g.s, 'client blocked')[0], { ip: '2001:db8:1:2::5', block: '2001:db8:1:2::/64' });
});
