// The SIP fields the create form and the extension tab share: SRTP mode and
// the outbound proxy, read into the shapes POST and PATCH /api/extensions take.

const TRANSPORT_SRTP = { udp: 'off', tcp: 'off', tls: 'mandatory' };
const SRTP_TEXT = { off: 'off', optional: 'optional', mandatory: 'mandatory' };

/** "Following the transport: mandatory for TLS", so the admin sees what "follow" means before choosing. */
export function srtpHint(transport, choice) {
  if (choice) return `Chosen: ${SRTP_TEXT[choice] ?? choice}; kept when the transport changes.`;
  const mode = TRANSPORT_SRTP[transport] ?? 'off';
  return `Following the transport: ${mode} for ${String(transport).toUpperCase()}.`;
}

/** A port as typed: null when empty, a number 1–65535, or an error message. */
export function readPort(text, what) {
  const t = text.trim();
  if (t === '') return { port: null };
  if (!/^\d{1,5}$/.test(t) || Number(t) < 1 || Number(t) > 65535) return { problem: `${what} must be a whole number from 1 to 65535.` };
  return { port: Number(t) };
}

/**
 * The outbound proxy as typed: null (none) when the host is empty, else
 * {host, port?}; an empty port is left out so the server takes the
 * transport's default. A port without a host is a mistake worth saying.
 */
export function readProxy(hostText, portText) {
  const host = hostText.trim();
  const { port, problem } = readPort(portText, 'The proxy port');
  if (problem) return { problem };
  if (!host) return port === null ? { proxy: null } : { problem: 'A proxy port needs a proxy host.' };
  return { proxy: port === null ? { host } : { host, port } };
}

export const WARNING_TEXT = {
  'tls-without-srtp': 'TLS protects the signalling, but SRTP is off: the audio goes in clear.',
};
