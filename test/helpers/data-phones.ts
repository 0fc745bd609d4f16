// The desk phones added as data (Grandstream, Snom, Fanvil, Cisco) as their
// firmware asks for files (docs/vendors.md): its real User-Agent, its files
// in order under the names it uses, each asked for without credentials
// first; on a 401 it answers with HTTP Digest and the provisioning password
// its credential-bearing file last gave it (the first one comes through the
// claim window).
import { digestAuthorization, digestChallenge } from './digest-client.ts';
import { readDeskFile, type DeskVendor } from './desk-readers.ts';

export interface DataPhone {
  vendor: DeskVendor;
  model: string;
  firmware: string;
  ua(mac: string): string;
  /** The names the phone asks for, in its order. */
  chain(mac: string): string[];
}

export const DATA_PHONES: Record<DeskVendor, DataPhone> = {
  grandstream: {
    vendor: 'grandstream',
    firmware: '1.0.5.33',
    model: 'GRP2614',
    ua: (mac) => `Grandstream Model HW GRP2614 V1.0A SW 1.0.5.33 DevId ${mac}`,
    // The bare name first, then the .xml one (GXP21xx administration guide).
    chain: (mac) => [`cfg${mac}`, `cfg${mac}.xml`],
  },
  snom: {
    vendor: 'snom',
    firmware: '10.1.46.16',
    model: 'D785',
    ua: (mac) => `Mozilla/4.0 (compatible; snomD785-SIP 10.1.46.16 2010.12-00004-g9ba52f5 ${mac.toUpperCase()} SXM:0 UXM:0)`,
    // The setting URL's {mac} expands in upper case.
    chain: (mac) => [`${mac.toUpperCase()}.xml`],
  },
  fanvil: {
    vendor: 'fanvil',
    firmware: '2.10.2.6887',
    model: 'X4U',
    ua: (mac) => `Fanvil X4U 2.10.2.6887 ${mac}`,
    chain: (mac) => [`${mac}.cfg`],
  },
  cisco: {
    vendor: 'cisco',
    firmware: '11.3.7',
    model: 'CP-8841-3PCC',
    ua: (mac) => `Cisco-CP-8841-3PCC/11.3.7 (${mac})`,
    // The factory Profile_Rule /$PSN.xml, then Profile_Rule_B from it: $MA.xml.
    chain: (mac) => ['8841-3PCC.xml', `${mac}.xml`],
  },
};

export interface Fetched {
  status: number;
  headers: Headers;
  text: string;
}

/** A phone of one vendor and MAC, keeping the provisioning password it was last given. */
export function dataPhone(base: string, vendor: DeskVendor, mac: string, ua = DATA_PHONES[vendor].ua(mac)) {
  let password: string | null = null;
  async function get(file: string): Promise<Fetched> {
    let res = await fetch(`${base}/prov/${file}`, { headers: { 'user-agent': ua } });
    if (res.status === 401 && password) {
      await res.arrayBuffer();
      const challenge = digestChallenge(res.headers.get('www-authenticate'), 'SHA-256')!;
      const authorization = digestAuthorization({ credentials: { user: mac, password }, method: 'GET', uri: `/prov/${file}`, challenge });
      res = await fetch(`${base}/prov/${file}`, { headers: { 'user-agent': ua, authorization } });
    }
    const text = await res.text();
    if (res.status === 200) {
      const given = readDeskFile(vendor, text, (f) => f.login().password);
      if (given) password = given;
    }
    return { status: res.status, headers: res.headers, text };
  }
  return {
    get,
    /** Every file of the chain, in order. */
    async walk(): Promise<Map<string, Fetched>> {
      const out = new Map<string, Fetched>();
      for (const file of DATA_PHONES[vendor].chain(mac)) out.set(file, await get(file));
      return out;
    },
    get password() {
      return password;
    },
  };
}
