// Sites for the clock, NTP and language tests: the built-in default site
// with the fields a test changes, and one phone of every desk-phone vendor
// (the golden fixture's) rendered for a site.
import { builtInDefaultSite, type SiteRecord } from '../../server/domain/site.ts';
import type { Catalog } from '../../server/render/catalog.ts';
import { CLOCK_VENDORS, clockFile, readVendorClock, type ClockVendor, type VendorClock } from '../helpers/vendor-clock-reader.ts';
import { GOLDEN_CASES, GOLDEN_EXTENSIONS, PROV_PASSWORD, lookup, type GoldenCase } from './fixtures.ts';

export function site(fields: Partial<Pick<SiteRecord, 'name' | 'timeZone' | 'ntpServer' | 'language' | 'polling'>>): SiteRecord {
  return { ...builtInDefaultSite('UTC', '2024-01-01T00:00:00.000Z'), ...fields };
}

/** The golden case whose phone stands for each vendor here. */
export const SITE_CASES: Record<ClockVendor, GoldenCase> = Object.fromEntries(
  CLOCK_VENDORS.map((vendor) => {
    const name = { yealink: 'yealink-t46s', polycom: 'polycom-vvx450', grandstream: 'grandstream-grp2614', snom: 'snom-d785', fanvil: 'fanvil-x4u', cisco: 'cisco-cp-8841-3pcc' }[vendor];
    return [vendor, GOLDEN_CASES.find((c) => c.name === name)!];
  }),
) as Record<ClockVendor, GoldenCase>;

/** Every device file of the vendor's phone, rendered for the site. */
export function renderForSite(cat: Catalog, vendor: ClockVendor, s: SiteRecord): Map<string, string> {
  return cat.renderer.renderDevice(SITE_CASES[vendor].device, lookup(GOLDEN_EXTENSIONS), PROV_PASSWORD, s);
}

/** The clock, NTP server and language the vendor's phone reads from its files for the site. */
export function clockFor(cat: Catalog, vendor: ClockVendor, s: SiteRecord): VendorClock {
  const file = clockFile(vendor, SITE_CASES[vendor].device.mac);
  const body = renderForSite(cat, vendor, s).get(file);
  if (body === undefined) throw new Error(`${vendor} renders no ${file}`);
  return readVendorClock(vendor, body);
}
