// A secret, once set, appears only in the answer of an audited reveal: not in
// lists, logs, audit details, error messages or the bytes of the database.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { extensionBody, startServer } from './helpers/server.ts';

const SECRET = 'Leak-Check&<tr4ce>"9f3b"';
const CREATED = 'FirstSecret-77c1e0a4';

test('a known secret is found nowhere but in the reveal', async (t) => {
  const s = await startServer();
  t.teardown(s.close);
  const seen: string[] = [];
  const call = async (...args: Parameters<typeof s.api>) => {
    const r = await s.api(...args);
    seen.push(`${args[0]} ${args[1]} -> ${r.status} ${r.text}`);
    return r;
  };
  await call('POST', '/api/extensions', { body: extensionBody('1001', { secret: CREATED, label: 'Front desk' }) });
  await call('POST', '/api/devices', { body: { mac: '805ec0123456', vendor: 'yealink', lines: [{ extension: '1001' }] } });
  await call('PUT', '/api/extensions/1001/secret', { body: { secret: SECRET } });
  // Rejected secrets must not be echoed in the error either.
  await call('PUT', '/api/extensions/1001/secret', { body: { secret: `${SECRET}\n` } });
  await call('PUT', '/api/extensions/1001/secret', { body: { secret: SECRET.repeat(4) } });
  await call('PATCH', '/api/extensions/1001', { body: { secret: SECRET } });
  await call('POST', '/api/extensions', { body: extensionBody('bad number!', { secret: SECRET }) });
  await call('GET', '/api/extensions');
  await call('GET', '/api/extensions/1001');
  await call('GET', '/api/devices');
  await call('GET', '/api/devices/805ec0123456');
  await call('GET', '/api/audit');
  await call('GET', '/api/tokens');

  for (const line of seen) {
    t.false(line.includes(SECRET), line);
    t.false(line.includes(CREATED), line);
  }
  const reveal = await s.api('GET', '/api/extensions/1001/secret');
  t.is(reveal.json.secret, SECRET, 'the reveal still works, so the checks above looked at a real secret');
  t.is(reveal.headers.get('cache-control'), 'no-store');

  const logs = s.logs.join('');
  t.true(s.logs.length >= seen.length, 'one log line per request');
  for (const needle of [SECRET, CREATED, s.adminToken]) t.false(logs.includes(needle));

  await s.close();
  for (const file of fs.readdirSync(s.dataDir).filter((f) => f.startsWith('provisioning.db'))) {
    const bytes = fs.readFileSync(path.join(s.dataDir, file));
    for (const needle of [SECRET, CREATED, s.adminToken]) {
      t.is(bytes.indexOf(Buffer.from(needle, 'utf8')), -1, `${needle.slice(0, 4)}… found in ${file}`);
    }
  }
});
