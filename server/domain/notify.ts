// What the server knows about each device's last check-sync NOTIFY, and the
// rule that turns it into what an admin sees. Kept apart from the device row
// (like the fetch state), so a NOTIFY outcome and an admin's edit never
// overwrite each other.
export const NOTIFY_STATES = ['queued', 'sent', 'acknowledged', 'failed', 'no-fetch'] as const;
export type NotifyStateName = (typeof NOTIFY_STATES)[number];
export const NOTIFY_VIAS = ['direct', 'proxy'] as const;
export type NotifyVia = (typeof NOTIFY_VIAS)[number];
/** PROV_NOTIFY: how check-sync NOTIFYs go out, if at all. */
export type PushMode = NotifyVia | 'off';

/**
 * Why a device cannot be sent a check-sync NOTIFY, or null when it can be
 * (as far as the device itself tells: the notifier still needs its line's
 * extension). In direct mode only an address the phone proved (a fetch with
 * its credentials or its claim) or one an admin set is a target.
 */
export function pushRefusal(
  mode: PushMode,
  device: { vendor: string; lines: readonly unknown[]; sipContact?: string | null; lastFetch: unknown },
  takesCheckSync: boolean,
): string | null {
  if (mode === 'off') return 'push is off on this server (PROV_NOTIFY=off)';
  if (!takesCheckSync) return `${device.vendor} phones take no check-sync NOTIFY`;
  if (device.lines.length === 0) return 'the device has no lines';
  if (mode === 'direct' && !device.sipContact && !device.lastFetch) {
    return 'the device has never proved itself (no fetch with its credentials or through its claim) and has no sipContact, so no address it could be notified at is trusted';
  }
  return null;
}

/** The shape the API shows and the event bus carries. */
export interface NotifyOutcome {
  state: NotifyStateName;
  via: NotifyVia;
  /** Where the request went: `udp:10.0.4.7:5060`, `tls:pbx.example.com:5061`. */
  target: string;
  at: string;
  /** The final SIP status, or null when none came (timeout, unreachable). */
  code: number | null;
  attempts: number;
}

export interface NotifyRecord extends NotifyOutcome {
  /**
   * The change the NOTIFY is about (`v<configVersion>` for a committed change,
   * `sync:<id>` for an explicit request): with several instances, the one that
   * finds this key already handled does not send it again.
   */
  key: string;
}

/** How long after an acknowledged NOTIFY the phone's fetch is expected. */
export const FETCH_EXPECTED_MS = 2 * 60_000;

/**
 * The outcome as shown at `now`: a phone that acknowledged but has not fetched
 * since within FETCH_EXPECTED_MS is `no-fetch`; one that fetched after all is
 * `acknowledged` again.
 */
export function notifyView(n: NotifyRecord | null | undefined, lastFetch: { at: string } | null, now: Date): NotifyOutcome | null {
  if (!n) return null;
  const { key: _key, ...outcome } = n;
  if (n.state !== 'acknowledged' && n.state !== 'no-fetch') return outcome;
  const fetchedSince = lastFetch !== null && Date.parse(lastFetch.at) >= Date.parse(n.at);
  if (fetchedSince) return { ...outcome, state: 'acknowledged' };
  if (n.state === 'no-fetch') return outcome;
  const overdue = now.getTime() - Date.parse(n.at) >= FETCH_EXPECTED_MS;
  return { ...outcome, state: overdue ? 'no-fetch' : 'acknowledged' };
}

/** Where a `direct` NOTIFY goes, as an admin writes it: `sip:10.0.4.7:5060;transport=udp`. */
export interface SipContact {
  host: string;
  port: number;
  transport: 'udp' | 'tcp' | 'tls';
}

const CONTACT = /^sips?:(?:[^@;\s]+@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?((?:;[A-Za-z0-9_-]+(?:=[A-Za-z0-9._-]+)?)*)$/;

export function parseSipContact(text: string): SipContact | null {
  if (text.length > 255) return null;
  const m = CONTACT.exec(text);
  if (!m) return null;
  const secure = text.startsWith('sips:');
  const params = new Map(
    m[3]!.split(';').filter(Boolean).map((p) => {
      const [k, v = ''] = p.split('=');
      return [k!.toLowerCase(), v.toLowerCase()] as const;
    }),
  );
  const transport = params.get('transport') ?? (secure ? 'tls' : 'udp');
  if (transport !== 'udp' && transport !== 'tcp' && transport !== 'tls') return null;
  const port = m[2] === undefined ? (transport === 'tls' ? 5061 : 5060) : Number(m[2]);
  if (port < 1 || port > 65535) return null;
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  return { host, port, transport };
}
