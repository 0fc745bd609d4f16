// What happened, told after the fact to whoever listens in this process: the
// notifier, the console's live stream, webhooks. Publishing never fails the
// change that caused it; a listener that throws is reported and skipped.
import type { NotifyOutcome } from '../../domain/notify.ts';
import type { LineRegistration } from '../../domain/registration.ts';
import type { WriteOp } from '../../storage/store.ts';

export type ProvEvent =
  /** A batch the store has committed (never published for a refused one). */
  | { type: 'committed'; ops: readonly WriteOp[] }
  /**
   * A phone fetched its credential-bearing file; version null when it was
   * served nothing. previousVersion: what it had fetched before, when known.
   */
  | { type: 'fetched'; mac: string; version: number | null; at: string; previousVersion?: number | null }
  /** A device's check-sync NOTIFY reached a new state (queued, sent, acknowledged, failed, no-fetch). */
  | { type: 'notify-outcome'; mac: string; notify: NotifyOutcome }
  /** A registrar's report moved a device line's registration state. */
  | { type: 'registration'; mac: string; extension: string; registration: LineRegistration; at: string };

export type Listener = (event: ProvEvent) => void;

export interface EventBus {
  publish(event: ProvEvent): void;
  /** Returns the function that stops listening. */
  subscribe(listener: Listener): () => void;
}

export function createEventBus(onListenerError: (err: unknown, event: ProvEvent) => void): EventBus {
  const listeners = new Set<Listener>();
  return {
    publish(event) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (err) {
          onListenerError(err, event);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** For code built without listeners (tests of a single use case). */
export const silentBus: EventBus = { publish: () => {}, subscribe: () => () => {} };
