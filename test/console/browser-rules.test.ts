// The console checks secrets and MACs in the browser as the admin types;
// those modules must agree with the server's domain rules on every input.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import fc from 'fast-check';
import { tryParseMac } from '../../server/domain/mac.ts';
import { secretProblem } from '../../server/domain/secret.ts';

const assets = path.resolve(import.meta.dirname, '../../server/console/assets');
const load = (file: string) => import(pathToFileURL(path.join(assets, file)).href);

const secretish = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: fc.constantFrom(' ', 'a', '~', '\t', '\u007f', 'é'), maxLength: 70 }),
);

test('the browser secret rules accept and refuse exactly what the API does', async (t) => {
  const browser = await load('secret-rules.js');
  fc.assert(fc.property(secretish, (text) => browser.secretProblem(text) === secretProblem(text)), { numRuns: 2000 });
  t.is(browser.secretProblem('short'), secretProblem('short'));
  t.not(browser.secretProblem('short'), null);
  t.is(browser.secretProblem('Long-Enough-1'), null);
});

const hex = fc.stringMatching(/^[0-9a-fA-F]{12}$/);
const notations = hex.chain((h) =>
  fc.constantFrom(
    h,
    h.match(/../g)!.join(':'),
    h.match(/../g)!.join('-'),
    h.match(/..../g)!.join('.'),
    h.match(/../g)!.join(':').replace(':', '-'),
    `${h}0`,
    h.slice(1),
  ),
);

test('the browser MAC parser reads every notation the API reads, to the same 12 digits', async (t) => {
  const mac = await load('mac.js');
  fc.assert(fc.property(fc.oneof(notations, fc.string({ maxLength: 20 }), notations.map((m) => ` ${m}`)), (text) => mac.normalizeMac(text) === tryParseMac(text)), {
    numRuns: 2000,
  });
  t.is(mac.normalizeMac('80:5E:C0:A1:B2:C3'), '805ec0a1b2c3');
  t.is(mac.macQuery('805E.C0A1'), '805ec0a1');
  t.is(mac.formatMac('805ec0a1b2c3'), '80:5e:c0:a1:b2:c3');
});
