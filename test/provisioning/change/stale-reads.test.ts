// A render is only as fresh as the extension records it read. Between a
// plan's reads and its commit another change may commit a new secret (and
// re-render the same phone with it); the slower batch must then be refused
// and re-planned, never put the old secret back; a whole-fleet page plans
// again only the phones that changed. Made deterministic here by committing
// the other change at exactly that moment, on a real SQLite store.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { createSecretBox } from '../../../server/domain/secret-box.ts';
import { holdCatalog } from '../../../server/render/catalog.ts';
import { createChangeRunner } from '../../../server/provisioning/change/change-runner.ts';
import { secretContext, renderContext, provPasswordContext } from '../../../server/domain/seal-contexts.ts';
import { applyPages } from '../../../server/provisioning/fleet/reconcile.ts';
import { createRerenderer } from '../../../server/provisioning/fleet/rerender.ts';
import { openSqliteStore } from '../../../server/storage/sqlite-store.ts';
import type { Store, WriteOp } from '../../../server/storage/store.ts';
import { tempDir } from '../../helpers/server.ts';
import { cfgGet, readYealinkCfg } from '../../helpers/yealink-cfg-reader.ts';
import { catalog, device, extension } from '../../render/fixtures.ts';

const EXT = '1001';
const MAC = '805ec0123456';
const OLD = 'Old-Secret-1';
const NEW = 'New-Secret-2';

async function fleet(t: { teardown(fn: () => unknown): void }, macs: string[] = [MAC]) {
  const raw = openSqliteStore(tempDir());
  t.teardown(() => raw.close());
  // Runs `before` once, just ahead of the next commit that writes the device.
  let before: (() => Promise<void>) | null = null;
  const store: Store = Object.create(raw, {
    commit: {
      value: async (batch: WriteOp[]) => {
        const hook = before;
        if (hook && batch.some((o) => o.op === 'update-device')) {
          before = null;
          await hook();
        }
        return raw.commit(batch);
      },
    },
  });
  const box = createSecretBox(randomBytes(32));
  const holder = holdCatalog(catalog());
  let now = Date.parse('2024-05-01T10:00:00.000Z');
  const rerenderer = createRerenderer({ store, box, catalog: holder, clock: () => new Date((now += 1000)) });
  const runChange = createChangeRunner(store, rerenderer.hook);

  const ext = extension({ number: EXT, displayName: 'Front Desk', secret: OLD });
  await runChange(async () => ({
    ops: [{ op: 'insert-extension', record: { ...ext.record, secretSealed: box.seal(OLD, secretContext(EXT)) } }],
    result: undefined,
  }));
  for (const mac of macs) {
    const d = device('yealink', mac, 'T46S', [{ line: 1, extension: EXT }]);
    await runChange(async () => ({
      ops: [{ op: 'insert-device', record: { ...d, provPasswordSealed: box.seal('prov-pass', provPasswordContext(mac)) } }],
      result: undefined,
    }));
  }

  /** The secret change as the API makes it: the new sealed secret, and every phone on it re-rendered. */
  const changeSecret = () =>
    runChange(async () => {
      const e = (await raw.getExtension(EXT))!;
      const record = { ...e, secretSealed: box.seal(NEW, secretContext(EXT)), secretVersion: e.secretVersion + 1, rev: e.rev + 1 };
      return { ops: [{ op: 'update-extension', record, expectRev: e.rev }], result: undefined };
    });
  const storedFile = async (mac = MAC) => {
    const r = (await raw.listRenders(mac)).find((x) => x.file === `${mac}.cfg`)!;
    return box.open(r.sealedBody, renderContext(mac, r.file));
  };
  const storedSecret = async () => cfgGet(readYealinkCfg(await storedFile()), 'account.1.password');
  return {
    store: raw,
    rerenderer,
    runChange,
    holder,
    changeSecret,
    storedFile,
    storedSecret,
    secretLandsBeforeNextDeviceWrite: () => {
      before = changeSecret;
    },
    beforeNextDeviceWrite: (change: () => Promise<void>) => {
      before = change;
    },
  };
}

test('a device change whose render read the old secret is re-planned when the secret changes before it commits', async (t) => {
  const f = await fleet(t);
  t.is(await f.storedSecret(), OLD);
  f.secretLandsBeforeNextDeviceWrite();
  await f.runChange(async () => {
    const d = (await f.store.getDevice(MAC))!;
    return { ops: [{ op: 'update-device', record: { ...d, label: 'lobby', rev: d.rev + 1 }, expectRev: d.rev }], result: undefined };
  });
  t.is((await f.store.getDevice(MAC))!.label, 'lobby', 'the device change still lands');
  t.is(await f.storedSecret(), NEW, 'and the file the phone fetches carries the new secret');
});

test('a whole-fleet page rendered before a secret change is re-planned, not committed with the old secret', async (t) => {
  const f = await fleet(t);
  // A new public URL: every file differs, so the page has writes for the device.
  const next = catalog(null, 'https://prov2.example.com');
  f.holder.swap(next);
  f.secretLandsBeforeNextDeviceWrite();
  await applyPages(f.rerenderer, next, f.runChange);
  t.is(await f.storedSecret(), NEW, 'the page was re-planned with the new secret');
  t.true((await f.storedFile()).includes('https://prov2.example.com/prov/'), 'and the new catalog');
});

test('a page refused because one phone changed meanwhile plans that phone again and keeps the rest', async (t) => {
  const [a, b, c] = ['805ec0100001', '805ec0100002', '805ec0100003'];
  const f = await fleet(t, [a!, b!, c!]);
  const next = catalog(null, 'https://prov2.example.com');
  f.holder.swap(next);
  // Between the page's plan and its commit, an admin relabels b (no render of the others).
  f.beforeNextDeviceWrite(async () => {
    await f.runChange(async () => {
      const d = (await f.store.getDevice(b!))!;
      return { ops: [{ op: 'update-device', record: { ...d, label: 'lobby', rev: d.rev + 1 }, expectRev: d.rev }], result: undefined };
    });
  });
  const applied = await applyPages(f.rerenderer, next, f.runChange);
  t.is(applied.devices, 2, 'a and c stored by the page; b by its own change, which rendered it with the new catalog');
  const renderedAt = async (mac: string) => (await f.store.listRenders(mac)).find((r) => r.file === `${mac}.cfg`)!.renderedAt;
  const [ra, rb, rc] = [await renderedAt(a!), await renderedAt(b!), await renderedAt(c!)];
  t.is(ra, rc, 'a and c keep what the first plan rendered');
  t.true(rb > ra, 'b, changed meanwhile, was planned again');
  for (const mac of [a!, b!, c!]) t.true((await f.storedFile(mac)).includes('https://prov2.example.com/prov/'), `${mac} has the new catalog`);
  t.is((await f.store.getDevice(b!))!.label, 'lobby');
});
