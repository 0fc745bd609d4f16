// Where a device's NOTIFY goes. direct: the device's sipContact (set by an
// admin), else the address of its last fetch of its credential-bearing file,
// which the phone made with its credentials or through its claim, on
// 5060/UDP. A request that proved nothing (lastSeen) never moves it. proxy: the SIP server
// of its first line's extension, with Request-URI sip:<user>@<host>, so the
// registrar relays it through the phone's registration (and NAT binding).
import type { DeviceRecord } from '../domain/device.ts';
import type { ExtensionRecord } from '../domain/extension.ts';
import { parseSipContact, type NotifyVia } from '../domain/notify.ts';
import { hostPort, type Destination } from './transport.ts';

export interface NotifyTarget {
  via: NotifyVia;
  dest: Destination;
  uri: string;
  /** The extension whose user is in the Request-URI (and whose credentials answer a challenge). */
  extension: string;
  /** As shown on the device: `udp:10.0.4.7:5060`. */
  label: string;
}

/** An IPv4 client seen through an IPv6 socket is an IPv4 address to SIP. */
const plainIp = (ip: string) => (ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip);

export function resolveTarget(mode: NotifyVia, device: DeviceRecord, ext: ExtensionRecord | null): NotifyTarget | null {
  const line = [...device.lines].sort((a, b) => a.line - b.line)[0];
  if (!line || !ext || ext.number !== line.extension) return null;
  const user = ext.number;
  let dest: Destination;
  let uri: string;
  if (mode === 'proxy') {
    dest = { host: ext.server.host, port: ext.server.port, transport: ext.server.transport };
    uri = `sip:${user}@${hostPort(ext.server.host, 0).replace(/:0$/, '')}`;
  } else {
    const contact = device.sipContact ? parseSipContact(device.sipContact) : null;
    if (contact) dest = contact;
    else if (device.lastFetch?.ip) dest = { host: plainIp(device.lastFetch.ip), port: 5060, transport: 'udp' };
    else return null;
    uri = `sip:${user}@${hostPort(dest.host, dest.port)}`;
  }
  return { via: mode, dest, uri, extension: user, label: `${dest.transport}:${hostPort(dest.host, dest.port)}` };
}

/** The extension a device's NOTIFY is addressed for: its first line's. */
export function firstLineExtension(device: DeviceRecord): string | null {
  return [...device.lines].sort((a, b) => a.line - b.line)[0]?.extension ?? null;
}
