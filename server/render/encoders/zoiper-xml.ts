// Zoiper provisioning documents: XML whose values are element text.
import type { HelperSet, Scalar } from './encoder.ts';
import { xmlValue } from './xml.ts';

export const zoiperHelpers: HelperSet = { text: (value: Scalar) => xmlValue('zoiper-xml', value) };
