// MAC addresses as admins type them: any notation, any case, separators or
// none. Kept in step with server/domain/mac.ts (a test holds them together).

/** The 12 lowercase hex digits, or null when the text is not a whole MAC. */
export function normalizeMac(text) {
  const t = String(text);
  const colon = /^([0-9a-f]{2})([:-])([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$/i.exec(t);
  if (colon) return [1, 3, 4, 5, 6, 7].map((i) => colon[i]).join('').toLowerCase();
  const dots = /^([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})$/i.exec(t);
  if (dots) return (dots[1] + dots[2] + dots[3]).toLowerCase();
  if (/^[0-9a-f]{12}$/i.test(t)) return t.toLowerCase();
  return null;
}

/** For searching: the hex digits of a partial MAC in any notation ("80:5E:c0" → "805ec0"). */
export function macQuery(text) {
  return String(text).toLowerCase().replace(/[\s:.\-]/g, '');
}

/** 805ec0123456 → 80:5e:c0:12:34:56, the form phones print on their label. */
export function formatMac(mac) {
  return mac.match(/../g).join(':');
}
