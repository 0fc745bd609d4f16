// Who may fetch what from /prov. A device's files that hold a secret need its
// own credentials (HTTP Digest, or Basic where allowed), except inside its
// claim window, where a phone whose User-Agent names the device's vendor (and
// its MAC, where the vendor sends it) is served without: that is zero-touch.
// Files without secrets need nothing. Failures and unknown MACs are struck
// against the client's address; valid credentials are never refused.
import {
  challenges,
  parseAuthorization,
  verify,
  type NonceBook,
} from '../domain/digest.ts';
import { claimOpen, provPasswordContext, type DeviceRecord } from '../domain/device.ts';
import { tryParseMac } from '../domain/mac.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import type { CatalogHolder } from '../render/catalog.ts';
import { parseUserAgent } from '../render/user-agent.ts';
import type { Store } from '../storage/store.ts';
import type { ScanGuard, StrikeReason } from './scan-guard.ts';

export interface PhoneClient {
  ip: string;
  userAgent: string;
  method: string;
  /** The request-target exactly as sent, which a Digest response signs. */
  uri: string;
  authorization?: string;
  /** Came over TLS: Basic is always allowed there. */
  secure: boolean;
}

export type Refusal = { status: 401; challenges: string[] } | { status: 404 } | { status: 429 };
export type Gate = { granted: true; via: 'credentials' | 'claim' | 'open' } | { granted: false; refusal: Refusal };

export interface PhoneAccessDeps {
  store: Store;
  box: SecretBox;
  catalog: CatalogHolder;
  nonces: NonceBook;
  guard: ScanGuard;
  clock: () => Date;
  allowBasicOverHttp: boolean;
}

const TOO_MANY: Gate = { granted: false, refusal: { status: 429 } };
const GONE: Gate = { granted: false, refusal: { status: 404 } };

export function createPhoneAccess({ store, box, catalog, nonces, guard, clock, allowBasicOverHttp }: PhoneAccessDeps) {
  const basicAllowed = (c: PhoneClient) => c.secure || allowBasicOverHttp;

  function challenge(client: PhoneClient, stale = false): Gate {
    return { granted: false, refusal: { status: 401, challenges: challenges(nonces.issue(), stale, basicAllowed(client)) } };
  }

  function verdictFor(device: DeviceRecord, client: PhoneClient) {
    const presented = parseAuthorization(client.authorization);
    // Most fetches bring no credentials (a challenge, a claim): no key work for those.
    if (presented.scheme === 'none') return 'none';
    const password = box.open(device.provPasswordSealed, provPasswordContext(device.mac));
    const request = { method: client.method, uri: client.uri, basicAllowed: basicAllowed(client) };
    return verify(presented, { user: device.mac, password }, request, nonces);
  }

  function claimedByItsPhone(device: DeviceRecord, client: PhoneClient): boolean {
    if (!claimOpen(device, clock())) return false;
    const profile = catalog.current().profiles.get(device.vendor);
    const agent = profile && parseUserAgent(profile, client.userAgent);
    return !!agent && (agent.mac === null || agent.mac === device.mac);
  }

  async function gate(device: DeviceRecord, needsCredentials: boolean, client: PhoneClient): Promise<Gate> {
    switch (await verdictFor(device, client)) {
      case 'valid':
        // The phone has its credentials: no more fetches without them.
        if (device.claimUntil !== null) await store.commit([{ op: 'close-claim', mac: device.mac }]);
        return { granted: true, via: 'credentials' };
      case 'stale':
        return challenge(client, true);
      case 'invalid':
        guard.strike(client.ip, 'bad-credentials');
        return guard.refuses(client.ip, 'prov') ? TOO_MANY : challenge(client);
      case 'none':
        // A cooling-down address is answered with the challenge, never with a
        // file: its phones that hold credentials authenticate and are served,
        // and nothing reaches anyone else, not even through a claim window.
        if (guard.cooling(client.ip)) return challenge(client);
        if (needsCredentials && claimedByItsPhone(device, client)) return { granted: true, via: 'claim' };
        if (needsCredentials) return challenge(client);
        return { granted: true, via: 'open' };
    }
  }

  return {
    /** For a file of a known device. */
    device: gate,

    /** For a file every phone shares: open, unless the client is cooling down without valid credentials. */
    async shared(client: PhoneClient): Promise<Gate> {
      const presented = parseAuthorization(client.authorization);
      const mac = presented.scheme === 'basic' || presented.scheme === 'digest' ? tryParseMac(presented.user) : null;
      const device = mac ? await store.getDevice(mac) : null;
      if (device) return gate(device, false, client);
      if (presented.scheme !== 'none') {
        guard.strike(client.ip, 'bad-credentials');
        return guard.refuses(client.ip, 'prov') ? TOO_MANY : challenge(client);
      }
      return guard.cooling(client.ip) ? challenge(client) : { granted: true, via: 'open' };
    },

    /** For a MAC or a name the server does not know: a strike, then 404 or, past the threshold, 429. */
    unknown(client: PhoneClient, reason: StrikeReason): Gate {
      if (guard.refuses(client.ip, 'prov')) return TOO_MANY;
      guard.strike(client.ip, reason);
      return GONE;
    },
  };
}

export type PhoneAccess = ReturnType<typeof createPhoneAccess>;
