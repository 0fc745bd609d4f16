// The IPC link's ordering promises, over a real message channel: a reply
// never overtakes the posts its end queued before it, and handedOver()
// resolves only once everything the other end had queued has arrived.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import test from 'ava';
import { createLink, type Link, type Post } from '../../server/cluster/link.ts';

function end(port: MessagePort) {
  return createLink({
    send: (message, callback) => {
      port.postMessage(message);
      callback(null);
    },
    on: (_event, listener) => port.on('message', listener),
  });
}

function pair(t: { teardown: (fn: () => void) => void }): [Link, Link] {
  const { port1, port2 } = new MessageChannel();
  t.teardown(() => {
    port1.close();
    port2.close();
  });
  return [end(port1), end(port2)];
}

const fetchPost = (mac: string): Post => ({ k: 'fetch', mac, fetch: { version: 1 } });

test('handedOver resolves after every post the other end queued before it got the question', async (t) => {
  const [primary, worker] = pair(t);
  const arrived: string[] = [];
  primary.onPost((p) => p.k === 'fetch' && arrived.push(p.mac));
  // The worker queues records as it answers phones, when the question arrives: in the same turn.
  worker.onPost((p) => {
    if (p.k !== 'guard') return;
    for (const mac of ['000000000001', '000000000002', '000000000003']) worker.post(fetchPost(mac));
  });
  primary.post({ k: 'guard', fact: { kind: 'strike', ip: '192.0.2.1', reason: 'unknown-mac' } }, true);
  await primary.handedOver();
  t.deepEqual(arrived, ['000000000001', '000000000002', '000000000003']);
});

test('a reply follows the posts its end queued before answering', async (t) => {
  const [a, b] = pair(t);
  const seen: string[] = [];
  a.onPost((p) => p.k === 'fetch' && seen.push(`post ${p.mac}`));
  b.serve('answer', () => {
    b.post(fetchPost('000000000009'));
    return 'done';
  });
  const answer = await a.call<string>('answer');
  seen.push(`reply ${answer}`);
  t.deepEqual(seen, ['post 000000000009', 'reply done']);
});

test('handedOver is refused once the other end is gone, never left waiting', async (t) => {
  const [a] = pair(t);
  const waiting = a.handedOver();
  a.fail('worker exited');
  await t.throwsAsync(waiting, { message: 'worker exited' });
});
