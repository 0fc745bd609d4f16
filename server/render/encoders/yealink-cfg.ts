// Yealink .cfg values: `key = value` lines with no quoting and no escaping;
// the value runs to the end of the line. The only thing that can go wrong is
// a character that ends the line (or the string) early, so those are refused.
import { EncodeError, type HelperSet, type Scalar } from './encoder.ts';

export function cfgValue(value: Scalar): string {
  const text = String(value);
  if (/[\r\n\0]/.test(text)) {
    throw new EncodeError('yealink-cfg', 'a value may not contain CR, LF or NUL');
  }
  return text;
}

export const yealinkHelpers: HelperSet = { cfg: cfgValue };
