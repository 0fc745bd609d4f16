// Two server instances on one MongoDB database, as behind a load balancer:
// two processes started from one build, with the same PROV_SECRET_KEY, on the
// run's MongoDB server (FerretDB unless MONGODB_URI names another). Whatever
// one acknowledges, the other serves on the very next request; a kill -9
// right after an acknowledged change loses nothing. Skipped with the rest of
// the MongoDB half (test/tools/with-mongodb.ts says why in its line).
import test, { type ExecutionContext } from 'ava';
import { mongoUri, password, provision, sharedEnv, startInstance, type Instance } from '../helpers/mongo.ts';

const EXT = '1001';
const YEA = '805ec0a1b2c3';
const YEA2 = '805ec0a1b2c4';

async function served(t: ExecutionContext, s: Instance, creds: string): Promise<string> {
  const r = await s.phone(YEA, creds);
  t.is(r.status, 200, `${YEA}.cfg from ${s.url}: ${r.status}`);
  return password(r.text);
}

if (mongoUri) {
  const uri = mongoUri;

  test('what one instance writes the other serves at once: secrets, pending devices, a deletion, one audit log', async (t) => {
    t.timeout(120_000);
    const env = sharedEnv(t, uri);
    const [a, b] = await Promise.all([startInstance(t, env, 2), startInstance(t, env)]);
    const creds = await provision(a, YEA, 'First-Secret-1');
    t.is(await served(t, b, creds), 'First-Secret-1', 'B serves what A wrote');

    t.is((await a.api('PUT', `/api/extensions/${EXT}/secret`, { secret: 'Second-Secret-2' })).status, 200);
    t.is(await served(t, b, creds), 'Second-Secret-2', 'the very next fetch on B has the secret A set');

    // B records its own fetches; a secret generated through B leaves the device pending, as A sees it.
    const generated = await b.api('POST', `/api/extensions/${EXT}/secret/generate`);
    t.is(generated.status, 200, generated.text);
    t.like(generated.json.devices.find((d: { mac: string }) => d.mac === YEA), { status: 'pending' });
    t.is((await a.api('GET', `/api/devices/${YEA}`)).json.status, 'pending', 'A shows the device pending');
    const secret = (await a.api('GET', `/api/extensions/${EXT}/secret`)).json.secret;
    t.is(await served(t, a, creds), secret, "A's next fetch carries the secret generated through B");
    t.is(await served(t, b, creds), secret, "and so does B's");

    t.is((await a.api('DELETE', `/api/devices/${YEA}`)).status, 204);
    t.is((await b.phone(YEA, creds)).status, 404, 'deleted through A: B no longer knows the phone');
    // Its request put it in the inbox, a new unassigned device with nothing of the old mapping.
    t.like((await b.api('GET', `/api/devices/${YEA}`)).json, { status: 'unassigned', lines: [] });

    const logA = (await a.api('GET', '/api/audit?limit=100')).json;
    const logB = (await b.api('GET', '/api/audit?limit=100')).json;
    t.deepEqual(logA, logB, 'both instances read one audit log');
    const actions = logA.map((e: { action: string }) => e.action);
    for (const action of ['extension.created', 'device.created', 'secret.changed', 'device.deleted']) t.true(actions.includes(action), action);
    const ids = logA.map((e: { id: number }) => e.id);
    t.deepEqual(ids, [...ids].sort((x: number, y: number) => y - x), 'newest first');
    t.is(new Set(ids).size, ids.length, 'each event once, whichever instance wrote it');
  });

  test('devices put on one extension at once through both instances all land: the guard they share makes them wait, not fail', async (t) => {
    t.timeout(120_000);
    const env = sharedEnv(t, uri);
    const [a, b] = await Promise.all([startInstance(t, env), startInstance(t, env)]);
    await provision(a, YEA, 'Shared-Secret-1');
    const macs = Array.from({ length: 8 }, (_, i) => `805ec0b0000${i}`);
    const made = await Promise.all(macs.map((mac, i) => (i % 2 ? a : b).api('POST', '/api/devices', { mac, vendor: 'yealink', lines: [{ extension: EXT }] })));
    t.deepEqual(made.map((r) => r.status), macs.map(() => 201), made.map((r) => r.text).join('\n'));
    const on = (await a.api('GET', `/api/devices?extension=${EXT}&limit=100`)).json.map((d: { mac: string }) => d.mac);
    for (const mac of macs) t.true(on.includes(mac), mac);
  });

  test('kill -9 of an instance right after acknowledged changes loses none of them', async (t) => {
    t.timeout(120_000);
    const env = sharedEnv(t, uri);
    const [a, b] = await Promise.all([startInstance(t, env, 2), startInstance(t, env)]);
    const creds = await provision(a, YEA, 'Before-Kill-1');

    t.is((await b.api('PUT', `/api/extensions/${EXT}/secret`, { secret: 'Acknowledged-2' })).status, 200);
    t.is((await b.api('PATCH', `/api/extensions/${EXT}`, { label: 'front desk' })).status, 200);
    t.is((await b.api('POST', '/api/devices', { mac: YEA2, vendor: 'yealink', lines: [{ extension: EXT }] })).status, 201);
    await b.kill('SIGKILL');

    t.is(await served(t, a, creds), 'Acknowledged-2');
    t.like((await a.api('GET', `/api/extensions/${EXT}`)).json, { label: 'front desk' });
    t.is((await a.api('GET', `/api/devices/${YEA2}`)).status, 200);
    const actions = (await a.api('GET', '/api/audit?limit=100')).json.map((e: { action: string }) => e.action);
    t.is(actions.filter((x: string) => x === 'secret.changed').length, 1, 'the change, audited once');
    t.true(actions.includes('device.created'));

    // B again, from the same build: it serves the same, and has nothing to re-render.
    const again = await startInstance(t, env);
    t.is(await served(t, again, creds), 'Acknowledged-2');
    t.false(again.output().includes('stored renders brought up to date'), 'every acknowledged change had its files');
  });
}
