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
const deskPhones = profiles.all().filter((p) => p.kind === 'desk-phone');

interface Case {
  ua: string;
  vendor: string;
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
  // docs/vendors.md, with the peers' templates it cites.
  { ua: 'Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 000b828aa872', vendor: 'grandstream', model: 'GXP2135', firmware: '1.0.7.97', mac: '000b828aa872', key: 'GXP2135' },
  { ua: 'Grandstream Model HW GRP2614 V1.0A SW 1.0.5.33 DevId c074ad1a2b3c', vendor: 'grandstream', model: 'GRP2614', firmware: '1.0.5.33', mac: 'c074ad1a2b3c', key: 'GRP2614' },
  { ua: 'Grandstream Model HW GXP2170 SW 1.0.11.79 DevId 000B82AABBCC', vendor: 'grandstream', model: 'GXP2170', firmware: '1.0.11.79', mac: '000b82aabbcc', key: 'GXP2170' },
  {
    ua: 'Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 2010.12-00004-g9ba52f5 000413922D24 SXM:0 UXM:0)',
    vendor: 'snom',
    model: 'D785',
    firmware: '10.1.33.33',
    mac: '000413922d24',
    key: 'D785',
  },
  { ua: 'Mozilla/4.0 (compatible; snomD735-SIP 10.1.46.16 000413A1B2C3)', vendor: 'snom', model: 'D735', firmware: '10.1.46.16', mac: '000413a1b2c3', key: 'D735' },
  { ua: 'Mozilla/4.0 (compatible; snomD715-SIP 8.9.3.80)', vendor: 'snom', model: 'D715', firmware: '8.9.3.80', mac: null, key: 'D715' },
  { ua: 'Fanvil X4U 2.10.2.6887 0c383e07e16c', vendor: 'fanvil', model: 'X4U', firmware: '2.10.2.6887', mac: '0c383e07e16c', key: 'X4U' },
  { ua: 'Fanvil X6U 2.12.13 0c383e1a2b3c', vendor: 'fanvil', model: 'X6U', firmware: '2.12.13', mac: '0c383e1a2b3c', key: 'X6U' },
  { ua: 'Cisco-CP-8841-3PCC/11.3.7 (00562b043615)', vendor: 'cisco', model: 'CP-8841-3PCC', firmware: '11.3.7', mac: '00562b043615', key: 'CP-8841-3PCC' },
  { ua: 'Cisco-CP-7841-3PCC/11.0.1 (00562b043616)', vendor: 'cisco', model: 'CP-7841-3PCC', firmware: '11.0.1', mac: '00562b043616', key: 'CP-7841-3PCC' },
];

for (const c of CASES) {
  test(`${c.vendor} reads ${c.ua}`, (t) => {
    const own = profiles.get(c.vendor)!;
    t.deepEqual(parseUserAgent(own, c.ua), { model: c.model, firmware: c.firmware, mac: c.mac });
    t.is(findModel(own, c.model), c.key, 'the parsed model is a model of the profile');
    for (const other of deskPhones.filter((p) => p.id !== c.vendor)) {
      t.is(parseUserAgent(other, c.ua), null, `the ${other.id} pattern does not take it`);
    }
  });
}

test('every desk phone vendor has a User-Agent pattern that names the MAC for claims', (t) => {
  t.deepEqual(deskPhones.map((p) => p.id).sort(), ['cisco', 'fanvil', 'grandstream', 'polycom', 'snom', 'yealink']);
  for (const id of ['grandstream', 'snom', 'fanvil', 'cisco']) t.true(profiles.get(id)!.claimNeedsMac, id);
});

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
