// SIP messages as text (RFC 3261 §7): the requests the notifier sends and
// the responses it reads back. Only what an out-of-dialog NOTIFY needs.

export interface SipRequest {
  method: string;
  uri: string;
  /** In order; names as they go on the wire. */
  headers: [name: string, value: string][];
}

export interface SipResponse {
  status: number;
  reason: string;
  /** Lower-case full names (compact forms expanded); repeated headers keep every value. */
  headers: Map<string, string[]>;
}

const COMPACT: Record<string, string> = {
  v: 'via',
  i: 'call-id',
  f: 'from',
  t: 'to',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  o: 'event',
  k: 'supported',
};

export function formatRequest(r: SipRequest): string {
  const lines = [`${r.method} ${r.uri} SIP/2.0`, ...r.headers.map(([n, v]) => `${n}: ${v}`), 'Content-Length: 0'];
  return lines.join('\r\n') + '\r\n\r\n';
}

/** One response from its bytes; null for anything that is not a SIP response. */
export function parseResponse(text: string): SipResponse | null {
  const end = text.indexOf('\r\n\r\n');
  const head = (end < 0 ? text : text.slice(0, end)).split(/\r?\n/);
  const m = /^SIP\/2\.0 ([1-6]\d\d) ?(.*)$/.exec(head[0] ?? '');
  if (!m) return null;
  const headers = new Map<string, string[]>();
  let last: string | null = null;
  for (const line of head.slice(1)) {
    if (/^[ \t]/.test(line) && last) {
      // A folded line continues the previous header's last value.
      const values = headers.get(last)!;
      values[values.length - 1] += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const raw = line.slice(0, colon).trim().toLowerCase();
    const name = COMPACT[raw] ?? raw;
    const value = line.slice(colon + 1).trim();
    // Via may carry several values on one line.
    const values = name === 'via' ? value.split(/,(?=\s*SIP\/)/i).map((v) => v.trim()) : [value];
    headers.set(name, [...(headers.get(name) ?? []), ...values]);
    last = name;
  }
  return { status: Number(m[1]), reason: m[2]!, headers };
}

export function header(res: SipResponse, name: string): string | undefined {
  return res.headers.get(name.toLowerCase())?.[0];
}

/** The branch of a response's top Via, which names the client transaction it answers. */
export function topBranch(res: SipResponse): string | null {
  const via = header(res, 'via');
  const m = via && /;\s*branch=([^;,\s]+)/i.exec(via);
  return m ? m[1]! : null;
}

/**
 * Splits a stream (TCP, TLS) into whole messages by Content-Length; what is
 * left is the start of the next message.
 */
export function splitStream(buffer: string): { messages: string[]; rest: string } {
  const messages: string[] = [];
  let rest = buffer.replace(/^(\r\n)+/, '');
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const head = rest.slice(0, end);
    const m = /^(?:content-length|l)[ \t]*:[ \t]*(\d+)/im.exec(head);
    const length = m ? Number(m[1]) : 0;
    const total = end + 4 + length;
    if (rest.length < total) break;
    messages.push(rest.slice(0, total));
    rest = rest.slice(total).replace(/^(\r\n)+/, '');
  }
  return { messages, rest };
}
