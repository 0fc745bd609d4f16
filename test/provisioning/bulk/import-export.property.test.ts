// Import ∘ export is the identity on what the API shows, for generated
// fleets written as a spreadsheet would write them: comma or semicolon,
// with or without a byte order mark, cells quoted or not, names in any
// script, with quotes, separators and formula characters. Two real servers:
// the file goes into the first, the first's export into the second, and
// each shows the same fleet; the first's export read back into itself
// changes nothing.
import test from 'ava';
import fc from 'fast-check';
import { safeCell } from '../../../server/provisioning/bulk/csv-cells.ts';
import { acceptedAuthName, acceptedText } from '../../render/arbitraries.ts';
import { startServer, type TestServer } from '../../helpers/server.ts';

interface Ext { number: string; name: string; authUsername: string; label: string | null }
interface Dev { mac: string; vendor: 'yealink' | 'polycom'; label: string | null; lines: string[] }

const name = acceptedText.filter((v) => !/^%null%$/i.test(v));

const fleet = fc
  .uniqueArray(fc.stringMatching(/^[0-9A-Za-z][0-9A-Za-z._-]{0,7}$/), { minLength: 1, maxLength: 6, selector: (n) => n.toLowerCase() })
  .chain((numbers) =>
    fc.record({
      extensions: fc.tuple(...numbers.map((number) => fc.record({ number: fc.constant(number), name, authUsername: acceptedAuthName, label: fc.option(name, { nil: null }) }))),
      devices: fc.uniqueArray(
        fc.record({
          mac: fc.stringMatching(/^[0-9a-f]{12}$/).filter((m) => m !== 'ffffffffffff' && m !== '000000000000'),
          vendor: fc.constantFrom('yealink' as const, 'polycom' as const),
          label: fc.option(name, { nil: null }),
          lines: fc.uniqueArray(fc.constantFrom(...numbers), { minLength: 1, maxLength: 2 }),
        }),
        { maxLength: 4, selector: (d) => d.mac },
      ),
      separator: fc.constantFrom(',', ';'),
      bom: fc.boolean(),
      quoteAll: fc.boolean(),
      crlf: fc.boolean(),
    }),
  );

/** A cell as a spreadsheet writes it: quoted when it must be (or always), quotes doubled. */
function cell(value: string, separator: string, quoteAll: boolean): string {
  const text = safeCell(value);
  return quoteAll || /["\r\n]/.test(text) || text.includes(separator) ? `"${text.replaceAll('"', '""')}"` : text;
}

function spreadsheet(f: { extensions: Ext[]; devices: Dev[]; separator: string; bom: boolean; quoteAll: boolean; crlf: boolean }): string {
  const header = ['extension', 'name', 'authUsername', 'extensionLabel', 'mac', 'vendor', 'line', 'label'];
  const rows: string[][] = [];
  const used = new Set<string>();
  for (const d of f.devices) {
    d.lines.forEach((number, i) => {
      const e = f.extensions.find((x) => x.number === number)!;
      used.add(number);
      rows.push([e.number, e.name, e.authUsername, e.label ?? '', d.mac, d.vendor, String(i + 1), d.label ?? '']);
    });
  }
  for (const e of f.extensions) if (!used.has(e.number)) rows.push([e.number, e.name, e.authUsername, e.label ?? '', '', '', '', '']);
  const eol = f.crlf ? '\r\n' : '\n';
  return (f.bom ? '\ufeff' : '') + [header, ...rows].map((r) => r.map((c) => cell(c, f.separator, f.quoteAll)).join(f.separator)).join(eol) + eol;
}

/** What the API shows of the fleet, without what only says when or how often it was written. */
async function shown(s: TestServer) {
  const drop = ({ createdAt: _c, updatedAt: _u, configVersion: _v, claimUntil: _l, ...rest }: Record<string, unknown>) => rest;
  return [
    (await s.api('GET', '/api/extensions?limit=1000')).json.map(drop),
    (await s.api('GET', '/api/devices?limit=1000')).json.map(drop),
  ];
}

const post = (s: TestServer, body: string) => s.api('POST', '/api/import', { raw: body, headers: { 'content-type': 'text/csv' } });

test('import ∘ export is the identity on what the API shows', async (t) => {
  const a = await startServer();
  const b = await startServer();
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  for (const s of [a, b]) await s.api('PATCH', '/api/sites/default', { body: { server: { host: 'pbx.example.com' } } });
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fleet, async (f) => {
      // Each run's numbers and MACs are its own: both servers keep what earlier runs imported.
      run++;
      const mine = {
        ...f,
        extensions: f.extensions.map((e) => ({ ...e, number: `${run}x${e.number}` })),
        devices: f.devices.map((d) => ({ ...d, mac: `${run.toString(16).padStart(2, '0')}${d.mac.slice(2)}`, lines: d.lines.map((n) => `${run}x${n}`) })),
      };
      const first = await post(a, spreadsheet(mine));
      t.is(first.status, 200, first.text);
      const exported = (await a.api('GET', '/api/export.csv?secrets=true')).text;
      const intoItself = await post(a, exported);
      t.is(intoItself.status, 200, intoItself.text);
      t.deepEqual([intoItself.json.extensions.created + intoItself.json.extensions.updated, intoItself.json.devices.created + intoItself.json.devices.updated], [0, 0], 'read back into itself, nothing changes');
      const intoOther = await post(b, exported);
      t.is(intoOther.status, 200, intoOther.text);
      t.deepEqual(await shown(b), await shown(a));
      const secret = async (s: TestServer, n: string) => (await s.api('GET', `/api/extensions/${encodeURIComponent(n)}/secret`)).json.secret;
      for (const e of mine.extensions) t.is(await secret(b, e.number), await secret(a, e.number), 'the secrets travel with ?secrets=true');
    }),
    { numRuns: 25 },
  );
});
