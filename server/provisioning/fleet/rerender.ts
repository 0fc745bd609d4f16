// Room: provisioning/fleet/ owns work on many devices at once: re-rendering what a
// change affects (the change runner's hook), the start-up reconcile and the
// template reload. It may call domain/, render/, storage/,
// provisioning/change/, audit/ and the site rules (which devices a site holds).
//
// Re-rendering on write. Given the operations a change is about to commit,
// works out every (device, file) whose inputs changed, renders them against
// the state as it will be after the change, and adds the writes for the
// files whose bytes differ plus the device's configVersion bump, so that the
// change and its renders commit as one batch. Also plans a full reconcile of
// everything (template reload, start-up).
import { type DeviceRecord } from '../../domain/device.ts';
import { provPasswordContext, renderContext, secretContext } from '../../domain/seal-contexts.ts';
import type { ExtensionRecord } from '../../domain/extension.ts';
import { UNSET_DEFAULT_SITE, DEFAULT_SITE, deviceSite, siteOf, type SiteRecord } from '../../domain/site.ts';
import type { SecretBox } from '../../domain/secret-box.ts';
import type { Catalog, CatalogHolder } from '../../render/catalog.ts';
import { RenderFailure, extensionOwner, vendorOwner, type OpenExtension } from '../../render/renderer.ts';
import type { RenderRecord, Store, WriteOp } from '../../storage/store.ts';
import type { ConfigRenderer } from '../change/change-runner.ts';
import { devicesOfSite } from '../sites/site-rules.ts';

/** How long whole-fleet rendering runs before it lets other work on its event loop through. */
export const SLICE_MS = 10;

type DeviceOp = Extract<WriteOp, { op: 'insert-device' | 'update-device' }>;

export interface RerenderDeps {
  store: Store;
  box: SecretBox;
  catalog: CatalogHolder;
  clock: () => Date;
}

export function createRerenderer({ store, box, catalog, clock }: RerenderDeps) {
  /** Opens each extension's secret once per plan. */
  function opener(known: Map<string, ExtensionRecord | null>) {
    const opened = new Map<string, OpenExtension>();
    return async (number: string): Promise<OpenExtension> => {
      let open = opened.get(number);
      if (!open) {
        const record = known.has(number) ? known.get(number) : await store.getExtension(number);
        if (!record) throw new RenderFailure(number, '*', `extension ${number} does not exist`);
        open = { record, secret: box.open(record.secretSealed, secretContext(number)) };
        opened.set(number, open);
      }
      return open;
    };
  }

  /**
   * Reads each site once per plan; the default site, until an admin sets
   * it, is UTC with the vendors' own NTP and language.
   */
  function siteReader(known: Map<string, SiteRecord | null>) {
    const read = new Map<string, SiteRecord>();
    return async (name: string): Promise<SiteRecord> => {
      let site = read.get(name);
      if (!site) {
        const stored = known.has(name) ? known.get(name) : await store.getSite(name);
        site = stored ?? (name === DEFAULT_SITE ? UNSET_DEFAULT_SITE : undefined);
        if (!site) throw new RenderFailure(name, '*', `site ${name} does not exist`);
        read.set(name, site);
      }
      return site;
    };
  }

  /** The writes that bring one owner's stored renders to `files`, or [] when nothing changed. */
  function diff(owner: string, stored: RenderRecord[], files: Map<string, string>, version: number, at: string) {
    const before = new Map(stored.map((r) => [r.file, r]));
    const ops: WriteOp[] = [];
    for (const [file, body] of files) {
      const old = before.get(file);
      const context = renderContext(owner, file);
      // An AES-GCM open costs three times a fingerprint, and most files of a whole-fleet pass are unchanged.
      const fingerprint = box.fingerprint(body, context);
      if (old && (old.fingerprint === undefined ? box.open(old.sealedBody, context) === body : old.fingerprint === fingerprint)) continue;
      ops.push({ op: 'put-render', render: { owner, file, version, renderedAt: at, sealedBody: box.seal(body, context), fingerprint } });
    }
    for (const file of before.keys()) if (!files.has(file)) ops.push({ op: 'delete-render', owner, file });
    return ops;
  }

  async function planDevice(
    cat: Catalog,
    device: DeviceRecord,
    planned: DeviceOp | undefined,
    open: (n: string) => Promise<OpenExtension>,
    sites: (name: string) => Promise<SiteRecord>,
    at: string,
    dry = false,
  ): Promise<WriteOp[]> {
    const exts = new Map<string, OpenExtension>();
    for (const l of device.lines) exts.set(l.extension, await open(l.extension));
    // A device without lines is served nothing, so it keeps no files.
    const login = box.open(device.provPasswordSealed, provPasswordContext(device.mac));
    const site = await sites(deviceSite(device, (n) => siteOf(exts.get(n)!.record)));
    const files = device.lines.length ? cat.renderer.renderDevice(device, (n) => exts.get(n)!, login, site) : new Map();
    const version = device.configVersion + 1;
    // Proving that it renders is all a dry run asks.
    if (dry) return [];
    const ops = diff(device.mac, await store.listRenders(device.mac), files, version, at);
    if (ops.length === 0) return [];
    if (planned) {
      planned.record.configVersion = version;
      return ops;
    }
    // The bump goes first: where a store cannot commit a batch whole, a crash
    // part-way leaves a new version with old bytes, which a reconcile sees and
    // finishes; new bytes under the old version it could not tell apart.
    const bump: WriteOp = {
      op: 'update-device',
      record: { ...device, configVersion: version, rev: device.rev + 1 },
      expectRev: device.rev,
    };
    return [bump, ...ops];
  }

  /** Every softphone app's files for one extension, kept under the extension's own owner. */
  async function planExtension(cat: Catalog, ext: OpenExtension, at: string, dry = false): Promise<WriteOp[]> {
    const owner = extensionOwner(ext.record.number);
    const files = new Map<string, string>();
    for (const profile of cat.profiles.all().filter((p) => p.kind === 'softphone')) {
      for (const [file, body] of cat.renderer.renderExtension(profile, ext)) files.set(file, body);
    }
    if (dry) return [];
    const stored = await store.listRenders(owner);
    const ops = diff(owner, stored, files, nextVersion(stored), at);
    // Rendered from this revision of the extension: if it changed meanwhile,
    // the batch is refused and re-planned rather than putting old bytes back.
    return ops.length ? [{ op: 'expect-extension', number: ext.record.number, rev: ext.record.rev }, ...ops] : [];
  }

  const hook: ConfigRenderer = {
    async rerender(ops) {
      const cat = catalog.current();
      const extensions = new Map<string, ExtensionRecord | null>();
      const devices = new Map<string, DeviceOp | null>();
      const sites = new Map<string, SiteRecord | null>();
      for (const op of ops) {
        if (op.op === 'insert-site' || op.op === 'update-site') sites.set(op.record.name, op.record);
        else if (op.op === 'delete-site') sites.set(op.name, null);
        else if (op.op === 'insert-extension' || op.op === 'update-extension') extensions.set(op.record.number, op.record);
        else if (op.op === 'delete-extension') extensions.set(op.number, null);
        else if (op.op === 'insert-device' || op.op === 'update-device') devices.set(op.record.mac, op);
        else if (op.op === 'delete-device') devices.set(op.mac, null);
      }
      const macs = new Set(devices.keys());
      // Many extensions at once (an import, a site's registrar): one read of
      // every device beats a query per extension.
      if (extensions.size > MANY) {
        for (const d of await store.listDevices()) if (d.lines.some((l) => extensions.has(l.extension))) macs.add(d.mac);
      } else {
        for (const number of extensions.keys()) for (const d of await store.listDevices({ extension: number })) macs.add(d.mac);
      }
      for (const name of sites.keys()) for (const d of await devicesOfSite(store, name)) macs.add(d.mac);
      const open = opener(extensions);
      const readSite = siteReader(sites);
      const at = clock().toISOString();
      const out: WriteOp[] = [];
      for (const [number, record] of extensions) {
        if (record) out.push(...(await planExtension(cat, await open(number), at)));
      }
      for (const mac of macs) {
        const planned = devices.get(mac);
        // A deleted device's renders go with it in the store.
        if (planned === null) continue;
        const device = planned?.record ?? (await store.getDevice(mac));
        if (device) out.push(...(await planDevice(cat, device, planned, open, readSite, at)));
      }
      return out;
    },
  };

  /**
   * Whole-fleet work a page at a time: the vendors' shared files, then
   * extensions and devices PAGE at a time in key order. Each page is planned
   * (rendered against `cat` and compared with what is stored; `dry`: only
   * rendered, to prove it renders, with no writes) and handed to
   * `take`, which may run the plan again (a re-plan after a concurrent
   * change) and answers the page it used; the next page is read only after
   * that. So memory holds one page's renders, never the fleet's.
   *
   * With `since` (the catalog the stored renders were made with), an owner
   * whose render inputs are the same in both is left out: its stored bytes
   * are already what `cat` renders.
   */
  async function eachPage(
    cat: Catalog,
    dry: boolean,
    take: (plan: () => Promise<PagePlan>) => Promise<PagePlan>,
    since?: Catalog,
  ): Promise<void> {
    await take(async () => {
      const at = clock().toISOString();
      const page = planPage(new Map());
      for (const profile of cat.profiles.all()) {
        await page.attempt(async () => {
          const owner = vendorOwner(profile.id);
          const files = cat.renderer.renderVendor(profile);
          if (dry) return [];
          const stored = await store.listRenders(owner);
          return diff(owner, stored, files, nextVersion(stored), at);
        });
      }
      return page.done(null);
    });
    // Keyset pages: each starts after the last key the page before it used.
    // A page planned again keeps what it planned for every owner still at the same revision.
    const pages = async (planOne: (after: string | undefined, page: ReturnType<typeof planPage>, at: string) => Promise<string | null>) => {
      for (let after: string | null | undefined = undefined; after !== null; ) {
        const cursor: string | undefined = after;
        const kept = new Map<string, Kept>();
        after = (
          await take(async () => {
            const page = planPage(kept);
            return page.done(await planOne(cursor, page, clock().toISOString()));
          })
        ).last;
      }
    };
    if (!since || since.renderer.extensionInputs() !== cat.renderer.extensionInputs()) {
      await pages(async (after, page, at) => {
        const exts = await store.listExtensions({ after, limit: PAGE });
        const open = opener(new Map(exts.map((e) => [e.number, e])));
        for (const ext of exts) {
          await page.attempt(async () => planExtension(cat, await open(ext.number), at, dry), { key: ext.number, rev: ext.rev });
        }
        page.rendered.extensions += exts.length;
        return exts.at(-1)?.number ?? null;
      });
    }
    const unchanged = (device: DeviceRecord) => {
      const inputs = since?.renderer.deviceInputs(device);
      return inputs != null && inputs === cat.renderer.deviceInputs(device);
    };
    // With `since`, only the vendors a change reaches are read at all: one
    // that either catalog knows, with inputs that differ for some model. (A
    // device of a vendor neither knows fails to render whatever changed; the
    // sweep logs it.)
    const vendors = since
      ? [...new Set([...since.profiles.all(), ...cat.profiles.all()].map((p) => p.id))].filter(
          (v) => since.renderer.vendorInputs(v) !== cat.renderer.vendorInputs(v),
        )
      : [undefined];
    for (const vendor of vendors) {
      await pages(async (after, page, at) => {
        // Opened per page, so what is held does not grow with the fleet.
        const open = opener(new Map());
        const readSite = siteReader(new Map());
        const devices = await store.listDevices({ vendor, after, limit: PAGE });
        for (const device of devices) {
          if (unchanged(device)) continue;
          await page.attempt(() => planDevice(cat, device, undefined, open, readSite, at, dry), { key: device.mac, rev: device.rev });
          page.rendered.devices++;
        }
        return devices.at(-1)?.mac ?? null;
      });
    }
  }

  return { hook, eachPage };
}

export type Rerenderer = ReturnType<typeof createRerenderer>;

/** Above this many extensions in one change, their devices are found in one read of all. */
const MANY = 50;

/** Owners planned, and writes committed, together in whole-fleet work. */
export const PAGE = 250;

/** One page of whole-fleet work: its writes, the files that would not render, and the last key it covered (null: no more). */
export interface PagePlan {
  ops: WriteOp[];
  failures: RenderFailure[];
  /** Owners rendered (the others' inputs did not change). */
  rendered: { devices: number; extensions: number };
  last: string | null;
}

/** What a page planned for one owner at one revision. */
interface Kept {
  rev: number;
  ops: WriteOp[];
  failure: RenderFailure | null;
}

/**
 * Collects a page's writes and failures. Rendering is synchronous work: a
 * slice at most SLICE_MS long, then whatever else waits on this event loop
 * goes first. An owner found in `kept` at the same revision is not planned
 * again: every write that could make its plan stale bumps its revision (its
 * own records, and any re-render of its files), so a page refused because
 * one phone changed meanwhile renders that phone again, not all of them.
 */
function planPage(kept: Map<string, Kept>) {
  const ops: WriteOp[] = [];
  const failures: RenderFailure[] = [];
  const rendered = { devices: 0, extensions: 0 };
  let slice = performance.now();
  return {
    rendered,
    async attempt(fn: () => Promise<WriteOp[]>, owner?: { key: string; rev: number }): Promise<void> {
      const was = owner && kept.get(owner.key);
      if (was && was.rev === owner.rev) {
        ops.push(...was.ops);
        if (was.failure) failures.push(was.failure);
        return;
      }
      let mine: WriteOp[] = [];
      let failure: RenderFailure | null = null;
      try {
        mine = await fn();
      } catch (err) {
        if (!(err instanceof RenderFailure)) throw err;
        failure = err;
      }
      ops.push(...mine);
      if (failure) failures.push(failure);
      if (owner) kept.set(owner.key, { rev: owner.rev, ops: mine, failure });
      if (performance.now() - slice >= SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        slice = performance.now();
      }
    },
    done: (last: string | null): PagePlan => ({ ops, failures, rendered, last }),
  };
}

/** Shared and softphone files count their own versions, one past the newest stored. */
function nextVersion(stored: RenderRecord[]): number {
  return Math.max(0, ...stored.map((r) => r.version)) + 1;
}
