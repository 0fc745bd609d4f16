// The spreadsheet's columns and how a cell's text is kept safe: a cell that
// a spreadsheet would run as a formula (=, +, -, @, tab, carriage return
// first, OWASP's CSV injection list) is written with a leading apostrophe,
// which spreadsheets show as text, and the import takes one apostrophe off
// again, so every value reads back as the same text.

/** Every column the import reads and the export writes, in the export's order. */
export const COLUMNS = [
  'extension',
  'name',
  'authUsername',
  'secret',
  'server',
  'transport',
  'site',
  'mac',
  'vendor',
  'model',
  'line',
  'label',
  'extensionLabel',
  'outboundProxy',
  'srtp',
  'deviceSite',
] as const;
export type Column = (typeof COLUMNS)[number];

/** The columns that describe the device line of a row. */
export const DEVICE_COLUMNS: readonly Column[] = ['mac', 'vendor', 'model', 'line', 'label', 'deviceSite'];

const byLowerName = new Map<string, Column>(COLUMNS.map((c) => [c.toLowerCase(), c]));

/** A header cell's column, whatever its letter case or surrounding spaces; undefined when unknown. */
export const columnOf = (header: string): Column | undefined => byLowerName.get(header.trim().toLowerCase());

const FORMULA = /^'*[=+\-@\t\r]/;

/** The text as a cell a spreadsheet shows as text. */
export function safeCell(value: string): string {
  return FORMULA.test(value) ? `'${value}` : value;
}

/** The text a safe cell was made from: one apostrophe fewer before a formula character. */
export function cellText(cell: string): string {
  return cell.startsWith("'") && FORMULA.test(cell) ? cell.slice(1) : cell;
}

/** host, host:port, or [IPv6]:port as a spreadsheet holds a registrar or proxy. */
export function splitHostPort(text: string): { host: string; port?: number } | null {
  const v6 = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  if (v6) return { host: v6[1]!, ...(v6[2] ? { port: Number(v6[2]) } : {}) };
  // A bare IPv6 address has several colons and no port.
  if ((text.match(/:/g) ?? []).length > 1) return { host: text };
  const m = /^([^:]+)(?::(\d{1,5}))?$/.exec(text);
  return m ? { host: m[1]!, ...(m[2] ? { port: Number(m[2]) } : {}) } : null;
}

export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
