// Names as phones ask for them, matched back to the file the server keeps:
// a profile's aliases (Grandstream's bare cfg<mac>, Cisco's CP-<model>-3PCC.xml)
// and the letter case of the MAC (Snom's {mac} is upper case) lead to the one
// stored name, with the MAC in lower case; a vendor that writes lower case
// only is not matched by an upper-case name.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { loadProfiles } from '../../server/render/profiles.ts';
import { tempDir } from '../helpers/server.ts';
import { ROOT, catalog } from './fixtures.ts';

const { matchFile } = catalog();
const summary = (name: string) => matchFile(name).map((m) => `${m.profile.id}:${m.kind}:${m.stored}:${m.mac}:${m.code}`);

test('Snom asks with the MAC in either case: both name the one stored file; Cisco, whose name it shares, only in lower case', (t) => {
  t.deepEqual(summary('000413922D24.xml'), ['snom:render:000413922d24.xml:000413922d24:null']);
  t.deepEqual(summary('000413922d24.xml').sort(), ['cisco:render:000413922d24.xml:000413922d24:null', 'snom:render:000413922d24.xml:000413922d24:null']);
  t.deepEqual(summary('000413922D24.XML'), [], 'the rest of the name is as the profile writes it');
});

test('a vendor that writes the MAC in lower case is not matched by an upper-case name', (t) => {
  t.deepEqual(summary('805EC0123456.cfg'), []);
  t.deepEqual(summary('805ec0123456.cfg').map((s) => s.split(':')[0]).sort(), ['fanvil', 'polycom', 'yealink']);
});

test('aliases: Grandstream\'s bare cfg<mac> and Cisco\'s CP-<model>-3PCC.xml are the stored files', (t) => {
  t.deepEqual(summary('cfgc074ad1a2b3c'), ['grandstream:render:cfgc074ad1a2b3c.xml:c074ad1a2b3c:null']);
  t.deepEqual(summary('cfgc074ad1a2b3c.xml'), ['grandstream:render:cfgc074ad1a2b3c.xml:c074ad1a2b3c:null']);
  t.deepEqual(summary('8841-3PCC.xml'), ['cisco:render:8841-3PCC.xml:null:8841']);
  t.deepEqual(summary('CP-8841-3PCC.xml'), ['cisco:render:8841-3PCC.xml:null:8841']);
  t.deepEqual(summary('CP-9999-3PCC.xml'), [], 'a model the profile does not know');
});

function profilesWith(edit: (profile: Record<string, any>) => void) {
  const dir = tempDir('prov-profiles-');
  const raw = JSON.parse(fs.readFileSync(path.join(ROOT, 'vendor-profiles/grandstream.json'), 'utf8'));
  edit(raw);
  fs.writeFileSync(path.join(dir, 'grandstream.json'), JSON.stringify(raw));
  return () => loadProfiles(dir);
}

test('a profile is refused at load when an alias names other placeholders, or a text rule is no regular expression', (t) => {
  t.throws(profilesWith((p) => (p.files[0].aliases = ['cfg.xml'])), { message: /alias cfg\.xml must name the same placeholders as cfg\{mac\}\.xml/ });
  t.throws(profilesWith((p) => (p.textRules = [{ fields: ['label'], refuse: '(', reason: 'x' }])), { message: /grandstream\.json/ });
  t.throws(profilesWith((p) => (p.textRules = [{ fields: ['nickname'], reason: 'x' }])), { message: /grandstream\.json/ });
  t.throws(profilesWith((p) => (p.macInFileNames = 'upper')), { message: /grandstream\.json/ });
  t.notThrows(profilesWith((p) => (p.textRules = [{ fields: ['label', 'displayName'], maxLength: 12, reason: 'a short screen' }])));
});
