// A worker's use cases asked of the primary: over a channel that, like the
// cluster's, carries JSON, the primary's own implementation runs with the
// worker's arguments (an undefined one still takes its default), a typed
// refusal comes back as the same typed error, and nothing but a service's
// own methods can be called.
import { EventEmitter } from 'node:events';
import test from 'ava';
import { AppError, Conflict } from '../../server/domain/errors.ts';
import { createLink, type Channel, type Link } from '../../server/cluster/link.ts';
import { serveUseCases, throughPrimary, USE_CASE_CALL } from '../../server/cluster/through-primary.ts';

function pair(): [Link, Link] {
  const ends = [new EventEmitter(), new EventEmitter()];
  const channel = (from: number): Channel => ({
    send(message, callback) {
      const copy = JSON.parse(JSON.stringify(message));
      setImmediate(() => ends[1 - from]!.emit('message', copy));
      callback(null);
      return true;
    },
    on: (event, listener) => ends[from]!.on(event, listener),
    connected: true,
  });
  return [createLink(channel(0)), createLink(channel(1))];
}

const made: unknown[][] = [];
const extensions = {
  async update(actor: { name: string }, number: string, patch: { label?: string } = { label: 'default' }, flag?: boolean) {
    made.push([actor, number, patch, flag]);
    return { number, label: patch.label, by: actor.name, flag: flag ?? null };
  },
  async remove(_actor: unknown, number: string) {
    throw new Conflict('extension-in-use', `extension ${number} is on a device`);
  },
};
const devices = { async get(mac: string) { return { mac }; } };

function wired() {
  const [worker, primary] = pair();
  serveUseCases(primary, async () => ({ extensions, devices, import: {} }));
  return { worker, forwarded: throughPrimary(worker, 'extensions', extensions) };
}

test('the primary runs its own implementation with the arguments given; an undefined one takes its default', async (t) => {
  const { forwarded } = wired();
  made.length = 0;
  t.deepEqual(await forwarded.update({ name: 'ann' }, '1001', { label: 'Desk' }, true), { number: '1001', label: 'Desk', by: 'ann', flag: true });
  t.deepEqual(await forwarded.update({ name: 'ann' }, '1002'), { number: '1002', label: 'default', by: 'ann', flag: null });
  t.deepEqual(await forwarded.update({ name: 'ann' }, '1003', undefined, false), { number: '1003', label: 'default', by: 'ann', flag: false });
  t.deepEqual(made.map((m) => m[2]), [{ label: 'Desk' }, { label: 'default' }, { label: 'default' }]);
});

test('a typed refusal in the primary is the same typed error in the worker', async (t) => {
  const { forwarded } = wired();
  const err = await t.throwsAsync(forwarded.remove({ name: 'ann' }, '1001'), { instanceOf: AppError });
  t.is(err?.status, 409);
  t.is(err?.code, 'extension-in-use');
  t.is(err?.message, 'extension 1001 is on a device');
});

test("only a forwarded service's own methods can be called", async (t) => {
  const { worker } = wired();
  for (const [service, method] of [['extensions', 'constructor'], ['extensions', 'toString'], ['extensions', '__proto__'], ['tokens', 'issue'], ['devices', 'nope']]) {
    await t.throwsAsync(worker.call(USE_CASE_CALL, { service, method, args: {}, count: 0 }), { message: /no use case/ }, `${service}.${method}`);
  }
  t.deepEqual(await worker.call(USE_CASE_CALL, { service: 'devices', method: 'get', args: { 0: '805ec0000001' }, count: 1 }), { mac: '805ec0000001' });
});
