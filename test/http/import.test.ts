// Import and export over real HTTP: a dry run names every bad row and
// column and writes nothing; one bad row refuses the whole file; a good file
// creates everything in one change, and a phone claiming its config gets the
// file's secret; the same file again changes nothing; an export reads back
// unchanged, formula-looking cells included.
import test, { type ExecutionContext } from 'ava';
import { startServer, type ApiResponse, type TestServer } from '../helpers/server.ts';

/** A server whose default site names a registrar, so a row without one takes it. */
async function server(t: ExecutionContext): Promise<TestServer> {
  const s = await startServer();
  t.teardown(s.close);
  await s.api('PATCH', '/api/sites/default', { body: { server: { host: 'pbx.example.com' } } });
  return s;
}

const csv = (lines: string[]) => lines.join('\r\n') + '\r\n';
const importCsv = (s: TestServer, body: string, query = '', contentType = 'text/csv') =>
  s.api('POST', `/api/import${query}`, { raw: body, headers: { 'content-type': contentType } });

/** Everything the API shows of the fleet, to prove a refused import changed nothing. */
async function fleet(s: TestServer) {
  const [extensions, devices, audit] = await Promise.all(['/api/extensions?limit=1000', '/api/devices?limit=1000', '/api/audit?limit=1000'].map((p) => s.api('GET', p)));
  return [extensions!.json, devices!.json, audit!.json];
}

const GOOD = csv([
  'Extension;Name;Secret;Server;Transport;MAC;Vendor;Model;Line;Label',
  '2001;Alice Smith;Alice-Secret-2001;pbx.example.com;udp;80:5E:C0:00:20:01;yealink;T46S;1;Front desk',
  '2002;Bob;;pbx.example.com:5070;tcp;805ec0002002;Yealink;t46s;1;',
  '2003;Carol;;pbx.example.com;;805ec0002002;yealink;;2;',
  '2004;Dave;;pbx.example.com;;;;;;',
]);

test('a dry run names every bad row and column and writes nothing', async (t) => {
  const s = await server(t);
  await s.api('POST', '/api/extensions', { body: { number: '1999', server: { host: 'pbx.example.com' } } });
  const before = await fleet(s);
  const file = csv([
    'extension,mac,vendor,model,line,secret,site',
    '3001,not-a-mac,yealink,,,,',
    '3002,805ec0003002,acme,,,,',
    '3003,805ec0003003,yealink,,,,',
    '3004,805ec0003003,yealink,,,,',
    '3005,805ec0003005,yealink,T19P_E2,2,,',
    '3006,,,,,short,',
    '3007,,,,,,mars',
  ]);
  const r = await importCsv(s, file, '?dryRun=true');
  t.is(r.status, 200, r.text);
  t.is(r.json.dryRun, true);
  const got = r.json.errors.map((e: { row: number; column: string; code: string }) => [e.row, e.column, e.code]);
  t.deepEqual(got, [
    [2, 'mac', 'invalid-mac'],
    [3, 'vendor', 'unknown-vendor'],
    [4, 'line', 'duplicate-mac'],
    [5, 'line', 'duplicate-mac'],
    [6, 'line', 'invalid-line'],
    [7, 'secret', 'invalid-secret'],
    [8, 'site', 'unknown-site'],
  ]);
  for (const e of r.json.errors) t.false(e.message.includes('short'), 'a refused secret is never repeated');
  t.deepEqual(await fleet(s), before, 'a dry run writes nothing');
});

test('a real run with one bad row is 422 with the same errors and writes nothing', async (t) => {
  const s = await server(t);
  const before = await fleet(s);
  const file = GOOD + '2005,Eve,,pbx.example.com,,805ec00020zz,yealink,,,\r\n';
  const dry = await importCsv(s, file.replaceAll(';', ','), '?dryRun=true');
  const r = await importCsv(s, file.replaceAll(';', ','));
  t.is(r.status, 422, r.text);
  t.is(r.json.error.code, 'invalid-import');
  t.deepEqual(r.json.errors, dry.json.errors);
  t.deepEqual(r.json.errors.map((e: { row: number }) => e.row), [6]);
  t.deepEqual(await fleet(s), before);
});

test('a good file creates everything in one change, a claimed phone gets its secret, and the same file again changes nothing', async (t) => {
  const s = await server(t);
  const dry = await importCsv(s, '\ufeff' + GOOD, '?dryRun=true');
  t.like(dry.json, { dryRun: true, extensions: { created: 4, updated: 0, unchanged: 0 }, devices: { created: 2, updated: 0, unchanged: 0 }, errors: [] });
  t.is((await s.api('GET', '/api/extensions')).json.length, 0);
  const r = await importCsv(s, '\ufeff' + GOOD);
  t.is(r.status, 200, r.text);
  t.like(r.json, { dryRun: false, applied: true, extensions: { created: 4 }, devices: { created: 2 } });
  t.like((await s.api('GET', '/api/extensions/2002')).json, { displayName: 'Bob', server: { host: 'pbx.example.com', port: 5070, transport: 'tcp' } });
  const two = (await s.api('GET', '/api/devices/805ec0002002')).json;
  t.deepEqual(two.lines.map((l: { line: number; extension: string }) => [l.line, l.extension]), [[1, '2002'], [2, '2003']]);
  t.like((await s.api('GET', '/api/devices/805ec0002001')).json, { model: 'T46S', label: 'Front desk' });
  const audit = (await s.api('GET', '/api/audit?action=import.applied')).json;
  t.is(audit.length, 1);
  t.false(JSON.stringify(await s.api('GET', '/api/audit?limit=1000')).includes('Alice-Secret-2001'));
  // A phone from its box, through the claim window: the file's secret on line 1.
  const claimed = await fetch(`${s.url}/prov/805ec0002001.cfg`, { headers: { 'user-agent': 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:00:20:01' } });
  t.is(claimed.status, 200);
  t.regex(await claimed.text(), /account\.1\.password = Alice-Secret-2001\r?\n/);

  const versions = async () => (await s.api('GET', '/api/devices')).json.map((d: { mac: string; configVersion: number }) => [d.mac, d.configVersion]);
  const was = await versions();
  const again = await importCsv(s, GOOD);
  t.like(again.json, { applied: true, extensions: { created: 0, updated: 0, unchanged: 4 }, devices: { created: 0, updated: 0, unchanged: 2 } });
  t.deepEqual(await versions(), was, 'nothing re-rendered, so nothing is notified');
});

test('an export reads back unchanged, formula-looking cells included; secrets only for an admin, audited', async (t) => {
  const s = await server(t);
  await s.api('POST', '/api/sites', { body: { name: 'berlin', timeZone: 'Europe/Berlin', server: { host: 'pbx-de.example.com' } } });
  const file = csv([
    'extension,name,authUsername,server,mac,vendor,line,label,extensionLabel,outboundProxy,srtp,site',
    '=1+1,=HYPERLINK("http://evil"),+dial,pbx.example.com,805ec0004001,yealink,1,@SUM(A1),-minus,proxy.example.com:5099,optional,',
    "4002,'=quoted,4002,,,,,,,,,berlin",
  ]);
  t.is((await importCsv(s, file)).status, 422, '=1+1 is not an extension number');
  const fixed = file.replace('=1+1', '-4001');
  const r = await importCsv(s, fixed);
  t.is(r.status, 200, r.text);
  const show = async () => [
    (await s.api('GET', '/api/extensions?limit=1000')).json,
    (await s.api('GET', '/api/devices?limit=1000')).json.map(({ updatedAt: _u, ...d }: { updatedAt: string }) => d),
  ];
  const shown = await show();
  t.like((await s.api('GET', '/api/extensions/-4001')).json, { displayName: '=HYPERLINK("http://evil")', authUsername: '+dial', label: '-minus' });
  // A leading apostrophe is how a spreadsheet keeps =… as text: the text is what follows it.
  t.like((await s.api('GET', '/api/extensions/4002')).json, { displayName: '=quoted', site: 'berlin', serverFromSite: true });

  const out = await s.api('GET', '/api/export.csv');
  t.is(out.status, 200);
  t.regex(out.headers.get('content-type') ?? '', /^text\/csv/);
  t.regex(out.headers.get('content-disposition') ?? '', /attachment/);
  // No cell starts with a formula character: a spreadsheet shows each as text.
  for (const line of out.text.replace(/^\ufeff/, '').split('\r\n').filter(Boolean)) {
    for (const cell of line.split(',')) t.notRegex(cell.replace(/^"/, ''), /^[=+\-@]/, line);
  }
  t.false(/secret/i.test(out.text.split('\r\n')[1] ?? ''), 'no secret without asking');
  const again = await importCsv(s, out.text);
  t.like(again.json, { applied: true, extensions: { created: 0, updated: 0, unchanged: 2 }, devices: { unchanged: 1 } });
  t.deepEqual(await show(), shown, 'read back, nothing changed');

  const viewer = (await s.api('POST', '/api/tokens', { body: { name: 'v', role: 'viewer' } })).json.token as string;
  t.is((await s.api('GET', '/api/export.csv', { token: viewer })).status, 200);
  t.is((await s.api('GET', '/api/export.csv?secrets=true', { token: viewer })).status, 403);
  const secret = (await s.api('GET', '/api/extensions/4002/secret')).json.secret as string;
  const withSecrets = await s.api('GET', '/api/export.csv?secrets=true');
  t.true(withSecrets.text.includes(secret));
  t.is((await s.api('GET', '/api/audit?action=export.secrets')).json.length, 1);
});

test('what a client sends wrong is a clear 4xx: type, encoding, size, rows, header', async (t) => {
  const s = await server(t);
  const expect = (r: ApiResponse, status: number, code: string) => {
    t.is(r.status, status, r.text);
    t.is(r.json.error.code, code);
  };
  expect(await importCsv(s, GOOD, '', 'application/json'), 415, 'unsupported-media-type');
  expect(await s.api('POST', '/api/import', { raw: Buffer.from('extension,name\r\n2001,Jos\xe9\r\n', 'latin1') as unknown as string, headers: { 'content-type': 'text/csv' } }), 400, 'invalid-encoding');
  expect(await importCsv(s, 'extension\r\n' + '1\r\n'.repeat(20_001)), 413, 'too-many-rows');
  expect(await importCsv(s, 'extension,name\r\n' + `2001,${'x'.repeat(64)}\r\n`.repeat(160_000)), 413, 'payload-too-large');
  expect(await importCsv(s, 'extension,"unterminated\r\n1,2\r\n'), 422, 'malformed-csv');
  const unknown = await importCsv(s, 'extension,colour\r\n2001,red\r\n', '?dryRun=true');
  t.deepEqual(unknown.json.errors.map((e: { row: number; column: string; code: string }) => [e.row, e.column, e.code]), [[1, 'colour', 'unknown-column']]);
  const noExt = await importCsv(s, 'name\r\nAlice\r\n', '?dryRun=true');
  t.is(noExt.json.errors[0].code, 'missing-column');
});
