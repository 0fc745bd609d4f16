// Who may fetch what from /prov. A device's files that hold a secret need its
// own credentials (HTTP Digest, or Basic where allowed): its current password,
// or the one before the last rotation until the phone has fetched the new one.
// The one exception is the claim window, which is zero-touch: a GET of the
// credential-bearing file from a claim network, with a User-Agent that names
// the device's vendor (and its MAC, where the vendor always sends it), is
// served without credentials, once; the delivery closes the window (the
// caller uses it up atomically). Uploads and uploaded files are never served
// through a claim. Files without secrets need nothing. Failures and unknown
// MACs are struck against the client's address, and a credential-bearing
// fetch without credentials counts unless that device then proves itself
// from the same address (scan-guard.ts); valid credentials are never refused.
import {
  challenges,
  parseAuthorization,
  verify,
  type NonceBook,
  type Verdict,
} from '../../domain/digest.ts';
import { claimOpen, previousPasswordAlive, type DeviceRecord } from '../../domain/device.ts';
import { provPasswordContext } from '../../domain/seal-contexts.ts';
import { inAny, type Network } from '../../domain/ip.ts';
import { tryParseMac } from '../../domain/mac.ts';
import type { SecretBox } from '../../domain/secret-box.ts';
import type { CatalogHolder } from '../../render/catalog.ts';
import { parseUserAgent } from '../../render/user-agent.ts';
import type { Store } from '../../storage/store.ts';
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
export type Credential = 'current' | 'previous';
export type Gate =
  | { granted: true; via: 'credentials'; credential: Credential }
  | { granted: true; via: 'claim' | 'open' }
  | { granted: false; refusal: Refusal };

/** What a device's file asks of a request: nothing, credentials, or credentials unless its claim window serves it. */
export type Need = 'open' | 'credentials' | 'claimable';

export interface PhoneAccessDeps {
  store: Store;
  box: SecretBox;
  catalog: CatalogHolder;
  nonces: NonceBook;
  guard: ScanGuard;
  clock: () => Date;
  allowBasicOverHttp: boolean;
  /** Where claim-window fetches may come from. */
  claimNetworks: readonly Network[];
}

const TOO_MANY: Gate = { granted: false, refusal: { status: 429 } };
const GONE: Gate = { granted: false, refusal: { status: 404 } };

export function createPhoneAccess({ store, box, catalog, nonces, guard, clock, allowBasicOverHttp, claimNetworks }: PhoneAccessDeps) {
  const basicAllowed = (c: PhoneClient) => c.secure || allowBasicOverHttp;

  function challenge(client: PhoneClient, stale = false): Gate {
    return { granted: false, refusal: { status: 401, challenges: challenges(nonces.issue(), stale, basicAllowed(client)) } };
  }

  async function verdictFor(device: DeviceRecord, client: PhoneClient): Promise<{ verdict: Verdict; credential: Credential }> {
    const presented = parseAuthorization(client.authorization);
    // Most fetches bring no credentials (a challenge, a claim): no key work for those.
    if (presented.scheme === 'none') return { verdict: 'none', credential: 'current' };
    const request = { method: client.method, uri: client.uri, basicAllowed: basicAllowed(client) };
    const check = (sealed: string) =>
      verify(presented, { user: device.mac, password: box.open(sealed, provPasswordContext(device.mac)) }, request, nonces);
    const current = await check(device.provPasswordSealed);
    // A wrong answer consumes no nonce-count, so the same header can be tried against the previous password.
    if (current !== 'invalid' || !previousPasswordAlive(device)) return { verdict: current, credential: 'current' };
    return { verdict: await check(device.provPasswordPreviousSealed!), credential: 'previous' };
  }

  function claimedByItsPhone(device: DeviceRecord, client: PhoneClient): boolean {
    // A HEAD would deliver nothing yet could not be told from the delivery.
    if (client.method !== 'GET' || !claimOpen(device, clock())) return false;
    if (!inAny(client.ip, claimNetworks)) return false;
    const profile = catalog.current().profiles.get(device.vendor);
    const agent = profile && parseUserAgent(profile, client.userAgent);
    if (!agent) return false;
    if (agent.mac === null) return !profile.claimNeedsMac;
    return agent.mac === device.mac;
  }

  async function gate(device: DeviceRecord, need: Need, client: PhoneClient): Promise<Gate> {
    const needsCredentials = need !== 'open';
    const { verdict, credential } = await verdictFor(device, client);
    switch (verdict) {
      case 'valid':
        // Its bare first request was this phone's, not a harvester's.
        guard.proven(client.ip, device.mac);
        // The phone has its credentials: no more fetches without them.
        if (device.claimUntil !== null) await store.commit([{ op: 'close-claim', mac: device.mac }]);
        return { granted: true, via: 'credentials', credential };
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
        if (!needsCredentials) return { granted: true, via: 'open' };
        if (need === 'claimable' && claimedByItsPhone(device, client)) {
          guard.proven(client.ip, device.mac);
          return { granted: true, via: 'claim' };
        }
        // Pending, not a strike: a phone's bare first request is followed by
        // its credentials, which clear it; a harvester's never is.
        guard.unproven(client.ip, device.mac);
        return challenge(client);
    }
  }

  return {
    /** For a file of a known device. */
    device: gate,

    /** The challenge for a request whose claim was taken by another one first. */
    challenge: (client: PhoneClient): Gate => challenge(client),

    /** For a file every phone shares: open, unless the client is cooling down without valid credentials. */
    async shared(client: PhoneClient): Promise<Gate> {
      const presented = parseAuthorization(client.authorization);
      const mac = presented.scheme === 'basic' || presented.scheme === 'digest' ? tryParseMac(presented.user) : null;
      const device = mac ? await store.getDevice(mac) : null;
      if (device) return gate(device, 'open', client);
      if (presented.scheme !== 'none') {
        guard.strike(client.ip, 'bad-credentials');
        return guard.refuses(client.ip, 'prov') ? TOO_MANY : challenge(client);
      }
      return guard.cooling(client.ip) ? challenge(client) : { granted: true, via: 'open' };
    },

    /**
     * For a MAC or a name the server does not know, or a MAC waiting in the
     * inbox: a strike about that subject (counted once however often it is
     * asked for), then 404 or, past the threshold, 429.
     */
    unknown(client: PhoneClient, reason: StrikeReason, subject: string): Gate {
      if (guard.refuses(client.ip, 'prov')) return TOO_MANY;
      guard.strike(client.ip, reason, subject);
      return GONE;
    },
  };
}

export type PhoneAccess = ReturnType<typeof createPhoneAccess>;
