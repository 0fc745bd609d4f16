// The IPC channel between the primary and one worker, the same on both ends:
// posts (one-way notices, sent in one message per event-loop turn, so a busy
// worker pays one send for many of them) and calls (a request answered by
// the other end). A call, and a reply, first sends the posts queued before
// it, so the other end sees them in the order they were made.

/** What the two ends tell each other without waiting. */
export type Post =
  | { k: 'guard'; fact: unknown }
  | { k: 'event'; event: unknown }
  | { k: 'fetch'; mac: string; fetch: unknown }
  | { k: 'learnt'; mac: string; learnt: unknown }
  /** A worker is assembled and listening on every port. */
  | { k: 'ready' }
  /** A worker has (or no longer has) listeners for relayed events: only then are they sent to it. */
  | { k: 'listening-for-events'; on: boolean };

type Envelope =
  | { t: 'posts'; posts: Post[] }
  | { t: 'call'; id: number; kind: string; arg: unknown }
  | { t: 'reply'; id: number; ok: true; value: unknown }
  | { t: 'reply'; id: number; ok: false; error: { message: string; status?: number; code?: string } };

export interface Channel {
  send(message: unknown, callback: (err: Error | null) => void): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  isConnected?(): boolean;
  connected?: boolean;
}

export interface Link {
  /** Queued for this turn's message; `now` sends at once (before the answer that caused it reaches its client). */
  post(post: Post, now?: boolean): void;
  call<T = unknown>(kind: string, arg?: unknown): Promise<T>;
  /** Resolves once every post the other end had queued when it got this has arrived here. */
  handedOver(): Promise<void>;
  onPost(handler: (post: Post) => void): void;
  serve(kind: string, handler: (arg: any) => unknown): void;
  /** Refuses every call still waiting (the other end is gone). */
  fail(reason: string): void;
}

/** A failure the other end reported; status and code survive the trip. */
export class RemoteError extends Error {
  constructor(message: string, readonly status?: number, readonly code?: string) {
    super(message);
    this.name = 'RemoteError';
  }
}

const HAND_OVER = 'hand-over-posts';

export function createLink(channel: Channel): Link {
  let outbox: Post[] = [];
  let scheduled = false;
  let nextId = 1;
  const waiting = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  const servers = new Map<string, (arg: any) => unknown>();
  const postHandlers: ((post: Post) => void)[] = [];
  // Answered by the link itself: its reply follows whatever was queued before it.
  servers.set(HAND_OVER, () => undefined);

  const connected = () => (channel.isConnected ? channel.isConnected() : channel.connected !== false);
  // A write can still fail when the other process is exiting; without a
  // callback Node raises it as an 'error' event, which would end this process.
  // Nothing is lost by ignoring it: that end's exit fails its waiting calls.
  const send = (e: Envelope) => {
    if (connected()) channel.send(e, () => undefined);
  };

  function drain(): void {
    if (outbox.length === 0) return;
    const posts = outbox;
    outbox = [];
    send({ t: 'posts', posts });
  }

  channel.on('message', (raw) => {
    const e = raw as Envelope;
    if (!e || typeof e !== 'object' || !('t' in e)) return;
    if (e.t === 'posts') {
      for (const post of e.posts) for (const h of postHandlers) h(post);
    } else if (e.t === 'call') {
      const handler = servers.get(e.kind);
      void Promise.resolve()
        .then(() => {
          if (!handler) throw new Error(`no handler for ${e.kind}`);
          return handler(e.arg);
        })
        .then(
          (value) => {
            drain();
            send({ t: 'reply', id: e.id, ok: true, value });
          },
          (err: { message?: string; status?: number; code?: string }) => {
            drain();
            send({ t: 'reply', id: e.id, ok: false, error: { message: String(err?.message), status: err?.status, code: err?.code } });
          },
        );
    } else if (e.t === 'reply') {
      const w = waiting.get(e.id);
      if (!w) return;
      waiting.delete(e.id);
      if (e.ok) w.resolve(e.value);
      else w.reject(new RemoteError(e.error.message, e.error.status, e.error.code));
    }
  });

  function call<T>(kind: string, arg?: unknown): Promise<T> {
    drain();
    const id = nextId++;
    return new Promise((resolve, reject) => {
      if (!connected()) return reject(new Error('the other process is gone'));
      waiting.set(id, { resolve, reject });
      send({ t: 'call', id, kind, arg });
    });
  }

  return {
    post(post, now = false) {
      outbox.push(post);
      if (now) drain();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          drain();
        });
      }
    },
    call,
    handedOver: () => call<void>(HAND_OVER),
    onPost: (handler) => void postHandlers.push(handler),
    serve: (kind, handler) => void servers.set(kind, handler),
    fail(reason) {
      for (const w of waiting.values()) w.reject(new Error(reason));
      waiting.clear();
    },
  };
}
