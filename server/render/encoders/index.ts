// The encoder sets by format name, as vendor profiles refer to them.
import type { HelperSet } from './encoder.ts';
import { microsipHelpers } from './microsip-ini.ts';
import { polycomHelpers } from './polycom-xml.ts';
import { yealinkHelpers } from './yealink-cfg.ts';
import { flatProfileHelpers, xmlTextHelpers } from './xml-text.ts';
import { zoiperHelpers } from './zoiper-xml.ts';

export const FORMATS: Record<string, HelperSet> = {
  'yealink-cfg': yealinkHelpers,
  'polycom-xml': polycomHelpers,
  'zoiper-xml': zoiperHelpers,
  'microsip-ini': microsipHelpers,
  'xml-text': xmlTextHelpers,
  'cisco-flat-profile': flatProfileHelpers,
};
