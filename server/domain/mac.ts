// MAC addresses: accepted in the forms admins and phones use, kept as 12
// lowercase hex digits everywhere inside the server.
import { InvalidInput } from './errors.ts';

const FORMS = [
  /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i,
  /^([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})$/i,
  /^([0-9a-f]{12})$/i,
];

export type Mac = string & { readonly __mac: unique symbol };

/** Returns the canonical form, or null when the text is not a MAC in a known form. */
export function tryParseMac(text: string): Mac | null {
  for (const form of FORMS) {
    const m = form.exec(text);
    if (!m) continue;
    const hex = m.slice(1).join('');
    // Mixed separators such as "80:5e-c0..." are a typo, not a MAC.
    if (form === FORMS[0] && new Set(text.replace(/[0-9a-f]/gi, '')).size !== 1) return null;
    return hex.toLowerCase() as Mac;
  }
  return null;
}

export function parseMac(text: string): Mac {
  const mac = tryParseMac(text);
  if (!mac) {
    throw new InvalidInput(
      'mac must be 12 hex digits, alone or as 80:5E:C0:12:34:56, 80-5e-c0-12-34-56 or 805E.C012.3456',
      'invalid-mac',
    );
  }
  return mac;
}
