// Reading XML files back with real parsers: fast-xml-parser (attributes and
// entity processing on, nothing trimmed or converted) for values, and libxml2
// itself (the libxml2-wasm build from npm, so no system package is needed) for
// well-formedness and a second, independent read of values by XPath.
// fast-xml-parser's own validator is lenient (it accepts a bare `&` or `<` in
// an attribute), which is why every file also goes through libxml2.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { XmlDocument } from 'libxml2-wasm';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  processEntities: true,
  htmlEntities: false,
  trimValues: false,
  parseAttributeValue: false,
  parseTagValue: false,
  ignoreDeclaration: true,
  allowBooleanAttributes: false,
});

/** Parses a document with fast-xml-parser after its validator accepts it. */
export function parseXml(text: string): Record<string, unknown> {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new Error(`fast-xml-parser refuses the document: ${JSON.stringify(valid.err)}`);
  return parser.parse(text) as Record<string, unknown>;
}

/**
 * Every attribute of every element, as one parameter table the way Polycom
 * reads its files (element names are free). A parameter set twice in one file
 * is an error: which one the phone keeps is not documented.
 */
export function polycomParams(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (node: unknown, where: string): void => {
    if (Array.isArray(node)) return node.forEach((n) => walk(n, where));
    if (node === null || typeof node !== 'object') return;
    for (const [name, value] of Object.entries(node)) {
      if (typeof value === 'string') {
        if (out.has(name)) throw new Error(`${name} is set twice (again in <${where}>)`);
        out.set(name, value);
      } else {
        walk(value, name);
      }
    }
  };
  walk(parseXml(text), '');
  return out;
}

/** The element names of the document's root, with their attributes, as fast-xml-parser reads them. */
export function rootOf(text: string): [string, Record<string, unknown>] {
  const entries = Object.entries(parseXml(text));
  if (entries.length !== 1) throw new Error(`expected one root element, found ${entries.map(([k]) => k).join(', ')}`);
  return entries[0] as [string, Record<string, unknown>];
}

export interface LintResult {
  ok: boolean;
  errors: string;
}

function parseWithLibxml(input: string | Buffer): XmlDocument {
  return typeof input === 'string' ? XmlDocument.fromString(input) : XmlDocument.fromBuffer(input);
}

/** libxml2's verdict on well-formedness (what `xmllint --noout` says). */
export function xmllint(input: string | Buffer): LintResult {
  try {
    parseWithLibxml(input).dispose();
    return { ok: true, errors: '' };
  } catch (err) {
    return { ok: false, errors: (err as Error).message };
  }
}

/** The string value libxml2 reads for the nodes an XPath selects: null when none, an error when several. */
export function libxmlValue(input: string | Buffer, nodes: string, what: string): string | null {
  const doc = parseWithLibxml(input);
  try {
    const count = doc.eval(`count(${nodes})`) as number;
    if (count > 1) throw new Error(`${what} is set ${count} times`);
    // A leading "x" keeps the binding's UTF-8 decoder from eating a U+FEFF the value starts with.
    return count === 0 ? null : (doc.eval(`concat("x", string(${nodes}))`) as string).slice(1);
  } finally {
    doc.dispose();
  }
}

/** The value libxml2 reads for the attribute with that name (null when absent; an error when repeated). */
export function xmllintAttribute(text: string, name: string): string | null {
  if (!/^[A-Za-z0-9_.]+$/.test(name)) throw new Error(`not an attribute name: ${name}`);
  return libxmlValue(text, `//@*[name()='${name}']`, name);
}
