// Sites as the other pages meet them: the site selects of the extension and
// device forms, and how a site's registrar reads.
import { api, options } from './common.js';

/** Every site by name, from GET /api/sites. */
export async function loadSites() {
  return new Map((await api('GET', '/api/sites')).map((s) => [s.name, s]));
}

/** "pbx.example.com:5060 (UDP)", or "none". */
export function registrarText(server) {
  return server ? `${server.host}:${server.port} (${String(server.transport).toUpperCase()})` : 'none';
}

/** Fills a site select, keeping its empty option if it has one; a name not listed (yet) stays choosable. */
export function siteOptions(select, sites, value) {
  const names = [...sites.keys()];
  if (value && !sites.has(value)) names.push(value);
  options(select, names.map((n) => [n, `${n} (${sites.get(n)?.timeZone ?? 'unknown'})`]));
  if (value !== undefined) select.value = value ?? '';
}
