// The non-INVITE client transaction under virtual time: timer E doubling to
// T2, T2 after a provisional answer, timer F, and nothing resent over TCP.
import test from 'ava';
import { parseResponse, splitStream, topBranch, formatRequest } from '../../server/notify/sip-message.ts';
import { answerChallenge } from '../../server/notify/digest-answer.ts';
import { runTransaction, type Channel } from '../../server/notify/transaction.ts';
import { virtualTimers } from './virtual-timers.ts';

const TIMING = { t1: 500, t2: 4000, timerF: 32_000 };

function channel(reliable: boolean, now: () => number) {
  const sent: number[] = [];
  let hear: ((text: string) => void) | null = null;
  let closed = false;
  const ch: Channel = {
    reliable,
    send: () => void sent.push(now()),
    listen: (onResponse) => {
      hear = (text) => onResponse(parseResponse(text)!);
    },
    close: () => void (closed = true),
  };
  return { ch, sent, answer: (text: string) => hear!(text), closed: () => closed };
}

const response = (status: number) => `SIP/2.0 ${status} Whatever\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx\r\nContent-Length: 0\r\n\r\n`;

test('over UDP without an answer: sent at 0, 0.5, 1.5, 3.5, 7.5 s and then every 4 s until timer F at 32 s', async (t) => {
  const timers = virtualTimers();
  const { ch, sent, closed } = channel(false, timers.now);
  const result = runTransaction(ch, TIMING, timers);
  await timers.runAll();
  t.like(await result, { kind: 'timeout', transmissions: 11 });
  t.deepEqual(sent, [0, 500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500]);
  t.true(closed());
});

test('a provisional answer slows retransmission to T2; the final answer ends the transaction', async (t) => {
  const timers = virtualTimers();
  const { ch, sent, answer } = channel(false, timers.now);
  const result = runTransaction(ch, TIMING, timers);
  await timers.advance(600);
  answer(response(100));
  await timers.advance(6000);
  answer(response(200));
  const r = await result;
  t.is(r.kind, 'response');
  t.is(r.kind === 'response' && r.response.status, 200);
  t.deepEqual(sent, [0, 500, 1500, 5500], 'after the 100 Trying the next copy waits T2');
});

test('over TCP the request is sent once and timer F still ends it', async (t) => {
  const timers = virtualTimers();
  const { ch, sent } = channel(true, timers.now);
  const result = runTransaction(ch, TIMING, timers);
  await timers.runAll();
  t.like(await result, { kind: 'timeout', transmissions: 1 });
  t.deepEqual(sent, [0]);
});

test('responses parse with compact headers, folded lines and several Via values', (t) => {
  const r = parseResponse('SIP/2.0 481 Call Leg/Transaction Does Not Exist\r\nv: SIP/2.0/UDP a;branch=z9hG4bKone, SIP/2.0/UDP b;branch=z9hG4bKtwo\r\ni: abc\r\nWWW-Authenticate: Digest realm="r",\r\n  nonce="n"\r\nl: 0\r\n\r\n')!;
  t.is(r.status, 481);
  t.is(topBranch(r), 'z9hG4bKone');
  t.deepEqual(r.headers.get('via')!.length, 2);
  t.is(r.headers.get('call-id')![0], 'abc');
  t.is(r.headers.get('www-authenticate')![0], 'Digest realm="r", nonce="n"');
  t.is(parseResponse('NOTIFY sip:a@b SIP/2.0\r\n\r\n'), null, 'a request is not a response');
  t.is(parseResponse('garbage'), null);
});

test('a stream splits into whole messages by Content-Length', (t) => {
  const one = 'SIP/2.0 200 OK\r\nContent-Length: 4\r\n\r\nbody';
  const two = 'SIP/2.0 100 Trying\r\nl: 0\r\n\r\n';
  const { messages, rest } = splitStream(`\r\n${one}${two}SIP/2.0 2`);
  t.deepEqual(messages, [one, two]);
  t.is(rest, 'SIP/2.0 2');
});

test('a request has its Content-Length and ends with an empty line', (t) => {
  const text = formatRequest({ method: 'NOTIFY', uri: 'sip:1001@10.0.0.9:5060', headers: [['Event', 'check-sync']] });
  t.is(text, 'NOTIFY sip:1001@10.0.0.9:5060 SIP/2.0\r\nEvent: check-sync\r\nContent-Length: 0\r\n\r\n');
});

test('the Digest answer matches the RFC 2617 example, and SHA-256 is offered too', (t) => {
  const challenge = 'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"';
  const mufasa = { user: 'Mufasa', password: 'Circle Of Life', realms: ['testrealm@host.com'] };
  const answer = answerChallenge(challenge, mufasa, { method: 'GET', uri: '/dir/index.html' }, '0a4f113b')!;
  t.regex(answer, /response="6629fae49393a05397450978507c4ef1"/);
  t.regex(answer, /qop=auth, nc=00000001, cnonce="0a4f113b", opaque="5ccc069c403ebaf9f0171e9517f40e41"/);
  const u = { user: 'u', password: 'p', realms: ['r'] };
  const sha = answerChallenge('Digest realm="r", nonce="n", qop="auth", algorithm=SHA-256', u, { method: 'NOTIFY', uri: 'sip:u@h' })!;
  t.regex(sha, /algorithm=SHA-256/);
  t.regex(sha, /response="[0-9a-f]{64}"/);
  t.is(answerChallenge('Digest realm="r", nonce="n", qop="auth", algorithm=MD5-funny', u, { method: 'NOTIFY', uri: 'x' }), null);
  t.is(answerChallenge('Basic realm="r"', u, { method: 'NOTIFY', uri: 'x' }), null);
});

test('a challenge is answered only for a realm of the line, and only with qop=auth', (t) => {
  const creds = { user: '1001', password: 'Line-Secret-1', realms: ['pbx.example.com', 'example.com'] };
  const notify = { method: 'NOTIFY', uri: 'sip:1001@10.0.0.9' };
  t.truthy(answerChallenge('Digest realm="PBX.example.com", nonce="n", qop="auth"', creds, notify), 'realms compare without case');
  t.truthy(answerChallenge('Digest realm="example.com", nonce="n", qop="auth,auth-int"', creds, notify));
  t.is(answerChallenge('Digest realm="attacker", nonce="n", qop="auth"', creds, notify), null, 'a foreign realm');
  t.is(answerChallenge('Digest realm="pbx.example.com", nonce="chosen"', creds, notify), null, 'RFC 2069: no qop');
  t.is(answerChallenge('Digest realm="pbx.example.com", nonce="n", qop="auth-int"', creds, notify), null, 'auth-int only');
});
