// A whole-fleet pass tells an unchanged file by the keyed fingerprint stored
// with it, without opening the sealed body; a file stored before
// fingerprints were kept is compared by opening it, and gets one when it is
// next written. On a real SQLite store.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { provPasswordContext, secretContext, renderContext } from '../../../server/domain/seal-contexts.ts';
import { createSecretBox } from '../../../server/domain/secret-box.ts';
import { holdCatalog } from '../../../server/render/catalog.ts';
import { createChangeRunner } from '../../../server/provisioning/change/change-runner.ts';
import { applyPages } from '../../../server/provisioning/fleet/reconcile.ts';
import { createRerenderer } from '../../../server/provisioning/fleet/rerender.ts';
import { openSqliteStore } from '../../../server/storage/sqlite-store.ts';
import type { RenderRecord } from '../../../server/storage/store.ts';
import { tempDir } from '../../helpers/server.ts';
import { catalog, device, extension } from '../../render/fixtures.ts';

const MAC = '805ec0123456';
const FILE = `${MAC}.cfg`;

async function provisioned(t: { teardown(fn: () => unknown): void }) {
  const store = openSqliteStore(tempDir());
  t.teardown(() => store.close());
  const box = createSecretBox(randomBytes(32));
  const holder = holdCatalog(catalog());
  const rerenderer = createRerenderer({ store, box, catalog: holder, clock: () => new Date() });
  const runChange = createChangeRunner(store, rerenderer.hook);
  const ext = extension({ number: '1001', displayName: 'Front Desk', secret: 'S3cret-1001' });
  await runChange(async () => ({
    ops: [{ op: 'insert-extension', record: { ...ext.record, secretSealed: box.seal('S3cret-1001', secretContext('1001')) } }],
    result: undefined,
  }));
  const d = device('yealink', MAC, 'T46S', [{ line: 1, extension: '1001' }]);
  await runChange(async () => ({
    ops: [{ op: 'insert-device', record: { ...d, provPasswordSealed: box.seal('prov-pass', provPasswordContext(MAC)) } }],
    result: undefined,
  }));
  const stored = async () => (await store.getRender(MAC, FILE))!;
  const text = (r: RenderRecord) => box.open(r.sealedBody, renderContext(MAC, FILE));
  /** Puts `render` in the store as it is, past the renderer. */
  const plant = (render: RenderRecord) => store.commit([{ op: 'put-render', render }]);
  const pass = () => applyPages(rerenderer, holder.current(), runChange);
  // The vendors' shared files, which only a whole-fleet pass writes.
  await pass();
  return { store, box, holder, stored, text, plant, pass };
}

test('every render is stored with the fingerprint of its text, which only the key can make', async (t) => {
  const f = await provisioned(t);
  const renders = [...(await f.store.listRenders(MAC)), ...(await f.store.listRenders('extension:1001')), ...(await f.store.listRenders('vendor:yealink'))];
  t.true(renders.length >= 3);
  for (const r of renders) {
    const text = f.box.open(r.sealedBody, renderContext(r.owner, r.file));
    t.is(r.fingerprint, f.box.fingerprint(text, renderContext(r.owner, r.file)), `${r.owner}/${r.file}`);
    t.not(r.fingerprint, createSecretBox(randomBytes(32)).fingerprint(text, renderContext(r.owner, r.file)));
  }
});

test('a pass with nothing changed writes nothing; a stored fingerprint that does not match the text is written again', async (t) => {
  const f = await provisioned(t);
  const before = await f.stored();
  t.is((await f.pass()).writes, 0);
  t.deepEqual(await f.stored(), before, 'the same sealed value, version and time');
  // The same text under a fingerprint that is not its own: compared by fingerprint, it differs.
  await f.plant({ ...before, fingerprint: f.box.fingerprint('something else', renderContext(MAC, FILE)) });
  const applied = await f.pass();
  t.is(applied.files, 1);
  const after = await f.stored();
  t.not(after.sealedBody, before.sealedBody);
  t.is(after.version, before.version + 1);
  t.is(f.text(after), f.text(before));
  t.is(after.fingerprint, before.fingerprint, 'its own fingerprint again');
});

test('a render stored before fingerprints is compared by opening it, and gets its fingerprint when next written', async (t) => {
  const f = await provisioned(t);
  const { fingerprint: _, ...current } = await f.stored();
  await f.plant(current);
  t.is((await f.pass()).writes, 0, 'the same text, opened and compared: nothing to write');
  t.deepEqual(await f.stored(), current);
  // An old render whose text differs from what renders now.
  const stale = f.box.seal(f.text(current).replace('Front Desk', 'Old Label'), renderContext(MAC, FILE));
  await f.plant({ ...current, sealedBody: stale });
  t.is((await f.pass()).files, 1);
  const after = await f.stored();
  t.is(f.text(after), f.text(current));
  t.is(after.fingerprint, f.box.fingerprint(f.text(current), renderContext(MAC, FILE)));
});
