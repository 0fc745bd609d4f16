// Room: provisioning/links/ owns softphone provisioning links. It may call domain/,
// render/, storage/, provisioning/change/ and audit/.
//
// Softphone links: an admin makes one for an extension and an app; the user
// opens it and sees a landing page. Opening it (GET or HEAD, by a person, a
// mail scanner or a chat preview) costs nothing and serves nothing; only the
// page's button (a POST, which previewers do not send) uses the link. For an
// app that downloads its file, the POST answers with the file; for an app that
// fetches it (Zoiper), with a one-use app address and its QR code, valid for
// APP_URL_MINUTES, that the app then GETs.
import { randomUUID } from 'node:crypto';
import QRCode from 'qrcode';
import { InvalidInput, NotFound } from '../../domain/errors.ts';
import { APP_URL_MINUTES, linkState, newLinkToken, publicLink, type LinkRecord } from '../../domain/link.ts';
import { storedUserAgent } from '../../domain/device.ts';
import { extensionGuard } from '../../domain/extension.ts';
import type { SecretBox } from '../../domain/secret-box.ts';
import { hashToken, type Actor } from '../../domain/token.ts';
import { encodeBody } from '../../render/body-encoding.ts';
import type { CatalogHolder } from '../../render/catalog.ts';
import type { VendorProfile } from '../../render/profiles.ts';
import { extensionOwner } from '../../render/renderer.ts';
import { LinkUnavailable, readGuard, type Store, type WriteOp } from '../../storage/store.ts';
import { auditOp } from '../audit/audit-op.ts';
import type { RunChange } from '../change/change-runner.ts';
import { renderContext } from '../../domain/seal-contexts.ts';

export interface LinksDeps {
  store: Store;
  box: SecretBox;
  catalog: CatalogHolder;
  clock: () => Date;
  runChange: RunChange;
  publicUrl: string;
  defaults: { expiresInMinutes: number; maxUses: number };
}

export interface CreateLink {
  extension: string;
  app: string;
  expiresInMinutes?: number;
  maxUses?: number;
}

export interface Download {
  body: Buffer;
  contentType: string;
  filename: string | undefined;
}

/** What the landing page's button gives: the file, or the address the app fetches it from. */
export type Handoff =
  | ({ kind: 'file' } & Download)
  | { kind: 'app-url'; app: string; url: string; qrSvg: string; expiresAt: string };

export interface LinkClient {
  ip: string;
  userAgent: string;
}

const target = (id: string) => `link:${id}`;

export function createLinks({ store, box, catalog, clock, runChange, publicUrl, defaults }: LinksDeps) {
  function appProfile(app: string): VendorProfile | undefined {
    const profile = catalog.current().profiles.get(app);
    return profile?.kind === 'softphone' ? profile : undefined;
  }

  /**
   * The link behind a token when it can still be used, with its app. An app
   * address is only found as one, and only while the link it came from is
   * not revoked.
   */
  async function active(token: string, kind: 'link' | 'app-url'): Promise<{ link: LinkRecord; profile: VendorProfile } | null> {
    const link = await store.findLinkByHash(hashToken(token));
    if (!link || linkState(link, clock()) !== 'active') return null;
    if ((kind === 'app-url') !== !!link.parentId) return null;
    if (link.parentId && (await store.getLink(link.parentId))?.revokedAt !== null) return null;
    const profile = appProfile(link.app);
    return profile ? { link, profile } : null;
  }

  /** The app's current file for the link's extension, and the secret version it carries; null when there is none. */
  async function appFile(link: LinkRecord, profile: VendorProfile) {
    const spec = profile.files.find((f) => f.scope === 'extension');
    const owner = extensionOwner(link.extension);
    // Version first, then bytes: a change landing in between is recorded as older, never newer.
    const version = await secretVersion(link.extension);
    const render = spec && (await store.getRender(owner, spec.name));
    if (!spec || !render) return null;
    return {
      version,
      open: (): Download => {
        const { bytes, contentType } = encodeBody(profile, box.open(render.sealedBody, renderContext(owner, spec.name)));
        return { body: bytes, contentType, filename: profile.download };
      },
    };
  }

  const usedEvent = (link: LinkRecord, at: string, action: string, details: Record<string, unknown>, client: LinkClient): WriteOp => ({
    op: 'audit',
    event: {
      at,
      actor: `link:${link.parentId ?? link.id}`,
      actorTokenId: null,
      action,
      target: target(link.parentId ?? link.id),
      details: { extension: link.extension, app: link.app, ...details, ip: client.ip, userAgent: storedUserAgent(client.userAgent) },
    },
  });

  /** Runs a batch that counts a use; null when the link was used up (or closed) by another request first. */
  async function counting<T>(ops: WriteOp[], result: T): Promise<T | null> {
    try {
      await runChange(async () => ({ ops, result: undefined }));
      return result;
    } catch (err) {
      if (err instanceof LinkUnavailable) return null;
      throw err;
    }
  }

  async function secretVersion(number: string): Promise<number> {
    return (await store.getExtension(number))?.secretVersion ?? 0;
  }

  return {
    async create(actor: Actor, input: CreateLink) {
      if (!appProfile(input.app)) {
        throw new InvalidInput(`app must be one of: ${catalog.current().profiles.softphoneApps().join(', ')}`, 'unknown-app');
      }
      const token = newLinkToken();
      const now = clock();
      const record: LinkRecord = {
        id: randomUUID(),
        tokenHash: hashToken(token),
        extension: input.extension,
        app: input.app,
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + (input.expiresInMinutes ?? defaults.expiresInMinutes) * 60_000).toISOString(),
        maxUses: input.maxUses ?? defaults.maxUses,
        uses: 0,
        revokedAt: null,
        lastUsedAt: null,
        lastSecretVersion: null,
        createdBy: actor.name,
      };
      await runChange(async () => {
        // Read before the extension: its deletion committed meanwhile refuses this batch.
        const guard = await readGuard(store, extensionGuard(input.extension));
        if (!(await store.getExtension(input.extension))) {
          throw new InvalidInput(`extension ${input.extension} does not exist`, 'unknown-extension');
        }
        return {
          ops: [
            { op: 'guard', name: extensionGuard(input.extension), expect: guard },
            { op: 'insert-link', record },
            auditOp(actor, record.createdAt, 'link.created', target(record.id), {
              extension: record.extension,
              app: record.app,
              expiresAt: record.expiresAt,
              maxUses: record.maxUses,
            }),
          ],
          result: undefined,
        };
      });
      const url = `${publicUrl}/sp/${token}`;
      // The QR code holds our one-time link only, never the password.
      const qrSvg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      return { id: record.id, url, expiresAt: record.expiresAt, maxUses: record.maxUses, qrSvg };
    },

    async list(query: { extension?: string } = {}) {
      const now = clock();
      // App addresses are part of the link they came from, not links of their own.
      const links = (await store.listLinks(query)).filter((l) => !l.parentId);
      const versions = new Map<string, number>();
      for (const l of links) if (!versions.has(l.extension)) versions.set(l.extension, await secretVersion(l.extension));
      return links.map((l) => publicLink(l, versions.get(l.extension)!, now));
    },

    async revoke(actor: Actor, id: string) {
      await runChange(async () => {
        const link = await store.getLink(id);
        if (!link) throw new NotFound(`link ${id} does not exist`, 'link-not-found');
        if (link.revokedAt) return { ops: [], result: undefined };
        const at = clock().toISOString();
        return {
          ops: [{ op: 'revoke-link', id, at }, auditOp(actor, at, 'link.revoked', target(id), { extension: link.extension })],
          result: undefined,
        };
      });
    },

    /** What the landing page shows; null for a link that cannot be used (the caller answers 404). */
    async landing(token: string) {
      const found = await active(token, 'link');
      if (!found) return null;
      const { link, profile } = found;
      const tls = (await store.getExtension(link.extension))?.server.transport === 'tls';
      return {
        app: profile.name,
        instructions: profile.instructions,
        expiresAt: link.expiresAt,
        usesLeft: link.maxUses - link.uses,
        action: profile.linkAction,
        tls,
      };
    },

    /**
     * The landing page's button: counts one use of the link and hands over
     * the file, or a one-use app address for it; null when the link cannot be used.
     */
    async take(token: string, client: LinkClient): Promise<Handoff | null> {
      const found = await active(token, 'link');
      if (!found) return null;
      const { link, profile } = found;
      const file = await appFile(link, profile);
      if (!file) return null;
      const now = clock();
      const at = now.toISOString();
      const use: WriteOp = { op: 'use-link', id: link.id, at, secretVersion: file.version };
      if (profile.linkAction === 'download') {
        const used = usedEvent(link, at, 'link.used', { secretVersion: file.version }, client);
        const ok = await counting([use, used], true);
        return ok ? { kind: 'file', ...file.open() } : null;
      }
      const appToken = newLinkToken();
      const expiresAt = new Date(Math.min(now.getTime() + APP_URL_MINUTES * 60_000, Date.parse(link.expiresAt))).toISOString();
      const grant: LinkRecord = {
        id: randomUUID(),
        tokenHash: hashToken(appToken),
        extension: link.extension,
        app: link.app,
        createdAt: at,
        expiresAt,
        maxUses: 1,
        uses: 0,
        revokedAt: null,
        lastUsedAt: null,
        lastSecretVersion: null,
        createdBy: `link:${link.id}`,
        parentId: link.id,
      };
      const used = usedEvent(link, at, 'link.used', { secretVersion: file.version, handoff: 'app-url', appUrlExpiresAt: expiresAt }, client);
      if (!(await counting([use, { op: 'insert-link', record: grant }, used], true))) return null;
      const url = `${publicUrl}/sp/app/${appToken}`;
      // Like the link's own QR code: our one-use address only, never the password.
      const qrSvg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      return { kind: 'app-url', app: profile.name, url, qrSvg, expiresAt };
    },

    /** What the app fetches from its one-use address: the file, once; null when the address cannot be used. */
    async appFetch(token: string, client: LinkClient): Promise<Download | null> {
      const found = await active(token, 'app-url');
      if (!found) return null;
      const { link, profile } = found;
      const file = await appFile(link, profile);
      if (!file) return null;
      const at = clock().toISOString();
      const use: WriteOp = { op: 'use-link', id: link.id, at, secretVersion: file.version };
      const fetched = usedEvent(link, at, 'link.app-fetched', { secretVersion: file.version }, client);
      return (await counting([use, fetched], true)) ? file.open() : null;
    },

    /** Whether an app address can still be fetched, for a HEAD that must not use it. */
    async appUsable(token: string): Promise<boolean> {
      return (await active(token, 'app-url')) !== null;
    },
  };
}

export type Links = ReturnType<typeof createLinks>;
