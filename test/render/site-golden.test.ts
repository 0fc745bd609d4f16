// Golden files for a site that sets everything: Europe/Berlin with summer
// time, an NTP server and German, one phone of each desk-phone vendor, every
// device file, byte for byte (test/render/golden/site-berlin-*/). The other
// golden cases are rendered for the default site (UTC, no NTP, no language).
//
// Regenerate after an intended change, then READ the diff against
// docs/vendors.md before committing it:
//   UPDATE_GOLDEN=1 npx ava test/render/site-golden.test.ts
import test from 'ava';
import { CLOCK_VENDORS } from '../helpers/vendor-clock-reader.ts';
import { catalog } from './fixtures.ts';
import { matchGolden } from './golden-files.ts';
import { SITE_CASES, renderForSite, site } from './site-fixtures.ts';

const cat = catalog();
const BERLIN = site({ name: 'berlin', timeZone: 'Europe/Berlin', ntpServer: 'ntp.example.org', language: 'de' });

for (const vendor of CLOCK_VENDORS) {
  const folder = `site-berlin-${SITE_CASES[vendor].name}`;
  test(`${folder}: every device file matches its golden file byte for byte`, (t) => {
    const bytes = new Map([...renderForSite(cat, vendor, BERLIN)].map(([name, body]) => [name, Buffer.from(body, 'utf8')]));
    matchGolden(t, folder, bytes);
  });
}
