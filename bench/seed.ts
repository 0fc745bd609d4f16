// The fleet the benchmark provisions: extensions and devices as plain data
// (deterministic, so two runs measure the same thing), and the set-up that
// creates them through the real admin API.
import { pool, type Admin } from './admin.ts';
import { shuffled, type Target } from './storm.ts';

export interface FleetSize {
  extensions: number;
  devices: number;
  /** Devices that all carry the first extension on line 1. */
  sharedBy: number;
}

export interface DevicePlan {
  mac: string;
  vendor: 'yealink' | 'polycom';
  model: string;
  lines: { line: number; extension: string }[];
  /** The file that holds the SIP secret, as the phone asks for it. */
  credentialFile: string;
  /** What such a phone sends, so the server sees a realistic request. */
  userAgent: string;
}

const YEALINK = [
  { model: 'T46S', firmware: '66.86.0.15' },
  { model: 'T54W', firmware: '96.86.0.100' },
  { model: 'T41S', firmware: '68.86.0.15' },
];
const POLYCOM = [
  { model: 'VVX_450', firmware: '6.4.3.5156' },
  { model: 'VVX_250', firmware: '6.4.3.5156' },
];

export const extensionNumber = (i: number) => String(100_000 + i);
const hex6 = (i: number) => i.toString(16).padStart(6, '0');
const colons = (mac: string) => mac.match(/../g)!.join(':');

export function planFleet({ extensions, devices, sharedBy }: FleetSize) {
  const shared = extensionNumber(0);
  // Every other line goes round the remaining extensions, so none of them
  // reaches the shared one's count and the shared one has exactly `sharedBy`.
  let turn = 0;
  const nextExtension = () => extensionNumber(1 + (turn++ % (extensions - 1)));
  const plans: DevicePlan[] = [];
  for (let i = 0; i < devices; i++) {
    const lineCount = 1 + ((i >> 1) % 2); // half the devices of each vendor have 2 lines
    const first = i < sharedBy ? shared : nextExtension();
    const lines = [{ line: 1, extension: first }];
    if (lineCount === 2) lines.push({ line: 2, extension: nextExtension() });
    if (i % 2 === 0) {
      const { model, firmware } = YEALINK[(i >> 1) % YEALINK.length]!;
      const mac = `805ec0${hex6(i)}`;
      const ua = `Yealink SIP-${model} ${firmware} ${colons(mac)}`;
      plans.push({ mac, vendor: 'yealink', model, lines, credentialFile: `${mac}.cfg`, userAgent: ua });
    } else {
      const { model, firmware } = POLYCOM[(i >> 1) % POLYCOM.length]!;
      const mac = `0004f2${hex6(i)}`;
      const ua = `FileTransport PolycomVVX-${model}-UA/${firmware} (SN:${mac}) Type/Application`;
      plans.push({ mac, vendor: 'polycom', model, lines, credentialFile: `${mac}-sip.cfg`, userAgent: ua });
    }
  }
  return { shared, devices: plans };
}

export interface SeedTimes {
  extensionsMs: number;
  devicesMs: number;
  lines: number;
  /** Each POST /api/devices round trip, sorted, for its percentiles. */
  deviceCallMs: number[];
}

export async function seed(admin: Admin, size: FleetSize, concurrency: number): Promise<SeedTimes & ReturnType<typeof planFleet>> {
  const fleet = planFleet(size);
  const numbers = Array.from({ length: size.extensions }, (_, i) => extensionNumber(i));

  let started = performance.now();
  await pool(numbers, concurrency, async (number, i) => {
    await admin.must(201, 'POST', '/api/extensions', {
      number,
      displayName: `Bench User ${i}`,
      server: { host: 'pbx.bench.test', port: 5060, transport: 'udp' },
    });
  });
  const extensionsMs = performance.now() - started;

  const deviceCallMs: number[] = [];
  started = performance.now();
  await pool(fleet.devices, concurrency, async (d) => {
    const body = { mac: d.mac, vendor: d.vendor, model: d.model, lines: d.lines };
    deviceCallMs.push((await admin.must(201, 'POST', '/api/devices', body)).ms);
  });
  const devicesMs = performance.now() - started;

  const lines = fleet.devices.reduce((n, d) => n + d.lines.length, 0);
  return { ...fleet, extensionsMs, devicesMs, lines, deviceCallMs: deviceCallMs.sort((a, b) => a - b) };
}

export type Login = { user: string; password: string };

/**
 * Every device's provisioning credentials, read through the API, and the
 * fetch each phone makes with them (Basic, as over HTTPS), in a fixed
 * shuffled order.
 */
export async function phoneTargets(admin: Admin, devices: readonly DevicePlan[], concurrency: number): Promise<{ targets: Target[]; logins: Map<string, Login> }> {
  const logins = new Map<string, Login>();
  await pool(devices, concurrency, async (d) => {
    const { body } = await admin.must(200, 'GET', `/api/devices/${d.mac}/credentials`);
    logins.set(d.mac, body as Login);
  });
  const basic = ({ user, password }: Login) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const targets = shuffled(devices.map((d) => ({ path: `/prov/${d.credentialFile}`, userAgent: d.userAgent, authorization: basic(logins.get(d.mac)!) })));
  return { targets, logins };
}
