// Polycom configuration files: XML whose parameters are attributes.
import type { HelperSet, Scalar } from './encoder.ts';
import { xmlLinesValue, xmlValue } from './xml.ts';

export const polycomHelpers: HelperSet = {
  attr: (value: Scalar) => xmlValue('polycom-xml', value),
  /** Keeps line ends (as character references): for PEM certificates. */
  attrLines: (value: Scalar) => xmlLinesValue('polycom-xml', value),
};
