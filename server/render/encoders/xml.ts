// XML text and attribute values. Every markup character is escaped every
// time, including an `&` that already starts something entity-shaped: the
// value is literal text, never markup. Characters XML 1.0 cannot carry, and
// control characters a parser would fold into spaces, are refused.
import { EncodeError, type Scalar } from './encoder.ts';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

// C0 controls (TAB, CR, LF included: attribute normalisation turns them into
// spaces), DEL, C1 controls, lone surrogates and the two non-characters.
const UNCARRIABLE = /[\u0000-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function xmlValue(format: string, value: Scalar): string {
  const text = String(value);
  if (UNCARRIABLE.test(text)) {
    throw new EncodeError(format, 'a value may not contain control characters or characters XML cannot carry');
  }
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/**
 * A multi-line value (a PEM certificate) in an attribute. Attribute-value
 * normalisation would turn a literal CR or LF into a space, so line ends go
 * as character references, which a parser gives back as the characters
 * themselves. Everything else follows xmlValue.
 */
export function xmlLinesValue(format: string, value: Scalar): string {
  const lines = String(value).split(/(\r\n|\r|\n)/);
  return lines.map((part, i) => (i % 2 === 1 ? part.replace(/\r/g, '&#13;').replace(/\n/g, '&#10;') : xmlValue(format, part))).join('');
}
