// check-sync NOTIFY figures: with sipp as every phone, (e) the time from
// PUT …/secret on an extension shared by 50 devices to the 50th NOTIFY
// acknowledged by sipp, and (f) a template reload that changes 10,000
// devices' files: the NOTIFY rate held while the queue drains, and the admin
// API's latency meanwhile. Runs its own server (PROV_NOTIFY=direct) and sipp;
// `tsx bench/notify.ts` runs it alone.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminClient, percentile, pool, type Admin } from './admin.ts';
import { touchTemplates } from './rerender.ts';
import { ROOT, startServer, stopAllChildren, stopChild, track } from './server-process.ts';

const int = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SHARED_BY = 50;
const CONCURRENCY = 8;

export interface NotifyFigures {
  devices: number;
  config: { rate: number; concurrency: number; jitterMs: number };
  /** (e) PUT …/secret until sipp sent its 50th 200 for a NOTIFY. */
  sharedSecretTo50thAckMs: number;
  /** (f) the reload that queued every device. */
  reloadMs: number;
  /** Distinct NOTIFYs (one per device and try) sipp received after the reload. */
  notifiesReceived: number;
  drainS: number;
  meanPerSecond: number;
  peakPerSecond: number;
  api: { calls: number; p50Ms: number; p99Ms: number; maxMs: number };
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** sipp's message log: when each NOTIFY arrived (with its Call-ID) and each 200 left, in wall-clock ms. */
function sippEvents(file: string): { notifies: number[]; callIds: string[]; acks: number[] } {
  const notifies: number[] = [];
  const callIds: string[] = [];
  const acks: number[] = [];
  if (!fs.existsSync(file)) return { notifies, callIds, acks };
  const parts = fs.readFileSync(file, 'latin1').split(/^-{20,} (\S+ \S+)$/m);
  for (let i = 1; i + 1 < parts.length; i += 2) {
    // sipp writes local time: read back as local time.
    const at = new Date(parts[i]!.replace(' ', 'T').slice(0, 23)).getTime();
    const lines = parts[i + 1]!.split('\n');
    const first = lines.find((l, k) => k > 1 && l.trim() !== '') ?? '';
    if (/message received/.test(lines[1] ?? '') && first.startsWith('NOTIFY ')) {
      notifies.push(at);
      callIds.push(/^Call-ID:\s*(\S+)/im.exec(parts[i + 1]!)?.[1] ?? '');
    }
    if (/message sent/.test(lines[1] ?? '') && first.startsWith('SIP/2.0 200')) acks.push(at);
  }
  return { notifies, callIds, acks };
}

/** Arrival of each distinct NOTIFY (retransmissions and retries of a device after its first try left out). */
function firstTries(e: { notifies: number[]; callIds: string[] }, from: number): number[] {
  const seen = new Set<string>();
  const out: number[] = [];
  for (let i = from; i < e.notifies.length; i++) {
    if (seen.has(e.callIds[i]!)) continue;
    seen.add(e.callIds[i]!);
    out.push(e.notifies[i]!);
  }
  return out;
}

function peakPerSecond(times: number[]): number {
  const at = [...times].sort((a, b) => a - b);
  let peak = 0;
  for (let i = 0, j = 0; i < at.length; i++) {
    while (at[i]! - at[j]! >= 1000) j++;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}

async function waitFor(what: string, fn: () => boolean, ms: number, every = 100): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

async function seed(admin: Admin, url: string, devices: number, contact: string) {
  const extensions = Math.max(1, Math.ceil(devices / SHARED_BY));
  const numbers = Array.from({ length: extensions }, (_, i) => String(200_000 + i));
  await pool(numbers, CONCURRENCY, (number) =>
    admin.must(201, 'POST', '/api/extensions', { number, secret: `Bench-Secret-${number}`, server: { host: 'pbx.bench.test' } }).then(() => {}),
  );
  const macs = Array.from({ length: devices }, (_, i) => `805ec1${i.toString(16).padStart(6, '0')}`);
  await pool(macs, CONCURRENCY, async (mac, i) => {
    await admin.must(201, 'POST', '/api/devices', {
      mac, vendor: 'yealink', model: 'T46S', lines: [{ extension: numbers[Math.floor(i / SHARED_BY)]! }], sipContact: contact,
    });
    // One fetch each: a change is pushed only to phones that have fetched from us.
    const { body } = await admin.must(200, 'GET', `/api/devices/${mac}/credentials`);
    const res = await fetch(`${url}/prov/${mac}.cfg`, {
      headers: { 'user-agent': 'Yealink SIP-T46S 66.86.0.15', authorization: `Basic ${Buffer.from(`${body.user}:${body.password}`).toString('base64')}` },
    });
    if (res.status !== 200) throw new Error(`fetch of ${mac}: ${res.status}`);
    await res.arrayBuffer();
  });
  return { shared: numbers[0]!, macs, numbers };
}

export async function measureNotify(work: string, say: (msg: string) => void): Promise<NotifyFigures> {
  const devices = int('BENCH_NOTIFY_DEVICES', 10_000);
  const config = { rate: int('BENCH_NOTIFY_RATE', 100), concurrency: int('BENCH_NOTIFY_CONCURRENCY', 20), jitterMs: 2000 };
  const sippDir = path.join(work, 'sipp');
  fs.mkdirSync(sippDir, { recursive: true });
  const log = path.join(sippDir, 'messages.log');
  const port = await freeUdpPort();
  const sipp = spawn('sipp', ['-sf', path.join(ROOT, 'test/notify/scenarios/phone-yealink.xml'), '-i', '127.0.0.1', '-p', String(port),
    '-nostdin', '-trace_msg', '-message_file', log], { cwd: sippDir, stdio: 'ignore' });
  const sippExited = track(sipp);
  const templatesDir = path.join(work, 'notify-templates');
  fs.cpSync(path.join(ROOT, 'templates'), templatesDir, { recursive: true });
  const token = 'bench-notify-admin-token-0123456789';
  const server = await startServer({
    PROV_DATA_DIR: path.join(work, 'notify-data'), PROV_ADMIN_TOKEN: token, PROV_TEMPLATES_DIR: templatesDir,
    PROV_PUBLIC_URL: 'http://prov.bench.test:8080', PROV_ALLOW_BASIC_OVER_HTTP: 'true', PROV_SWEEP_MINUTES: '0',
    PROV_NOTIFY: 'direct', PROV_NOTIFY_RATE: String(config.rate), PROV_NOTIFY_CONCURRENCY: String(config.concurrency),
    PROV_NOTIFY_JITTER_MS: String(config.jitterMs),
  }, path.join(work, 'notify-server.log'));
  try {
    const admin = adminClient(server.url, token);
    say(`(e/f) notify: ${devices} Yealink devices (${SHARED_BY} per extension) pointing at sipp on ${port}`);
    const fleet = await seed(admin, server.url, devices, `sip:127.0.0.1:${port};transport=udp`);

    say(`(e) PUT secret on an extension shared by ${SHARED_BY} devices`);
    const before = sippEvents(log).acks.length;
    const t0 = Date.now();
    await admin.must(200, 'PUT', `/api/extensions/${fleet.shared}/secret`, { secret: 'Bench-Changed-Secret-1' });
    await waitFor('50 acknowledgements', () => sippEvents(log).acks.length >= before + SHARED_BY, 60_000, 50);
    const acks = sippEvents(log).acks.slice(before).sort((a, b) => a - b);
    const sharedSecretTo50thAckMs = acks[SHARED_BY - 1]! - t0;

    say(`(f) template reload changing every device; the queue drains at ${config.rate}/s`);
    await waitFor('the first round to drain', () => fs.readFileSync(server.logFile, 'utf8').includes('queue drained'), 60_000);
    const drainedBefore = fs.readFileSync(server.logFile, 'utf8').split('queue drained').length;
    const notifiesBefore = sippEvents(log).notifies.length;
    touchTemplates(templatesDir);
    const reload = await admin.must(200, 'POST', '/api/templates/reload');
    const latencies: number[] = [];
    let draining = true;
    const sampler = (async () => {
      for (let i = 0; draining; i++) {
        const r = i % 2 ? await admin.call('GET', `/api/devices/${fleet.macs[(i * 7919) % fleet.macs.length]}`)
          : await admin.call('GET', `/api/extensions/${fleet.numbers[(i * 31) % fleet.numbers.length]}`);
        latencies.push(r.ms);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    // Done when every device's first NOTIFY arrived (retries of lost ones wait out their backoff) or the queue drained.
    await waitFor('every device notified once',
      () => fs.readFileSync(server.logFile, 'utf8').split('queue drained').length > drainedBefore
        || firstTries(sippEvents(log), notifiesBefore).length >= devices,
      (devices / config.rate) * 1000 * 3 + 60_000, 2_000);
    draining = false;
    await sampler;
    const arrivals = firstTries(sippEvents(log), notifiesBefore);
    latencies.sort((a, b) => a - b);
    const span = (Math.max(...arrivals) - Math.min(...arrivals)) / 1000;
    return {
      devices,
      config,
      sharedSecretTo50thAckMs,
      reloadMs: reload.ms,
      notifiesReceived: arrivals.length,
      drainS: span,
      meanPerSecond: arrivals.length / Math.max(span, 0.001),
      peakPerSecond: peakPerSecond(arrivals),
      api: { calls: latencies.length, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: latencies.at(-1) ?? NaN },
    };
  } finally {
    await server.stop();
    await stopChild(sipp, sippExited, 2_000);
  }
}

export function formatNotify(f: NotifyFigures): string {
  const c = f.config;
  return [
    `(e) check-sync, ${SHARED_BY} devices on one extension: PUT …/secret → 50th NOTIFY acknowledged by sipp in ${Math.round(f.sharedSecretTo50thAckMs)} ms (rate ${c.rate}/s, jitter ${c.jitterMs} ms)`,
    `(f) template reload of ${f.devices} devices (reload call ${Math.round(f.reloadMs)} ms): ${f.notifiesReceived} NOTIFYs over ${f.drainS.toFixed(1)} s = ${f.meanPerSecond.toFixed(1)}/s mean, ${f.peakPerSecond}/s peak (limit ${c.rate}/s, ${c.concurrency} in flight)`,
    `    admin API while draining: ${f.api.calls} calls, p50 ${f.api.p50Ms.toFixed(1)} ms, p99 ${f.api.p99Ms.toFixed(1)} ms, max ${f.api.maxMs.toFixed(1)} ms`,
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'prov-bench-notify-'));
  try {
    console.log(formatNotify(await measureNotify(work, (m) => console.log(`· ${m}`))));
  } catch (err) {
    console.error('bench failed:', err);
    process.exitCode = 1;
  } finally {
    await stopAllChildren();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
