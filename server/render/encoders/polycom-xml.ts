// Polycom configuration files: XML whose parameters are attributes.
import type { HelperSet, Scalar } from './encoder.ts';
import { xmlValue } from './xml.ts';

export const polycomHelpers: HelperSet = { attr: (value: Scalar) => xmlValue('polycom-xml', value) };
