// Sites: where phones stand. A site holds what every phone there shares and
// an admin sets once instead of on every extension: the local time zone (with
// its summer time rules), an NTP server, the handset language, the registrar
// new extensions take, and how often the phones poll on their own.
import type { SipServer } from './extension.ts';

export interface SiteRecord {
  name: string;
  /** An IANA name such as Europe/Berlin. */
  timeZone: string;
  ntpServer: string | null;
  /** A language code of SITE_LANGUAGES; each vendor's profile names it in its own words. */
  language: string | null;
  /** The registrar an extension created in this site without one takes (and keeps following). */
  server: SipServer | null;
  /** Minutes between a phone's own polls for its files; null: the vendor's default. */
  polling: number | null;
  createdAt: string;
  updatedAt: string;
  rev: number;
}

export { DEFAULT_SITE, siteOf } from './site-name.ts';
import { DEFAULT_SITE } from './site-name.ts';

export const SITE_NAME = /^[a-z0-9][a-z0-9._-]{0,31}$/;

/**
 * Languages every desk-phone vendor the server knows can show, by ISO 639-1
 * code; a vendor's profile maps each to its own name for it.
 */
export const SITE_LANGUAGES = ['en', 'de', 'fr', 'es', 'it', 'nl', 'pt', 'pl', 'ru', 'tr'] as const;
export type SiteLanguage = (typeof SITE_LANGUAGES)[number];

/** The default site before an admin changes it: UTC, the vendors' own NTP and language, no registrar. */
export function builtInDefaultSite(timeZone: string, at: string): SiteRecord {
  return { name: DEFAULT_SITE, timeZone, ntpServer: null, language: null, server: null, polling: null, createdAt: at, updatedAt: at, rev: 0 };
}

/** The default site until an admin sets it (stored at revision 0 by nobody; a fixed date, so its renders never differ). */
export const UNSET_DEFAULT_SITE = builtInDefaultSite('UTC', '1970-01-01T00:00:00.000Z');

/** The store guard every change that starts or stops referring to the site takes, and its deletion. */
export const siteGuard = (name: string) => `site:${name}`;

/**
 * The site whose clock a device's files carry: the one the admin placed it
 * in, else its first line's extension's (a phone on a Berlin extension is in
 * Berlin), else the default one.
 */
export function deviceSite(device: { site?: string; lines: readonly { line: number; extension: string }[] }, extensionSite: (number: string) => string): string {
  if (device.site !== undefined) return device.site;
  const first = [...device.lines].sort((a, b) => a.line - b.line)[0];
  return first ? extensionSite(first.extension) : DEFAULT_SITE;
}

export function publicSite(site: SiteRecord) {
  return {
    name: site.name,
    timeZone: site.timeZone,
    ntpServer: site.ntpServer,
    language: site.language,
    server: site.server,
    polling: site.polling,
    createdAt: site.createdAt,
    updatedAt: site.updatedAt,
  };
}
