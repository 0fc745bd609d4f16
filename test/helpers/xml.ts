// Reading XML files back with real parsers: fast-xml-parser (attributes and
// entity processing on, nothing trimmed or converted) for values, and
// libxml2's xmllint (Debian package libxml2-utils) for well-formedness and a
// second, independent read of attribute values. fast-xml-parser's own
// validator is lenient (it accepts a bare `&` or `<` in an attribute), which is
// why every file also goes through xmllint.
import { execFileSync, spawnSync } from 'node:child_process';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

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

/** `xmllint --noout -` on the text: libxml2's verdict on well-formedness. */
export function xmllint(text: string): LintResult {
  const run = spawnSync('xmllint', ['--noout', '-'], { input: text, encoding: 'utf8' });
  if (run.error) throw new Error(`xmllint could not run (install libxml2-utils): ${run.error.message}`);
  return { ok: run.status === 0, errors: run.stderr };
}

/** The value libxml2 reads for the attribute with that name (null when absent; an error when repeated). */
export function xmllintAttribute(text: string, name: string): string | null {
  if (!/^[A-Za-z0-9_.]+$/.test(name)) throw new Error(`not an attribute name: ${name}`);
  const nodes = `//@*[name()='${name}']`;
  const out = execFileSync('xmllint', ['--xpath', `concat(count(${nodes}), ':', string(${nodes}))`, '-'], {
    input: text,
    encoding: 'utf8',
  });
  // xmllint ends a string result with one newline of its own.
  const result = out.endsWith('\n') ? out.slice(0, -1) : out;
  const colon = result.indexOf(':');
  const count = Number(result.slice(0, colon));
  if (count > 1) throw new Error(`${name} is set ${count} times`);
  return count === 0 ? null : result.slice(colon + 1);
}
