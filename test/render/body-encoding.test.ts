// The served bytes are kept in a cache for as long as the file is unchanged,
// so each must own its memory: a slice of Node's shared 8 KiB Buffer pool
// would keep the whole pool alive, several times what the cache counts.
import test from 'ava';
import { encodeBody } from '../../server/render/body-encoding.ts';

const cases = [
  { name: 'utf-8', profile: { body: { lineEnding: 'lf', charset: 'utf-8' }, contentType: 'text/plain' }, text: 'account.1.password = Pa&ss\n' },
  { name: 'ascii', profile: { body: { lineEnding: 'crlf', charset: 'ascii-or-utf16le-bom' }, contentType: 'text/plain' }, text: '[Account1]\npassword=x\n' },
  { name: 'utf-16le', profile: { body: { lineEnding: 'crlf', charset: 'ascii-or-utf16le-bom' }, contentType: 'text/plain' }, text: '[Account1]\nlabel=Zoë\n' },
] as const;

for (const c of cases) {
  test(`${c.name}: a small body owns exactly its bytes, not a share of a pool`, (t) => {
    // Allocate from the pool first, so a pooled result would not start at its beginning.
    Buffer.from('x');
    const { bytes } = encodeBody(c.profile, c.text);
    t.is(bytes.byteOffset, 0);
    t.is(bytes.buffer.byteLength, bytes.length);
    t.true(bytes.length < 4096);
  });
}

test('the bytes are the text as encoded', (t) => {
  t.is(encodeBody(cases[0].profile, cases[0].text).bytes.toString('utf8'), cases[0].text);
  t.is(encodeBody(cases[1].profile, cases[1].text).bytes.toString('ascii'), '[Account1]\r\npassword=x\r\n');
  const utf16 = encodeBody(cases[2].profile, cases[2].text).bytes;
  t.deepEqual([...utf16.subarray(0, 2)], [0xff, 0xfe]);
  t.is(utf16.subarray(2).toString('utf16le'), '[Account1]\r\nlabel=Zoë\r\n');
});
