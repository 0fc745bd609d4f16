// Sites over real HTTP: the default site always there, time zones checked,
// an extension taking and following its site's registrar, a move between
// sites re-rendering the devices, and a site in use never deleted — not even
// by a deletion racing a write that puts something in it.
import test, { type ExecutionContext } from 'ava';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';

async function server(t: ExecutionContext): Promise<TestServer> {
  const s = await startServer();
  t.teardown(s.close);
  return s;
}

const berlin = { name: 'berlin', timeZone: 'Europe/Berlin', ntpServer: 'ntp.example.de', language: 'de', server: { host: 'pbx-de.example.com' } };

/** The device's file that carries its lines, as the admin preview shows it. */
async function file(s: TestServer, mac: string, name: string): Promise<string> {
  const r = await s.api('GET', `/api/devices/${mac}/files/${name}`);
  return r.text;
}

test('the default site is listed before anyone sets it, and cannot be deleted', async (t) => {
  const s = await server(t);
  const list = await s.api('GET', '/api/sites');
  t.is(list.status, 200);
  t.like(list.json[0], { name: 'default', timeZone: 'UTC', ntpServer: null, language: null, server: null, polling: null });
  const del = await s.api('DELETE', '/api/sites/default');
  t.is(del.status, 409);
  t.is(del.json.error.code, 'site-is-default');
  const patched = await s.api('PATCH', '/api/sites/default', { body: { timeZone: 'America/New_York' } });
  t.is(patched.status, 200);
  t.is((await s.api('GET', '/api/sites/default')).json.timeZone, 'America/New_York');
});

test('a site is created, read, changed and deleted, each audited; bad input changes nothing', async (t) => {
  const s = await server(t);
  t.is((await s.api('POST', '/api/sites', { body: berlin })).status, 201);
  t.like((await s.api('GET', '/api/sites/berlin')).json, { ...berlin, server: { host: 'pbx-de.example.com', port: 5060, transport: 'udp' }, extensions: 0, devices: 0, placedDevices: 0 });
  const dup = await s.api('POST', '/api/sites', { body: berlin });
  t.is(dup.status, 409);
  t.is(dup.json.error.code, 'site-exists');
  for (const [body, code] of [
    [{ name: 'x', timeZone: 'Mars/Olympus' }, 'invalid-time-zone'],
    [{ name: 'x', timeZone: 'Europe/Berlin', language: 'xx' }, 'invalid-input'],
    [{ name: 'Bad Name', timeZone: 'UTC' }, 'invalid-input'],
    [{ name: 'x', timeZone: 'UTC', polling: 1 }, 'invalid-input'],
    [{ name: 'x', timeZone: 'UTC', ntpServer: 'not a host' }, 'invalid-host'],
  ] as const) {
    const r = await s.api('POST', '/api/sites', { body });
    t.is(r.status, 422, JSON.stringify(body));
    t.is(r.json.error.code, code);
  }
  t.deepEqual((await s.api('GET', '/api/sites')).json.map((x: { name: string }) => x.name), ['berlin', 'default']);
  t.is((await s.api('PATCH', '/api/sites/berlin', { body: { polling: 60 } })).json.polling, 60);
  t.is((await s.api('PATCH', '/api/sites/nowhere', { body: { polling: 60 } })).status, 404);
  t.is((await s.api('DELETE', '/api/sites/berlin')).status, 204);
  t.is((await s.api('GET', '/api/sites/berlin')).status, 404);
  const actions = (await s.api('GET', '/api/audit?action=site.created')).json.length + (await s.api('GET', '/api/audit?action=site.updated')).json.length + (await s.api('GET', '/api/audit?action=site.deleted')).json.length;
  t.is(actions, 3);
});

test("an extension without a server takes its site's registrar and follows it; its devices re-render", async (t) => {
  const s = await server(t);
  await s.api('POST', '/api/sites', { body: berlin });
  const noServer = await s.api('POST', '/api/extensions', { body: { number: '2001' } });
  t.is(noServer.status, 422, 'the default site has no registrar to take');
  const created = await s.api('POST', '/api/extensions', { body: { number: '2001', site: 'berlin' } });
  t.is(created.status, 201, created.text);
  t.like(created.json, { site: 'berlin', serverFromSite: true, server: { host: 'pbx-de.example.com', port: 5060, transport: 'udp' } });
  await s.api('POST', '/api/devices', { body: { mac: '805ec0aa0001', vendor: 'yealink', lines: [{ extension: '2001' }] } });
  const before = (await s.api('GET', '/api/devices/805ec0aa0001')).json.configVersion;
  t.is((await s.api('PATCH', '/api/sites/berlin', { body: { server: { host: 'pbx-de2.example.com', transport: 'tcp' } } })).status, 200);
  t.like((await s.api('GET', '/api/extensions/2001')).json, { server: { host: 'pbx-de2.example.com', port: 5060, transport: 'tcp' }, serverFromSite: true });
  t.true((await s.api('GET', '/api/devices/805ec0aa0001')).json.configVersion > before, 'the device was re-rendered in the same change');
  t.regex(await file(s, '805ec0aa0001', '805ec0aa0001.cfg'), /sip_server\.1\.address = pbx-de2\.example\.com/);
  // Its own registrar stops the following; null takes the site's again.
  await s.api('PATCH', '/api/extensions/2001', { body: { server: { host: 'own.example.com' } } });
  await s.api('PATCH', '/api/sites/berlin', { body: { server: { host: 'pbx-de3.example.com' } } });
  t.like((await s.api('GET', '/api/extensions/2001')).json, { server: { host: 'own.example.com' }, serverFromSite: false });
  t.like((await s.api('PATCH', '/api/extensions/2001', { body: { server: null } })).json, { server: { host: 'pbx-de3.example.com' }, serverFromSite: true });
});

test('moving an extension to another site re-renders the devices that follow it; a site in use is not deleted', async (t) => {
  const s = await server(t);
  await s.api('POST', '/api/sites', { body: berlin });
  await s.api('POST', '/api/sites', { body: { name: 'nyc', timeZone: 'America/New_York', server: { host: 'pbx-us.example.com' } } });
  await s.api('POST', '/api/extensions', { body: { number: '2001', site: 'berlin' } });
  await s.api('POST', '/api/devices', { body: { mac: '805ec0aa0002', vendor: 'yealink', lines: [{ extension: '2001' }] } });
  const before = (await s.api('GET', '/api/devices/805ec0aa0002')).json.configVersion;
  // The phone follows its extension: it stands in Berlin, though nobody placed it there.
  t.like((await s.api('GET', '/api/sites/berlin')).json, { extensions: 1, devices: 1, placedDevices: 0 });
  t.like((await s.api('GET', '/api/sites/nyc')).json, { extensions: 0, devices: 0, placedDevices: 0 });
  const inUse = await s.api('DELETE', '/api/sites/berlin');
  t.is(inUse.status, 409);
  t.is(inUse.json.error.code, 'site-in-use');
  t.regex(inUse.json.error.message, /extension 2001/);
  const moved = await s.api('PATCH', '/api/extensions/2001', { body: { site: 'nyc' } });
  t.like(moved.json, { site: 'nyc', server: { host: 'pbx-us.example.com' } });
  t.true((await s.api('GET', '/api/devices/805ec0aa0002')).json.configVersion > before);
  t.like((await s.api('GET', '/api/sites/nyc')).json, { extensions: 1, devices: 1, placedDevices: 0 }, 'the phone went with its extension');
  t.like((await s.api('GET', '/api/sites/berlin')).json, { extensions: 0, devices: 0 });
  t.is((await s.api('DELETE', '/api/sites/berlin')).status, 204, 'empty now');
  const unknown = await s.api('PATCH', '/api/extensions/2001', { body: { site: 'berlin' } });
  t.is(unknown.status, 422);
  t.is(unknown.json.error.code, 'unknown-site');
});

test('a device placed in a site keeps it whatever its extension does; null follows the extension again', async (t) => {
  const s = await server(t);
  await s.api('POST', '/api/sites', { body: berlin });
  await s.api('POST', '/api/extensions', { body: extensionBody('2001') });
  const created = await s.api('POST', '/api/devices', { body: { mac: '805ec0aa0003', vendor: 'yealink', site: 'berlin', lines: [{ extension: '2001' }] } });
  t.is(created.status, 201, created.text);
  t.is(created.json.site, 'berlin');
  t.like((await s.api('GET', '/api/sites/berlin')).json, { extensions: 0, devices: 1, placedDevices: 1 });
  t.is((await s.api('DELETE', '/api/sites/berlin')).status, 409);
  t.is((await s.api('PATCH', '/api/devices/805ec0aa0003', { body: { site: null } })).json.site, null);
  t.is((await s.api('DELETE', '/api/sites/berlin')).status, 204);
});

test('a deletion racing writes that put records in the site never leaves a record in a site that is gone', async (t) => {
  const s = await server(t);
  await s.api('POST', '/api/sites', { body: { name: 'race', timeZone: 'UTC' } });
  const writes = Array.from({ length: 6 }, (_, i) => s.api('POST', '/api/extensions', { body: extensionBody(`30${i}`, { site: 'race' }) }));
  const [del, ...made] = await Promise.all([s.api('DELETE', '/api/sites/race'), ...writes]);
  for (const r of [del!, ...made]) t.true([201, 204, 409, 422].includes(r.status), r.text);
  const site = await s.api('GET', '/api/sites/race');
  const inRace = ((await s.api('GET', '/api/extensions')).json as { site: string }[]).filter((e) => e.site === 'race').length;
  if (site.status === 404) t.is(inRace, 0, 'the site went: nothing is in it');
  else t.is(site.json.extensions, inRace);
});

test("a site's polling interval reaches each vendor's files and the devices' views", async (t) => {
  const s = await server(t);
  await s.api('POST', '/api/sites', { body: { ...berlin, polling: 60 } });
  await s.api('POST', '/api/extensions', { body: { number: '2001', site: 'berlin' } });
  await s.api('POST', '/api/devices', { body: { mac: '805ec0aa0004', vendor: 'yealink', lines: [{ extension: '2001' }] } });
  await s.api('POST', '/api/devices', { body: { mac: '0004f2aa0004', vendor: 'polycom', lines: [{ extension: '2001' }] } });
  t.regex(await file(s, '805ec0aa0004', '805ec0aa0004.cfg'), /^static\.auto_provision\.repeat\.minutes = 60$/m);
  t.regex(await file(s, '0004f2aa0004', '0004f2aa0004-sip.cfg'), /prov\.polling\.mode="rel" prov\.polling\.period="3600"/);
  t.is((await s.api('GET', '/api/devices/805ec0aa0004')).json.push.pollSeconds, 3600);
  // Back to the vendor's default: the keys go, the view says the vendor's interval.
  await s.api('PATCH', '/api/sites/berlin', { body: { polling: null } });
  t.notRegex(await file(s, '805ec0aa0004', '805ec0aa0004.cfg'), /repeat\.minutes/);
  t.is((await s.api('GET', '/api/devices/805ec0aa0004')).json.push.pollSeconds, 1440 * 60);
});
