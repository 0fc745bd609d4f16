// Rendered files and phone uploads on MongoDB, keyed by owner and file in
// one _id, so the phone fetch's read is two point reads that go out together.
import { RevisionMismatch } from '../store.ts';
import { renderId, strip, toDevice, uploadId, type Collections } from './collections.ts';
import { all, engine, one, put, type MongoPart } from './part.ts';

export function mongoRenders(c: Collections): MongoPart<'renders'> {
  return {
    reads: {
      getPhoneFile(mac, file) {
        return engine(async () => {
          // Two point reads by _id, in parallel: one round trip's wait.
          const [doc, render] = await Promise.all([c.devices.findOne({ _id: mac }), c.renders.findOne({ _id: renderId(mac, file) })]);
          if (!doc) return null;
          return { device: { ...toDevice(doc), lastFetch: null }, render: strip(render) };
        });
      },
      getRender(owner, file) {
        return one(() => c.renders.findOne({ _id: renderId(owner, file) }));
      },
      listRenders(owner) {
        return all(() => c.renders.find({ owner }).sort({ file: 1 }));
      },
      getUpload(mac, file) {
        return one(() => c.uploads.findOne({ _id: uploadId(mac, file) }));
      },
      listUploads(mac) {
        return all(() => c.uploads.find({ mac }).sort({ file: 1 }));
      },
    },
    writes: {
      'put-render': async ({ render: r }, s) => {
        await put(c.renders, { ...r, _id: renderId(r.owner, r.file) }, s);
      },
      'delete-render': async (op, s) => {
        await c.renders.deleteOne({ _id: renderId(op.owner, op.file) }, s);
      },
      'put-upload': async ({ upload: u }, s) => {
        if (!(await c.devices.findOne({ _id: u.mac }, s))) throw new RevisionMismatch('device', u.mac);
        await put(c.uploads, { ...u, _id: uploadId(u.mac, u.file) }, s);
      },
      'delete-upload': async (op, s) => {
        await c.uploads.deleteOne({ _id: uploadId(op.mac, op.file) }, s);
      },
    },
  };
}
