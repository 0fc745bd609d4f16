// What each row of an import says, checked cell by cell against the same
// domain rules the API applies, so a value is refused alike whichever way it
// comes. An empty cell says nothing: the current value stays (a new record
// takes the default). Every problem is collected with its row and column,
// so the admin fixes the whole file at once.
import { AUTH_USERNAME, EXTENSION_NUMBER, SRTP_MODES, TRANSPORTS, isValidHost, textProblem, type SrtpMode, type Transport } from '../../domain/extension.ts';
import { tryParseMac, type Mac } from '../../domain/mac.ts';
import { secretProblem } from '../../domain/secret.ts';
import { SITE_NAME } from '../../domain/site.ts';
import { cellText, columnOf, DEVICE_COLUMNS, splitHostPort, type Column } from './csv-cells.ts';
import type { CsvTable } from './csv-read.ts';

export interface RowError {
  row: number;
  /** The column as the file names it; null for a problem of the whole row or file. */
  column: string | null;
  code: string;
  message: string;
}

export interface HostPort {
  host: string;
  port?: number;
}

export interface ImportRow {
  row: number;
  extension: string;
  name?: string;
  authUsername?: string;
  secret?: string;
  server?: HostPort;
  transport?: Transport;
  site?: string;
  extensionLabel?: string;
  outboundProxy?: HostPort;
  srtp?: SrtpMode;
  device?: { mac: Mac; vendor?: string; model?: string; line?: number; label?: string; site?: string };
}

type Cells = Partial<Record<Column, string>>;

/** Which column each header cell is; an unknown or repeated column is an error of row 1. */
function columnsOf(header: string[], errors: RowError[]): (Column | null)[] {
  const seen = new Set<Column>();
  const columns = header.map((name) => {
    const column = columnOf(name);
    if (!column) {
      if (name.trim() !== '') errors.push({ row: 1, column: name, code: 'unknown-column', message: `${name} is not a column the import knows` });
      return null;
    }
    if (seen.has(column)) errors.push({ row: 1, column: name, code: 'duplicate-column', message: `${column} is given twice` });
    seen.add(column);
    return column;
  });
  if (!seen.has('extension')) errors.push({ row: 1, column: 'extension', code: 'missing-column', message: 'the header needs an extension column' });
  return columns;
}

const ruled = (ok: boolean, message: string) => (ok ? null : message);

/** Each cell's rule: null when it holds, else what is wrong, without repeating the value. */
const RULES: Partial<Record<Column, (v: string) => string | null>> = {
  extension: (v) => ruled(EXTENSION_NUMBER.test(v), 'must be 1 to 32 characters of 0-9 A-Z a-z . _ -'),
  name: (v) => textProblem(v, 64),
  authUsername: (v) => ruled(AUTH_USERNAME.test(v), 'must be 1 to 64 characters a SIP user name may hold'),
  secret: secretProblem,
  server: (v) => hostPortProblem(v),
  transport: (v) => ruled((TRANSPORTS as readonly string[]).includes(v.toLowerCase()), `must be one of ${TRANSPORTS.join(', ')}`),
  site: (v) => ruled(SITE_NAME.test(v), 'must be a site name: a-z 0-9 . _ -'),
  mac: (v) => ruled(tryParseMac(v) !== null, 'must be 12 hex digits, alone or as 80:5E:C0:12:34:56, 80-5e-c0-12-34-56 or 805E.C012.3456'),
  vendor: (v) => ruled(/^[a-z0-9-]{1,32}$/i.test(v), 'must be a vendor id such as yealink or polycom'),
  model: (v) => textProblem(v, 64),
  line: (v) => ruled(/^\d{1,3}$/.test(v) && Number(v) >= 1 && Number(v) <= 256, 'must be a line number from 1'),
  label: (v) => textProblem(v, 64),
  extensionLabel: (v) => textProblem(v, 64),
  outboundProxy: (v) => hostPortProblem(v),
  srtp: (v) => ruled((SRTP_MODES as readonly string[]).includes(v.toLowerCase()), `must be one of ${SRTP_MODES.join(', ')}`),
  deviceSite: (v) => ruled(SITE_NAME.test(v), 'must be a site name: a-z 0-9 . _ -'),
};

const CODES: Partial<Record<Column, string>> = {
  extension: 'invalid-extension',
  secret: 'invalid-secret',
  server: 'invalid-host',
  outboundProxy: 'invalid-host',
  mac: 'invalid-mac',
  vendor: 'unknown-vendor',
  line: 'invalid-line',
  transport: 'invalid-transport',
  site: 'unknown-site',
  deviceSite: 'unknown-site',
};

function hostPortProblem(v: string): string | null {
  const hp = splitHostPort(v);
  if (!hp || !isValidHost(hp.host)) return 'must be a host name or IP address, with :port if not the default';
  return hp.port === undefined || (hp.port >= 1 && hp.port <= 65535) ? null : 'the port must be from 1 to 65535';
}

/** The rows the file describes, and every problem a cell has on its own. */
export function readRows(table: CsvTable): { rows: ImportRow[]; errors: RowError[] } {
  const errors: RowError[] = [];
  const columns = columnsOf(table.header, errors);
  const rows: ImportRow[] = [];
  for (const { row, cells: raw } of table.rows) {
    const cells: Cells = {};
    let bad = false;
    raw.forEach((cell, i) => {
      const column = columns[i];
      const value = cellText(cell.trim());
      if (!column || value === '') return;
      const problem = RULES[column]?.(value) ?? null;
      if (problem) {
        bad = true;
        errors.push({ row, column: table.header[i]!.trim(), code: CODES[column] ?? 'invalid-input', message: `${column}: ${problem}` });
      } else cells[column] = value;
    });
    if (raw.length > columns.length && raw.slice(columns.length).some((c) => c.trim() !== '')) {
      bad = true;
      errors.push({ row, column: null, code: 'extra-cells', message: 'the row has more cells than the header has columns' });
    }
    // A row with a bad cell is told for that cell alone: what it lacks follows from it.
    if (bad) continue;
    if (!cells.extension) {
      errors.push({ row, column: 'extension', code: 'missing-extension', message: 'every row needs an extension' });
      continue;
    }
    const device = DEVICE_COLUMNS.some((c) => cells[c] !== undefined);
    if (device && !cells.mac) {
      errors.push({ row, column: 'mac', code: 'missing-mac', message: 'a row with device columns needs the device’s MAC' });
      continue;
    }
    rows.push(toRow(row, cells));
  }
  return { rows, errors };
}

function toRow(row: number, c: Cells): ImportRow {
  return {
    row,
    extension: c.extension!,
    ...(c.name && { name: c.name }),
    ...(c.authUsername && { authUsername: c.authUsername }),
    ...(c.secret && { secret: c.secret }),
    ...(c.server && { server: splitHostPort(c.server)! }),
    ...(c.transport && { transport: c.transport.toLowerCase() as Transport }),
    ...(c.site && { site: c.site }),
    ...(c.extensionLabel && { extensionLabel: c.extensionLabel }),
    ...(c.outboundProxy && { outboundProxy: splitHostPort(c.outboundProxy)! }),
    ...(c.srtp && { srtp: c.srtp.toLowerCase() as SrtpMode }),
    ...(c.mac && {
      device: {
        mac: tryParseMac(c.mac)!,
        ...(c.vendor && { vendor: c.vendor.toLowerCase() }),
        ...(c.model && { model: c.model }),
        ...(c.line && { line: Number(c.line) }),
        ...(c.label && { label: c.label }),
        ...(c.deviceSite && { site: c.deviceSite }),
      },
    }),
  };
}
