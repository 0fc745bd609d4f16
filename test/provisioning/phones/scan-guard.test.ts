// The scan guard on its own, with an injected clock: what counts once, what
// waits for its grace, what clears it, and that a flood of addresses cannot
// make it keep more than its bounds.
import test from 'ava';
import pino from 'pino';
import { createScanGuard, type ScanGuardSettings } from '../../../server/provisioning/phones/scan-guard.ts';

function guard(over: Partial<ScanGuardSettings> = {}) {
  let now = Date.parse('2031-01-01T00:00:00.000Z');
  const lines: { msg: string; ip?: string }[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  const g = createScanGuard({ threshold: 5, windowSeconds: 60, cooldownSeconds: 600, ...over }, () => new Date(now), log);
  return { g, lines, advance: (s: number) => void (now += s * 1000) };
}

test('a strike about a subject counts once within the window; one without a subject every time', (t) => {
  const { g } = guard();
  for (let i = 0; i < 50; i++) g.strike('198.51.100.1', 'unknown-mac', '805ec0000001');
  t.false(g.cooling('198.51.100.1'));
  for (let i = 0; i < 4; i++) g.strike('198.51.100.1', 'unknown-mac', `805ec000001${i}`);
  t.true(g.cooling('198.51.100.1'), 'five distinct MACs');
  for (let i = 0; i < 5; i++) g.strike('198.51.100.2', 'bad-credentials');
  t.true(g.cooling('198.51.100.2'), 'five wrong passwords');
});

test('a bare request counts only once its grace has passed without the device proving itself from that address', (t) => {
  const { g, advance } = guard({ graceSeconds: 30 });
  for (let i = 0; i < 5; i++) g.unproven('198.51.100.3', `805ec00000a${i}`);
  t.false(g.cooling('198.51.100.3'), 'within the grace');
  g.proven('198.51.100.3', '805ec00000a0');
  g.proven('198.51.100.4', '805ec00000a1');
  advance(30);
  t.false(g.cooling('198.51.100.3'), 'four left: one proved itself; a proof from another address clears nothing');
  g.unproven('198.51.100.3', '805ec00000a9');
  advance(30);
  t.true(g.cooling('198.51.100.3'), 'five that never proved themselves');
});

test('proof after the grace takes back what the bare request cost', (t) => {
  const { g, advance } = guard({ graceSeconds: 10 });
  for (let i = 0; i < 4; i++) g.unproven('198.51.100.5', `805ec00000b${i}`);
  advance(11);
  t.false(g.cooling('198.51.100.5'));
  for (let i = 0; i < 4; i++) g.proven('198.51.100.5', `805ec00000b${i}`);
  g.strike('198.51.100.5', 'unknown-mac', '805ec0ffffff');
  g.strike('198.51.100.5', 'unknown-mac', '805ec0fffffe');
  t.false(g.cooling('198.51.100.5'), 'two strikes, not six');
});

test('a flood of addresses cannot make it keep more than its bounds: the least recently struck are forgotten', (t) => {
  const { g } = guard({ maxTracked: 1_000 });
  for (let i = 0; i < 4; i++) g.strike('198.51.100.6', 'unknown-mac', `805ec00000c${i}`);
  for (let i = 0; i < 20_000; i++) g.strike(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 'unknown-mac', 'x');
  g.strike('198.51.100.6', 'unknown-mac', '805ec00000c9');
  t.false(g.cooling('198.51.100.6'), 'its four strikes went with the flood');
});

test('replayed facts count like local ones but log no block of their own', (t) => {
  const { g, lines } = guard();
  for (let i = 0; i < 5; i++) g.replay({ kind: 'strike', ip: '198.51.100.7', reason: 'unknown-mac', subject: `m${i}` });
  t.true(g.cooling('198.51.100.7'));
  t.deepEqual(lines.filter((l) => l.msg === 'client blocked'), []);
});
