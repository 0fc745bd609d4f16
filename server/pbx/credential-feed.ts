// The registrar credential feed: what a PBX needs to verify SIP Digest for an
// auth user — the HA1 values, never the secret — including the previous
// secret's while a rotation is under way. Derived from the store on every
// lookup, so every instance answers the same the moment a change commits.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { acceptedRealms, AUTH_USERNAME, type ExtensionRecord } from '../domain/extension.ts';
import { Conflict } from '../domain/errors.ts';
import { previousSecretContext, rotationView } from '../domain/rotation.ts';
import { generateSecret } from '../domain/secret.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import { secretContext } from '../domain/seal-contexts.ts';
import type { Store } from '../storage/store.ts';

export interface FeedDeps {
  store: Store;
  box: SecretBox;
  clock: () => Date;
  log: Logger;
}

export interface Ha1 {
  secretVersion: number;
  /** MD5(user:realm:secret), hex: what RFC 2617 registrars store. */
  ha1: string;
  /** SHA-256(user:realm:secret), hex, for RFC 8760 SHA-256 Digest. */
  ha1Sha256: string;
}

export interface FeedAnswer {
  authUsername: string;
  realm: string;
  extension: string;
  current: Ha1;
  previous: (Ha1 & { acceptedUntil: string }) | null;
}

export type LookupOutcome = 'found' | 'unknown' | 'ambiguous';

/** A realm as Digest carries it in a quoted string: printable, no quote or backslash. */
export const REALM = /^[\x21\x23-\x5b\x5d-\x7e](?:[\x20\x21\x23-\x5b\x5d-\x7e]{0,251}[\x21\x23-\x5b\x5d-\x7e])?$/;

const hex = (alg: 'md5' | 'sha256', text: string) => createHash(alg).update(text, 'utf8').digest('hex');

function ha1s(user: string, realm: string, secret: string, secretVersion: number): Ha1 {
  const input = `${user}:${realm}:${secret}`;
  return { secretVersion, ha1: hex('md5', input), ha1Sha256: hex('sha256', input) };
}

export type CredentialFeed = ReturnType<typeof createCredentialFeed>;

export function createCredentialFeed({ store, box, clock, log }: FeedDeps) {
  const counts: Record<LookupOutcome, number> = { found: 0, unknown: 0, ambiguous: 0 };
  // An unknown user costs what a known one does (two openings, four hashes),
  // so the answer time does not tell which auth users exist.
  const decoyContext = 'pbx-feed:decoy';
  const decoy = box.seal(generateSecret(), decoyContext);

  /**
   * The extension whose credentials a registrar of `realm` verifies: the
   * token must serve that realm, and the extension must register there (its
   * server.host or one of its realms). Anything else is the same null as an
   * unknown user: HA1 values computed for another registrar's realm would be
   * valid credentials there.
   */
  async function pick(authUsername: string, realm: string, tokenRealms: readonly string[]): Promise<ExtensionRecord | null> {
    const wanted = realm.toLowerCase();
    if (!AUTH_USERNAME.test(authUsername) || !tokenRealms.includes(wanted)) return null;
    const found = (await store.findExtensionsByAuthUsername(authUsername)).filter((e) => acceptedRealms(e).includes(wanted));
    if (found.length <= 1) return found[0] ?? null;
    throw new Conflict('ambiguous-auth-username', `${found.length} extensions use this auth user in this realm`);
  }

  async function answer(ext: ExtensionRecord | null, authUsername: string, realm: string): Promise<FeedAnswer | null> {
    if (!ext) {
      ha1s(authUsername, realm, box.open(decoy, decoyContext), 0);
      ha1s(authUsername, realm, box.open(decoy, decoyContext), 0);
      return null;
    }
    const current = ha1s(authUsername, realm, box.open(ext.secretSealed, secretContext(ext.number)), ext.secretVersion);
    let previous: FeedAnswer['previous'] = null;
    if (ext.rotation) {
      const view = rotationView(
        ext,
        await store.listDevices({ extension: ext.number }),
        await store.listLinks({ extension: ext.number }),
        clock(),
        await store.listRegistrations({ extension: ext.number }),
      );
      const secret = box.open(ext.rotation.previousSecretSealed, previousSecretContext(ext.number));
      const old = ha1s(authUsername, realm, secret, ext.rotation.previousVersion);
      if (view.previousAcceptedUntil) previous = { ...old, acceptedUntil: view.previousAcceptedUntil };
    } else {
      ha1s(authUsername, realm, box.open(decoy, decoyContext), 0);
    }
    return { authUsername, realm, extension: ext.number, current, previous };
  }

  return {
    /** The accepted HA1 values of an auth user, or null when no extension has it. Logged and counted, without HA1s. */
    async lookup(authUsername: string, realm: string, client: { ip: string; token: string; realms: readonly string[] }): Promise<FeedAnswer | null> {
      let outcome: LookupOutcome = 'unknown';
      try {
        const result = await answer(await pick(authUsername, realm, client.realms), authUsername, realm);
        if (result) outcome = 'found';
        return result;
      } catch (err) {
        if (err instanceof Conflict) outcome = 'ambiguous';
        throw err;
      } finally {
        counts[outcome]++;
        log.info({ authUsername, realm, outcome, ip: client.ip, token: client.token, lookups: counts[outcome] }, 'registrar feed lookup');
      }
    },

    /** Lookups answered by this instance since it started, by outcome. */
    counts(): Record<LookupOutcome, number> {
      return { ...counts };
    },
  };
}
