// A bad configuration stops the boot: exit code 1, one line naming the
// variable, and never the value of a secret-bearing variable.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { ConfigError, loadConfig } from '../server/config.ts';
import { runToExit } from './helpers/process.ts';
import { startServer, tempDir } from './helpers/server.ts';

const refusals: [string, Record<string, string>, string, RegExp][] = [
  ['a PORT that is not a number', { PORT: 'eighty' }, 'PORT', /whole number/],
  ['a PORT out of range', { PORT: '70000' }, 'PORT', /whole number/],
  ['a data directory under a file', { PROV_DATA_DIR: '/dev/null/data' }, 'PROV_DATA_DIR', /not a writable directory/],
  ['a malformed PROV_SECRET_KEY', { PROV_SECRET_KEY: 'not-base64-at-all!' }, 'PROV_SECRET_KEY', /base64 of exactly 32 bytes/],
  ['a PROV_SECRET_KEY of 16 bytes', { PROV_SECRET_KEY: randomBytes(16).toString('base64') }, 'PROV_SECRET_KEY', /32 bytes/],
  ['a short PROV_ADMIN_TOKEN', { PROV_ADMIN_TOKEN: 'abc123' }, 'PROV_ADMIN_TOKEN', /at least 20/],
  ['a PROV_PUBLIC_URL that is not a URL', { PROV_PUBLIC_URL: 'pbx.example.com' }, 'PROV_PUBLIC_URL', /url/i],
];

for (const [what, env, variable, problem] of refusals) {
  // One boot at a time: seven at once on a busy machine outlast the exit timeout.
  test.serial(`the boot stops on ${what}`, async (t) => {
    const run = await runToExit({ PROV_DATA_DIR: tempDir(), ...env });
    t.is(run.code, 1);
    const lines = run.stderr.trim().split('\n');
    t.is(lines.length, 1, run.stderr);
    t.true(lines[0]!.startsWith(`config error: ${variable} `), lines[0]);
    t.regex(lines[0]!, problem);
    if (variable === 'PROV_SECRET_KEY' || variable === 'PROV_ADMIN_TOKEN') {
      t.false(run.stderr.includes(env[variable]!), 'a secret variable was echoed');
    }
  });
}

test('a data directory sealed with another key refuses to start', async (t) => {
  const dataDir = tempDir();
  const first = await startServer({ dataDir, env: { PROV_SECRET_KEY: randomBytes(32).toString('base64') } });
  await first.close();
  const run = await runToExit({ PROV_DATA_DIR: dataDir, PROV_SECRET_KEY: randomBytes(32).toString('base64') });
  t.is(run.code, 1);
  t.regex(run.stderr.trim(), /^config error: PROV_SECRET_KEY is not the key this data directory was sealed with$/);
});

test('defaults and values are read into a typed config', (t) => {
  const key = randomBytes(32);
  const c = loadConfig({ PORT: '9000', HOST: '127.0.0.1', PROV_SECRET_KEY: key.toString('base64'), PORT_UNUSED: 'x' });
  t.is(c.port, 9000);
  t.is(c.publicUrl, 'http://127.0.0.1:9000');
  t.true(c.secretKey!.equals(key));
  t.is(c.adminToken, null);
  t.true(c.dataDir.endsWith('/data'));
  t.is(loadConfig({ PROV_PUBLIC_URL: 'https://prov.example.com/' }).publicUrl, 'https://prov.example.com');
  t.is(loadConfig({ PORT: '' }).port, 8080, 'an empty variable counts as unset');
  t.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), { instanceOf: ConfigError, message: /^LOG_LEVEL / });
});

test('PROV_CLAIM_NETWORKS defaults to loopback and the private ranges', (t) => {
  t.deepEqual(loadConfig({}).claimNetworks.map((n) => n.text), [
    '127.0.0.0/8', '::1/128', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7',
  ]);
  t.deepEqual(loadConfig({ PROV_CLAIM_NETWORKS: '192.0.2.0/24 2001:db8::/48' }).claimNetworks.map((n) => n.text), [
    '192.0.2.0/24', '2001:db8::/48',
  ]);
  t.throws(() => loadConfig({ PROV_CLAIM_NETWORKS: ',' }), { instanceOf: ConfigError, message: /^PROV_CLAIM_NETWORKS / });
  // The same one-line refusals the boot prints (checked in-process: each boot above is a process).
  t.throws(() => loadConfig({ PROV_CLAIM_NETWORKS: '10.0.0.0/8, office' }), { instanceOf: ConfigError, message: /^PROV_CLAIM_NETWORKS .*"office"/ });
  t.throws(() => loadConfig({ PROV_TRUST_PROXY: 'true' }), { instanceOf: ConfigError, message: /^PROV_TRUST_PROXY no longer accepts true: list the addresses/ });
});

test('the registrar feed and webhook settings are read and checked', (t) => {
  const d = loadConfig({});
  t.is(d.rotationGraceMinutes, 1440);
  t.is(d.pbxNetworks, null);
  t.deepEqual(d.webhooks, { timeoutSeconds: 10, retryHours: 24, backoffMs: 30_000, pollMs: 5000, allow: [] });
  const c = loadConfig({ PROV_ROTATION_GRACE_MINUTES: '0', PROV_PBX_NETWORKS: ' 10.0.0.0/8,fd00::/8 ,192.0.2.7/32' });
  t.is(c.rotationGraceMinutes, 0);
  t.deepEqual(c.pbxNetworks, ['10.0.0.0/8', 'fd00::/8', '192.0.2.7/32']);
  for (const bad of ['10.0.0.0', '10.0.0.0/33', 'fd00::/129', 'pbx.example.com/8', '10.0.0.0/8,,', 'any']) {
    t.throws(() => loadConfig({ PROV_PBX_NETWORKS: bad }), { instanceOf: ConfigError, message: /^PROV_PBX_NETWORKS must be a comma-separated list of CIDR/ }, bad);
  }
  t.throws(() => loadConfig({ PROV_ROTATION_GRACE_MINUTES: '-1' }), { instanceOf: ConfigError, message: /^PROV_ROTATION_GRACE_MINUTES / });
  t.throws(() => loadConfig({ PROV_WEBHOOK_TIMEOUT_SECONDS: '0' }), { instanceOf: ConfigError, message: /^PROV_WEBHOOK_TIMEOUT_SECONDS / });
});

test('PROV_ADMIN_PORT gives the API and console a listener of their own, on PROV_ADMIN_HOST or HOST', (t) => {
  t.is(loadConfig({}).admin, null);
  t.deepEqual(loadConfig({ HOST: '10.0.0.5', PROV_ADMIN_PORT: '9090' }).admin, { port: 9090, host: '10.0.0.5' });
  t.deepEqual(loadConfig({ PROV_ADMIN_PORT: '9090', PROV_ADMIN_HOST: '127.0.0.1' }).admin, { port: 9090, host: '127.0.0.1' });
  t.throws(() => loadConfig({ PROV_ADMIN_PORT: '8080' }), { instanceOf: ConfigError, message: 'PROV_ADMIN_PORT must differ from PORT (got "8080")' });
  const tls = { PROV_TLS_CERT: '/nonexistent/cert.pem', PROV_TLS_KEY: '/nonexistent/key.pem', PROV_TLS_PORT: '8443' };
  t.throws(() => loadConfig({ ...tls, PROV_ADMIN_PORT: '8443' }), { instanceOf: ConfigError, message: /^PROV_ADMIN_PORT must differ from PROV_TLS_PORT/ });
  t.throws(() => loadConfig({ PROV_ADMIN_PORT: 'admin' }), { instanceOf: ConfigError, message: /^PROV_ADMIN_PORT / });
  t.throws(() => loadConfig({ PROV_ADMIN_HOST: '127.0.0.1' }), { instanceOf: ConfigError, message: 'PROV_ADMIN_HOST is set but PROV_ADMIN_PORT is not' });
});
