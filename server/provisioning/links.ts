// Softphone links: an admin makes one for an extension and an app; the user
// opens it, looks at a landing page (which costs nothing, so mail scanners and
// chat previews cannot burn it) and downloads the app's file, which carries
// the extension's current secret. Only downloads count as uses.
import { randomUUID } from 'node:crypto';
import QRCode from 'qrcode';
import { InvalidInput, NotFound } from '../domain/errors.ts';
import { linkState, newLinkToken, publicLink, type LinkRecord } from '../domain/link.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import { hashToken, type Actor } from '../domain/token.ts';
import { encodeBody } from '../render/body-encoding.ts';
import type { CatalogHolder } from '../render/catalog.ts';
import type { VendorProfile } from '../render/profiles.ts';
import { extensionOwner } from '../render/renderer.ts';
import { LinkUnavailable, type Store } from '../storage/store.ts';
import { auditOp } from './audit-log.ts';
import type { RunChange } from './change-runner.ts';
import { renderContext } from './rerender.ts';

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

const target = (id: string) => `link:${id}`;

export function createLinks({ store, box, catalog, clock, runChange, publicUrl, defaults }: LinksDeps) {
  function appProfile(app: string): VendorProfile | undefined {
    const profile = catalog.current().profiles.get(app);
    return profile?.kind === 'softphone' ? profile : undefined;
  }

  /** The link behind a token when it can still be used, with its app. */
  async function active(token: string): Promise<{ link: LinkRecord; profile: VendorProfile } | null> {
    const link = await store.findLinkByHash(hashToken(token));
    if (!link || linkState(link, clock()) !== 'active') return null;
    const profile = appProfile(link.app);
    return profile ? { link, profile } : null;
  }

  async function secretVersion(number: string): Promise<number> {
    return (await store.getExtension(number))?.secretVersion ?? 0;
  }

  return {
    async create(actor: Actor, input: CreateLink) {
      if (!appProfile(input.app)) {
        throw new InvalidInput(`app must be one of: ${catalog.current().profiles.softphoneApps().join(', ')}`, 'unknown-app');
      }
      if (!(await store.getExtension(input.extension))) {
        throw new InvalidInput(`extension ${input.extension} does not exist`, 'unknown-extension');
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
      await runChange(async () => ({
        ops: [
          { op: 'insert-link', record },
          auditOp(actor, record.createdAt, 'link.created', target(record.id), {
            extension: record.extension,
            app: record.app,
            expiresAt: record.expiresAt,
            maxUses: record.maxUses,
          }),
        ],
        result: undefined,
      }));
      const url = `${publicUrl}/sp/${token}`;
      // The QR code holds our one-time link only, never the password.
      const qrSvg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      return { id: record.id, url, expiresAt: record.expiresAt, maxUses: record.maxUses, qrSvg };
    },

    async list(query: { extension?: string } = {}) {
      const now = clock();
      const links = await store.listLinks(query);
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
      const found = await active(token);
      if (!found) return null;
      const { link, profile } = found;
      const tls = (await store.getExtension(link.extension))?.server.transport === 'tls';
      return { app: profile.name, instructions: profile.instructions, expiresAt: link.expiresAt, usesLeft: link.maxUses - link.uses, tls };
    },

    /** The app's file with the current secret, counted as one use; null when the link cannot be used. */
    async download(token: string, client: { ip: string; userAgent: string }): Promise<Download | null> {
      const found = await active(token);
      if (!found) return null;
      const { link, profile } = found;
      const spec = profile.files.find((f) => f.scope === 'extension');
      const owner = extensionOwner(link.extension);
      // Version first, then bytes: a change landing in between is recorded as older, never newer.
      const version = await secretVersion(link.extension);
      const render = spec && (await store.getRender(owner, spec.name));
      if (!spec || !render) return null;
      const at = clock().toISOString();
      try {
        await runChange(async () => ({
          ops: [
            { op: 'use-link', id: link.id, at, secretVersion: version },
            { op: 'audit', event: { at, actor: `link:${link.id}`, actorTokenId: null, action: 'link.used', target: target(link.id),
              details: { extension: link.extension, app: link.app, secretVersion: version, ip: client.ip, userAgent: client.userAgent } } },
          ],
          result: undefined,
        }));
      } catch (err) {
        // Another download took the last use first.
        if (err instanceof LinkUnavailable) return null;
        throw err;
      }
      const text = box.open(render.sealedBody, renderContext(owner, spec.name));
      const { bytes, contentType } = encodeBody(profile, text);
      return { body: bytes, contentType, filename: profile.download };
    },
  };
}

export type Links = ReturnType<typeof createLinks>;
