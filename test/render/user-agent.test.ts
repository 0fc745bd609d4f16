// User-Agent parsing with each vendor profile's pattern, on every real
// User-Agent string VENDORS.md lists: model, firmware and (when sent) MAC come
// out right, the model maps to a profile entry, and no vendor's pattern takes
// another vendor's phone.
import test from 'ava';
import { findModel } from '../../server/render/profiles.ts';
import { parseUserAgent } from '../../server/render/user-agent.ts';
import { catalog } from './fixtures.ts';

const { profiles } = catalog();
const yealink = profiles.get('yealink')!;
const polycom = profiles.get('polycom')!;

interface Case {
  ua: string;
  vendor: 'yealink' | 'polycom';
  model: string;
  firmware: string;
  mac: string | null;
  /** The profile's model key the parsed model must map to. */
  key: string;
}

const CASES: Case[] = [
  { ua: 'Yealink SIP-T46G 28.72.0.1 00:15:65:4a:a9:37', vendor: 'yealink', model: 'T46G', firmware: '28.72.0.1', mac: '0015654aa937', key: 'T46G' },
  { ua: 'Yealink SIP-T56A 58.80.0.25 001565f429a4', vendor: 'yealink', model: 'T56A', firmware: '58.80.0.25', mac: '001565f429a4', key: 'T56A' },
  { ua: 'Yealink W52P 25.80.0.15', vendor: 'yealink', model: 'W52P', firmware: '25.80.0.15', mac: null, key: 'W52P' },
  { ua: 'Yealink W52P 25.80.0.15 00:15:65:12:34:56', vendor: 'yealink', model: 'W52P', firmware: '25.80.0.15', mac: '001565123456', key: 'W52P' },
  { ua: 'FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application', vendor: 'polycom', model: 'VVX_400', firmware: '4.1.4.7430', mac: null, key: 'VVX_400' },
  {
    ua: 'FileTransport PolycomSoundStationIP-SSIP_5000-UA/4.0.3.7562 (SN:0004f2e765da) Type/Application',
    vendor: 'polycom',
    model: 'SSIP_5000',
    firmware: '4.0.3.7562',
    mac: '0004f2e765da',
    key: 'SSIP_5000',
  },
  { ua: 'FileTransport PolyEdge-Edge_E450-UA/8.0.0.15602 Type/Application', vendor: 'polycom', model: 'Edge_E450', firmware: '8.0.0.15602', mac: null, key: 'Edge_E450' },
  { ua: 'FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Updater', vendor: 'polycom', model: 'VVX_400', firmware: '4.1.4.7430', mac: null, key: 'VVX_400' },
];

for (const c of CASES) {
  test(`${c.vendor} reads ${c.ua}`, (t) => {
    const own = c.vendor === 'yealink' ? yealink : polycom;
    const other = c.vendor === 'yealink' ? polycom : yealink;
    t.deepEqual(parseUserAgent(own, c.ua), { model: c.model, firmware: c.firmware, mac: c.mac });
    t.is(findModel(own, c.model), c.key, 'the parsed model is a model of the profile');
    t.is(parseUserAgent(other, c.ua), null, `the ${other.id} pattern does not take it`);
  });
}

test('a MAC sent in upper case or with colons comes out as 12 lowercase hex digits', (t) => {
  t.is(String(parseUserAgent(yealink, 'Yealink SIP-T46S 66.86.0.15 80:5E:C0:AB:CD:EF')?.mac), '805ec0abcdef');
  t.is(String(parseUserAgent(polycom, 'FileTransport PolycomVVX-VVX_450-UA/6.4.3.5156 (SN:0004F2ABCDEF) Type/Application')?.mac), '0004f2abcdef');
});

test('Yealink model names with a suffix and the T23 variants map to the profile', (t) => {
  const t21 = parseUserAgent(yealink, 'Yealink SIP-T21P_E2 52.84.0.15 805ec0123456');
  t.is(t21?.model, 'T21P_E2');
  t.is(findModel(yealink, t21!.model), 'T21P_E2');
  for (const model of ['T23P', 'T23G']) {
    const agent = parseUserAgent(yealink, `Yealink SIP-${model} 44.84.0.140 805ec0123456`);
    t.is(findModel(yealink, agent!.model), model, `${model} shares code 44`);
    t.is(yealink.models[model]?.code, '44');
  }
});

test('strings that are not a phone of the vendor are not parsed', (t) => {
  for (const ua of ['', 'Mozilla/5.0 (X11; Linux x86_64)', 'curl/8.5.0', 'yealink SIP-T46G 28.72.0.1', 'Yealink SIP-T46G', ' Yealink SIP-T46G 28.72.0.1']) {
    t.is(parseUserAgent(yealink, ua), null, JSON.stringify(ua));
  }
  for (const ua of ['', 'FileTransport PolycomVVX-VVX_400-UA/', 'Polycom VVX 400', 'PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application']) {
    t.is(parseUserAgent(polycom, ua), null, JSON.stringify(ua));
  }
});
