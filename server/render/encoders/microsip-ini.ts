// MicroSIP.ini values, read by Windows' profile API: a value runs to the end
// of the line, surrounding whitespace is trimmed, and one matching pair of
// outer quotes is stripped. So a value that would lose something to that
// (edge whitespace, or outer quotes of its own) is wrapped in one more pair
// of double quotes, which the reader removes again. Line breaks cannot be
// carried at all, and the reader's field limits are enforced here.
import { EncodeError, type HelperSet, type Scalar } from './encoder.ts';

/** Windows' GetPrivateProfileString reads at most this much of a field; MicroSIP allows the password more. */
const MAX_FIELD = 255;

export function iniValue(value: Scalar): string {
  const text = String(value);
  if (/[\r\n\0]/.test(text)) throw new EncodeError('microsip-ini', 'a value may not contain CR, LF or NUL');
  if (text.length > MAX_FIELD) throw new EncodeError('microsip-ini', `a value may be at most ${MAX_FIELD} characters`);
  const first = text[0];
  const quoted = text.length >= 2 && (first === '"' || first === "'") && text.endsWith(first);
  return /^\s|\s$/.test(text) || quoted ? `"${text}"` : text;
}

export const microsipHelpers: HelperSet = { ini: iniValue };
