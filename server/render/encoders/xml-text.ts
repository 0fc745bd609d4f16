// XML files whose values are element text (Grandstream, Snom, Fanvil), and
// Cisco's flat profile, whose element text the phone also runs through its
// macro expander where a field takes macros ($MA, $USER): there a `$` of the
// value's own is written `$$`, which the phone turns back into one `$`.
import type { HelperSet, Scalar } from './encoder.ts';
import { xmlValue } from './xml.ts';

export const xmlTextHelpers: HelperSet = { text: (value: Scalar) => xmlValue('xml-text', value) };

export const flatProfileHelpers: HelperSet = {
  text: (value: Scalar) => xmlValue('cisco-flat-profile', value),
  macro: (value: Scalar) => xmlValue('cisco-flat-profile', value).replace(/\$/g, '$$$$'),
};
