// Media encryption as extension data over real HTTP: the default follows the
// transport (mandatory for tls, off otherwise), an explicit choice survives a
// change of transport and null hands it back, TLS with SRTP off is allowed
// but flagged, the outbound proxy follows the registration's transport, and
// every change re-renders the phone's file.
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { SRTP_MODES, TRANSPORTS, defaultSrtp, effectiveSrtp, extensionWarnings } from '../../server/domain/extension.ts';
import { readYealinkCfg } from '../helpers/yealink-cfg-reader.ts';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';

async function server(t: ExecutionContext): Promise<TestServer> {
  const s = await startServer();
  t.teardown(s.close);
  return s;
}

const tls = { host: 'pbx.example.com', transport: 'tls' };

test('the rule: an explicit choice wins, else mandatory for tls and off otherwise; only tls with off is flagged', (t) => {
  fc.assert(
    fc.property(fc.constantFrom(...TRANSPORTS), fc.option(fc.constantFrom(...SRTP_MODES), { nil: undefined }), (transport, srtp) => {
      const ext = { server: { host: 'h', port: 1, transport }, media: srtp === undefined ? {} : { srtp } };
      const want = srtp ?? (transport === 'tls' ? 'mandatory' : 'off');
      const flagged = transport === 'tls' && want === 'off';
      return effectiveSrtp(ext) === want && extensionWarnings(ext).includes('tls-without-srtp') === flagged;
    }),
  );
  t.is(defaultSrtp('tls'), 'mandatory');
  t.is(defaultSrtp('udp'), 'off');
  t.is(effectiveSrtp({ server: { host: 'h', port: 1, transport: 'tls' } }), 'mandatory', 'a record from before media settings');
});

test('create: the default follows the transport; an explicit choice is kept and said to be explicit', async (t) => {
  const s = await server(t);
  const a = (await s.api('POST', '/api/extensions', { body: extensionBody('1001', { server: tls }) })).json;
  t.deepEqual(a.media, { srtp: 'mandatory', explicit: false });
  t.deepEqual(a.warnings, []);
  t.like(a.server, { port: 5061, transport: 'tls' });
  const b = (await s.api('POST', '/api/extensions', { body: extensionBody('1002') })).json;
  t.deepEqual(b.media, { srtp: 'off', explicit: false });
  const c = (await s.api('POST', '/api/extensions', { body: extensionBody('1003', { media: { srtp: 'optional' } }) })).json;
  t.deepEqual(c.media, { srtp: 'optional', explicit: true });
  const one = (await s.api('GET', '/api/extensions/1003')).json;
  t.deepEqual(one.media, { srtp: 'optional', explicit: true });
  t.deepEqual(one.warnings, []);
});

test('tls with srtp off is allowed and flagged tls-without-srtp in every answer', async (t) => {
  const s = await server(t);
  const created = await s.api('POST', '/api/extensions', { body: extensionBody('1001', { server: tls, media: { srtp: 'off' } }) });
  t.is(created.status, 201);
  t.deepEqual(created.json.warnings, ['tls-without-srtp']);
  t.deepEqual((await s.api('GET', '/api/extensions/1001')).json.warnings, ['tls-without-srtp']);
  t.deepEqual((await s.api('GET', '/api/extensions')).json[0].warnings, ['tls-without-srtp']);
  const fixed = await s.api('PATCH', '/api/extensions/1001', { body: { media: { srtp: 'mandatory' } } });
  t.deepEqual(fixed.json.warnings, []);
});

test('a change of transport keeps an explicit choice and moves a default one; null hands it back', async (t) => {
  const s = await server(t);
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  await s.api('POST', '/api/extensions', { body: extensionBody('1002', { media: { srtp: 'optional' } }) });
  const moved = (await s.api('PATCH', '/api/extensions/1001', { body: { server: { transport: 'tls' } } })).json;
  t.deepEqual(moved.media, { srtp: 'mandatory', explicit: false }, 'a default follows the transport');
  const kept = (await s.api('PATCH', '/api/extensions/1002', { body: { server: { transport: 'tls' } } })).json;
  t.deepEqual(kept.media, { srtp: 'optional', explicit: true }, 'an explicit choice stays');
  const back = (await s.api('PATCH', '/api/extensions/1002', { body: { server: { transport: 'udp' } } })).json;
  t.deepEqual(back.media, { srtp: 'optional', explicit: true });
  const reset = (await s.api('PATCH', '/api/extensions/1002', { body: { media: { srtp: null } } })).json;
  t.deepEqual(reset.media, { srtp: 'off', explicit: false }, 'null: the udp default again');
  const audit = (await s.api('GET', '/api/audit?action=extension.updated&target=extension:1002')).json;
  t.deepEqual(audit[0].details.fields, ['media']);
  t.deepEqual(audit[1].details.fields, ['server']);
});

test('bad media input is refused with 422 and changes nothing', async (t) => {
  const s = await server(t);
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  const before = (await s.api('GET', '/api/extensions/1001')).json;
  for (const media of [{ srtp: 'sdes' }, { srtp: 2 }, { srtp: 'optional', zrtp: true }, 'mandatory']) {
    const r = await s.api('PATCH', '/api/extensions/1001', { body: { media } });
    t.is(r.status, 422, JSON.stringify(media));
    t.is(r.json.error.code, 'invalid-input');
    const c = await s.api('POST', '/api/extensions', { body: extensionBody('1009', { media }) });
    t.is(c.status, 422);
  }
  t.deepEqual((await s.api('GET', '/api/extensions/1001')).json, before);
  t.is((await s.api('GET', '/api/extensions/1009')).status, 404);
});

test('the outbound proxy takes the TLS port by default, follows a change of transport, and keeps a port the admin set', async (t) => {
  const s = await server(t);
  const a = (await s.api('POST', '/api/extensions', { body: extensionBody('1001', { server: tls, outboundProxy: { host: 'sbc.example.net' } }) })).json;
  t.deepEqual(a.outboundProxy, { host: 'sbc.example.net', port: 5061 });
  const b = (await s.api('POST', '/api/extensions', { body: extensionBody('1002', { outboundProxy: { host: 'sbc.example.net' } }) })).json;
  t.deepEqual(b.outboundProxy, { host: 'sbc.example.net', port: 5060 });
  const moved = (await s.api('PATCH', '/api/extensions/1002', { body: { server: { transport: 'tls' } } })).json;
  t.deepEqual(moved.outboundProxy, { host: 'sbc.example.net', port: 5061 });
  t.is(moved.server.port, 5061);
  await s.api('POST', '/api/extensions', { body: extensionBody('1003', { outboundProxy: { host: 'sbc.example.net', port: 5070 } }) });
  const kept = (await s.api('PATCH', '/api/extensions/1003', { body: { server: { transport: 'tls' } } })).json;
  t.deepEqual(kept.outboundProxy, { host: 'sbc.example.net', port: 5070 }, 'a port the admin chose stays');
});

test('a change of SRTP mode re-renders the phone with the new mode and a new version', async (t) => {
  const s = await server(t);
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  await s.api('POST', '/api/devices', { body: { mac: '805ec0bb0001', vendor: 'yealink', model: 'T46S', lines: [{ extension: '1001' }] } });
  const cfg = async () => readYealinkCfg((await s.api('GET', '/api/devices/805ec0bb0001/files/805ec0bb0001.cfg')).text);
  const version = async () => (await s.api('GET', '/api/devices/805ec0bb0001')).json.configVersion as number;
  t.is((await cfg()).values.get('account.1.srtp_encryption'), '0');
  const v1 = await version();
  await s.api('PATCH', '/api/extensions/1001', { body: { media: { srtp: 'optional' } } });
  t.is((await cfg()).values.get('account.1.srtp_encryption'), '1');
  const v2 = await version();
  t.true(v2 > v1);
  await s.api('PATCH', '/api/extensions/1001', { body: { media: { srtp: null }, server: { transport: 'tls' } } });
  const tlsCfg = await cfg();
  t.is(tlsCfg.values.get('account.1.srtp_encryption'), '2');
  t.is(tlsCfg.values.get('account.1.sip_server.1.transport_type'), '2');
  t.is(tlsCfg.values.get('account.1.sip_server.1.port'), '5061');
  t.is(tlsCfg.values.get('static.trusted_certificates.url'), undefined, 'no CA bundle configured: the phone keeps its own trust store');
  t.true((await version()) > v2);
});
