// Live events across processes. Each process has its own bus; a worker's
// events are posted to the primary, which publishes them on its bus and
// posts them on to every other worker, and the primary's own events (the
// background reconcile, the sweep, template reloads) go to every worker. So
// a listener sees every event of the instance wherever it runs. Sealed
// bodies are left out on the way (a full reload's batch would otherwise copy
// every rendered file to every worker): relayed put-render and put-upload
// ops carry sealedBody ''.
import type { WriteOp } from '../storage/store.ts';
import type { EventBus, ProvEvent } from '../provisioning/change/events.ts';
import type { Link } from './link.ts';

export function slim(event: ProvEvent): ProvEvent {
  if (event.type !== 'committed') return event;
  const ops = event.ops.map((op): WriteOp => {
    if (op.op === 'put-render') return { ...op, render: { ...op.render, sealedBody: '' } };
    if (op.op === 'put-upload') return { ...op, upload: { ...op.upload, sealedBody: '' } };
    return op;
  });
  return { type: 'committed', ops };
}

/** Committed operations per relayed message: a full reload is many messages, each parsed in its own turn. */
export const RELAY_SLICE_OPS = 500;

/** The event as relayed: a large commit as several committed events of at most `size` operations, in order. */
export function slices(event: ProvEvent, size = RELAY_SLICE_OPS): ProvEvent[] {
  if (event.type !== 'committed' || event.ops.length <= size) return [event];
  const out: ProvEvent[] = [];
  for (let i = 0; i < event.ops.length; i += size) out.push({ type: 'committed', ops: event.ops.slice(i, i + size) });
  return out;
}

/** How much of a turn's relay budget an event takes. */
export const weightOf = (event: ProvEvent): number => (event.type === 'committed' ? Math.max(1, event.ops.length) : 1);

/**
 * A worker's bus: publishes locally and to the primary; what the primary
 * relays is published locally only. The primary relays to it only while it
 * has listeners of its own, so it tells the primary when that changes.
 */
export function relayedBus(local: EventBus, link: Link): EventBus {
  link.onPost((post) => {
    if (post.k === 'event') local.publish(post.event as ProvEvent);
  });
  let listeners = 0;
  return {
    publish(event) {
      local.publish(event);
      link.post({ k: 'event', event: slim(event) });
    },
    subscribe(listener) {
      const unsubscribe = local.subscribe(listener);
      if (listeners++ === 0) link.post({ k: 'listening-for-events', on: true }, true);
      let done = false;
      return () => {
        if (done) return;
        done = true;
        unsubscribe();
        if (--listeners === 0) link.post({ k: 'listening-for-events', on: false }, true);
      };
    },
  };
}
