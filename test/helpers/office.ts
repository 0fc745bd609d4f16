// Phones of an office as their firmware behaves, each from a source address
// of the test's choosing (an office behind one NAT address is all its phones
// on one loopback address, 127.0.0.2, say): a phone walks its chain of files,
// asks for each without credentials first, keeps the provisioning password a
// claim delivers, and answers every challenge with Digest from then on.
import http from 'node:http';
import { digestAuthorization, digestChallenge } from './digest-client.ts';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** A GET (or any method) from `localAddress`, so the server sees that address as the client. */
export function requestFrom(localAddress: string, url: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? 'GET', headers: init.headers, localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export interface OfficePhone {
  mac: string;
  ua: string;
  /** The files the firmware asks for, in order. */
  chain: string[];
  /** The one that carries the secret and the provisioning credentials. */
  credentialFile: string;
  /** What a claim delivered; null until then. */
  password: string | null;
}

const colons = (mac: string) => mac.match(/../g)!.join(':');

export function yealinkT46S(mac: string): OfficePhone {
  return {
    mac,
    ua: `Yealink SIP-T46S 66.86.0.15 ${colons(mac)}`,
    chain: [`${mac}.boot`, 'y000000000000.boot', 'y000000000066.cfg', `${mac}.cfg`],
    credentialFile: `${mac}.cfg`,
    password: null,
  };
}

/** A VVX 450; with `serialTag` its User-Agent names its MAC ("tag serial number" on). */
export function polycomVvx450(mac: string, serialTag: boolean): OfficePhone {
  return {
    mac,
    ua: `FileTransport PolycomVVX-VVX_450-UA/6.4.3.5018${serialTag ? ` (SN:${mac})` : ''} Type/Application`,
    chain: [`${mac}.cfg`, `${mac}-sip.cfg`, 'polycom-common.cfg'],
    credentialFile: `${mac}-sip.cfg`,
    password: null,
  };
}

/** The provisioning password a delivered file hands the phone. */
export function provisioningPassword(body: string): string | null {
  const m = /static\.auto_provision\.server\.password = (.+)/.exec(body) ?? /device\.prov\.password="([^"]+)"/.exec(body);
  return m ? m[1]!.trim() : null;
}

export interface Step {
  file: string;
  /** The status of the bare request, and of the Digest answer when there was one. */
  statuses: number[];
  body: string;
}

/** One walk of the phone's chain from `address`; the final status of each file. */
export async function walk(base: string, phone: OfficePhone, address: string): Promise<Step[]> {
  const steps: Step[] = [];
  for (const file of phone.chain) {
    const url = `${base}/prov/${file}`;
    const first = await requestFrom(address, url, { headers: { 'user-agent': phone.ua } });
    const step: Step = { file, statuses: [first.status], body: first.text };
    if (first.status === 200 && file === phone.credentialFile && phone.password === null) {
      phone.password = provisioningPassword(first.text);
    }
    if (first.status === 401 && phone.password !== null) {
      const challenge = digestChallenge(first.headers['www-authenticate'], 'MD5');
      if (!challenge) throw new Error(`no MD5 challenge for ${file}`);
      const authorization = digestAuthorization({ credentials: { user: phone.mac, password: phone.password }, method: 'GET', uri: `/prov/${file}`, challenge });
      const second = await requestFrom(address, url, { headers: { 'user-agent': phone.ua, authorization } });
      step.statuses.push(second.status);
      step.body = second.text;
    }
    steps.push(step);
  }
  return steps;
}

/** The status a file ended with. */
export const finalStatus = (s: Step) => s.statuses[s.statuses.length - 1]!;
