// The scan guard shared by workers, each with its own replica, wired through
// a relay that acts as the primary (a worker's guard post goes to every other
// worker) and delivers only when the test says, so the order in which facts
// cross is chosen: a phone's bare request on one worker and its credentials
// on the other are cleared whichever arrives first, and a proof with nothing
// to clear costs no message. A bare request is told to the others after a
// moment (here 20 ms) unless its proof came to the same worker first.
import test from 'ava';
import pino from 'pino';
import { createSharedScanGuard } from '../../server/cluster/shared-scan-guard.ts';
import type { Link, Post } from '../../server/cluster/link.ts';
import type { ScanGuard } from '../../server/provisioning/phones/scan-guard.ts';

const IP = '198.51.100.20';
const THRESHOLD = 5;
const TELL_AFTER_MS = 20;
const moment = () => new Promise((resolve) => setTimeout(resolve, TELL_AFTER_MS * 3));

function workers(n: number) {
  let now = Date.parse('2031-01-01T00:00:00.000Z');
  const clock = () => new Date(now);
  const handlers: ((p: Post) => void)[] = [];
  const inFlight: { to: number; post: Post }[] = [];
  let posted = 0;
  const link = (me: number): Link => ({
    post(post) {
      posted++;
      for (let other = 0; other < n; other++) if (other !== me) inFlight.push({ to: other, post });
    },
    onPost(handler) {
      handlers[me] = handler;
    },
    call: () => Promise.reject(new Error('not used')),
    handedOver: () => Promise.resolve(),
    serve: () => undefined,
    fail: () => undefined,
  });
  const log = pino({ level: 'silent' });
  const guards: ScanGuard[] = Array.from({ length: n }, (_, i) =>
    createSharedScanGuard({ threshold: THRESHOLD, windowSeconds: 60, cooldownSeconds: 600, graceSeconds: 10 }, clock, log, link(i), TELL_AFTER_MS),
  );
  /** Hands every post on its way to its worker, and any they answer with, until none is left. */
  const deliver = () => {
    while (inFlight.length > 0) {
      const { to, post } = inFlight.shift()!;
      handlers[to]!(post);
    }
  };
  /** Once the workers have told what they hold back, delivers it. */
  const settle = async () => {
    await moment();
    deliver();
  };
  return { guards, deliver, settle, advance: (s: number) => void (now += s * 1000), posts: () => posted };
}

const mac = (i: number) => `805ec00010${i.toString(16).padStart(2, '0')}`;

test('bare request on one worker, credentials on the other: cleared whether the bare request reaches the other worker before or after the proof', async (t) => {
  const { guards: [a, b], deliver, settle, advance } = workers(2);
  for (let i = 0; i < THRESHOLD; i++) {
    a!.unproven(IP, mac(i));
    // Even phones: the fact crosses first; odd ones: the credentials land on b before it does.
    if (i % 2 === 0) await settle();
    b!.proven(IP, mac(i));
    deliver();
    await settle();
  }
  advance(11);
  t.false(a!.cooling(IP), 'the worker that saw the bare requests counts none of them');
  t.false(b!.cooling(IP));
});

test('a proof that clears nothing posts nothing; one that clears a bare request posts once', async (t) => {
  const { guards: [a, b], deliver, settle, posts, advance } = workers(2);
  for (let i = 0; i < 1000; i++) a!.proven(IP, mac(i % 50));
  deliver();
  t.is(posts(), 0);
  // Long enough after those proofs for a bare request to be a new one.
  advance(6);
  b!.unproven(IP, mac(1));
  await settle();
  const afterBare = posts();
  t.is(afterBare, 1);
  b!.proven(IP, mac(1));
  deliver();
  t.is(posts(), afterBare + 1, 'the proof goes to the worker that also holds the bare request');
});

test('a device asking again without credentials while its first bare request waits posts nothing more', async (t) => {
  const { guards: [a], settle, posts } = workers(2);
  for (let i = 0; i < 100; i++) a!.unproven(IP, mac(1));
  await settle();
  t.is(posts(), 1);
  for (let i = 0; i < 100; i++) a!.unproven(IP, mac(1));
  await settle();
  t.is(posts(), 1);
});

test('a bare request answered on the same worker within the moment is never posted, nor its proof', async (t) => {
  const { guards: [a, b], settle, posts, advance } = workers(2);
  for (let i = 0; i < THRESHOLD; i++) {
    a!.unproven(IP, mac(i));
    a!.proven(IP, mac(i));
  }
  await settle();
  t.is(posts(), 0);
  advance(11);
  t.false(a!.cooling(IP));
  t.false(b!.cooling(IP));
});

test('a bare request that reaches a worker long after its proof there still counts once its grace has passed', async (t) => {
  const { guards: [a, b], settle, advance } = workers(2);
  for (let i = 0; i < THRESHOLD; i++) b!.proven(IP, mac(i));
  advance(6);
  for (let i = 0; i < THRESHOLD; i++) a!.unproven(IP, mac(i));
  await settle();
  advance(11);
  t.true(a!.cooling(IP), 'five bare requests nobody answered');
  t.true(b!.cooling(IP), 'replayed on the other worker too');
});
