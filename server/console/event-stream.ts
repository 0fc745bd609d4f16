// GET /api/events: server-sent events for the console. One listener on the
// in-process event bus turns each event into snapshots of what it touched
// (devices, links, extensions), read once and sent to every open stream.
// Snapshots carry what the list endpoints carry, never a secret. Events are
// per process: with several instances, a stream hears its own instance only,
// so the console also re-reads on (re)connect and on a slow timer.
import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { DeviceRecord } from '../domain/device.ts';
import { publicLink } from '../domain/link.ts';
import type { EventBus, ProvEvent } from '../provisioning/change/events.ts';
import type { Store, WriteOp } from '../storage/store.ts';

export interface EventStreams {
  open(ctx: Context): void;
  /** Ends every stream (shutdown), so the listener can close. */
  endAll(): void;
  /** Stops listening on the bus. */
  close(): void;
}

interface Touched {
  macs: Set<string>;
  deleted: Set<string>;
  links: Set<string>;
  extensions: Set<string>;
  deletedExtensions: Set<string>;
}

const MAC = /^[0-9a-f]{12}$/;
const HEARTBEAT_MS = 15_000;
/** More records than this in one change are told as one `resync`. */
export const RESYNC_OVER = 200;

function touchedBy(ops: readonly WriteOp[]): Touched {
  const t: Touched = { macs: new Set(), deleted: new Set(), links: new Set(), extensions: new Set(), deletedExtensions: new Set() };
  for (const op of ops) {
    switch (op.op) {
      case 'insert-device':
      case 'update-device':
        t.macs.add(op.record.mac);
        break;
      case 'delete-device':
        t.deleted.add(op.mac);
        break;
      case 'open-claim':
      case 'close-claim':
        t.macs.add(op.mac);
        break;
      case 'put-render':
        if (MAC.test(op.render.owner)) t.macs.add(op.render.owner);
        break;
      case 'insert-link':
        t.links.add(op.record.id);
        break;
      case 'use-link':
      case 'revoke-link':
        t.links.add(op.id);
        break;
      case 'update-extension':
        t.extensions.add(op.record.number);
        break;
      case 'delete-extension':
        t.deletedExtensions.add(op.number);
        break;
      default:
        break;
    }
  }
  return t;
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export interface EventStreamDeps {
  store: Store;
  events: EventBus;
  clock: () => Date;
  log: Logger;
  /** How a device is shown: the same view the API answers with. */
  view: (d: DeviceRecord) => Promise<unknown>;
}

export function createEventStreams({ store, events, clock, log, view }: EventStreamDeps): EventStreams {
  const clients = new Set<PassThrough>();

  const send = (text: string) => {
    for (const c of clients) c.write(text);
  };

  async function devices(macs: Iterable<string>): Promise<string> {
    let out = '';
    for (const mac of macs) {
      const d = await store.getDevice(mac);
      out += d ? frame('device', await view(d)) : frame('device-deleted', { mac });
    }
    return out;
  }

  async function links(ids: Iterable<string>, extensions: Iterable<string>): Promise<string> {
    const now = clock();
    const all = new Map<string, ReturnType<typeof publicLink>>();
    let out = '';
    for (const number of extensions) {
      const ext = await store.getExtension(number);
      if (!ext) continue;
      out += frame('extension', { number, secretVersion: ext.secretVersion, updatedAt: ext.updatedAt });
      // A one-use app address belongs to its link, and no list shows it.
      for (const l of await store.listLinks({ extension: number })) if (!l.parentId) all.set(l.id, publicLink(l, ext.secretVersion, now));
    }
    for (const id of ids) {
      if (all.has(id)) continue;
      const l = await store.getLink(id);
      const ext = l && (await store.getExtension(l.extension));
      if (l && ext && !l.parentId) all.set(id, publicLink(l, ext.secretVersion, now));
    }
    for (const l of all.values()) out += frame('link', l);
    return out;
  }

  async function snapshot(event: ProvEvent): Promise<string> {
    if (event.type === 'fetched') return devices([event.mac]);
    if (event.type === 'notify-outcome') return frame('notify', { mac: event.mac, notify: event.notify }) + (await devices([event.mac]));
    if (event.type === 'registration') {
      const { mac, extension, registration } = event;
      return frame('registration', { mac, extension, registration }) + (await devices([mac]));
    }
    const t = touchedBy(event.ops);
    // A whole file imported or a site changed: a page re-reads once rather than take a frame per record.
    if (t.macs.size + t.extensions.size + t.links.size > RESYNC_OVER) return frame('resync', { records: t.macs.size + t.extensions.size });
    let out = await devices(t.macs);
    for (const number of t.deletedExtensions) out += frame('extension-deleted', { number });
    for (const mac of t.deleted) out += frame('device-deleted', { mac });
    return out + (await links(t.links, t.extensions));
  }

  // Snapshots go out in the order their events happened, even though reading them is async.
  let queue = Promise.resolve();
  const listener = (event: ProvEvent) => {
    if (clients.size === 0) return;
    queue = queue
      .then(() => snapshot(event))
      .then((text) => {
        if (text) send(text);
      })
      .catch((err) => log.warn({ err }, 'could not read a snapshot for the event stream'));
  };
  // Listening only while a stream is open: in a worker, that is what has the
  // primary relay the other processes' events to it at all.
  let unsubscribe: (() => void) | null = null;
  const listen = (on: boolean) => {
    if (on && !unsubscribe) unsubscribe = events.subscribe(listener);
    if (!on && unsubscribe) {
      unsubscribe();
      unsubscribe = null;
    }
  };

  return {
    open(ctx) {
      const stream = new PassThrough();
      ctx.req.socket.setTimeout(0);
      ctx.req.socket.setNoDelay(true);
      ctx.set('Content-Type', 'text/event-stream; charset=utf-8');
      ctx.set('Cache-Control', 'no-store');
      ctx.set('X-Accel-Buffering', 'no');
      ctx.status = 200;
      ctx.body = stream;
      stream.write(`retry: 3000\n${frame('hello', { at: clock().toISOString() })}`);
      clients.add(stream);
      listen(true);
      const beat = setInterval(() => stream.write(': keep-alive\n\n'), HEARTBEAT_MS);
      const end = () => {
        clearInterval(beat);
        clients.delete(stream);
        if (clients.size === 0) listen(false);
      };
      ctx.req.once('close', () => {
        end();
        stream.destroy();
      });
      stream.once('close', end);
    },
    endAll() {
      for (const c of clients) c.end();
      clients.clear();
      listen(false);
    },
    close() {
      listen(false);
    },
  };
}
