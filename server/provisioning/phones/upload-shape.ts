// What a phone may upload: exactly what its vendor uploads, nothing a
// browser could run. An override is XML whose root is the vendor's override
// element (Polycom's PHONE_CONFIG) holding elements whose content is
// attributes: no other namespace, no processing instruction but the XML
// declaration, no document type, no text. A log is text. Anything else is
// refused before it is stored.
import { create } from 'xmlbuilder2';

export interface OverrideShape {
  root: string;
  /** The element names the root may hold; absent: any, as long as each is plain and holds attributes only. */
  children?: readonly string[] | undefined;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const ELEMENT = 1;
const TEXT = 3;
const CDATA = 4;
const PI = 7;
const COMMENT = 8;
const DOCTYPE = 10;

interface DomNode {
  nodeType: number;
  nodeName: string;
  namespaceURI: string | null;
  prefix: string | null;
  data?: string;
  childNodes: ArrayLike<DomNode>;
  attributes?: ArrayLike<{ name: string; namespaceURI: string | null }>;
}

const foreignAttribute = (a: { name: string; namespaceURI: string | null }) => a.namespaceURI !== null || a.name === 'xmlns' || a.name.includes(':');
const plainElement = (n: DomNode) => n.namespaceURI === null && n.prefix === null && !Array.from(n.attributes ?? []).some(foreignAttribute);

/** Why these bytes are not an override of this shape, or null when they are one. */
export function overrideProblem(bytes: Buffer, shape: OverrideShape | undefined): string | null {
  if (!shape) return 'this vendor uploads no overrides';
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return 'not UTF-8';
  }
  // A document type (and the entities it could declare) has no place in an override.
  if (/<!DOCTYPE/i.test(text)) return 'a document type';
  let doc: DomNode;
  try {
    doc = create(text).node as unknown as DomNode;
  } catch {
    return 'not XML';
  }
  for (const n of Array.from(doc.childNodes)) {
    if (n.nodeType === PI || n.nodeType === DOCTYPE) return 'a processing instruction or document type';
  }
  const root = Array.from(doc.childNodes).find((n) => n.nodeType === ELEMENT);
  if (!root || root.nodeName !== shape.root || !plainElement(root)) return `the root element must be ${shape.root}`;
  for (const child of Array.from(root.childNodes)) {
    if (child.nodeType === COMMENT || (child.nodeType === TEXT && !child.data?.trim())) continue;
    if (child.nodeType !== ELEMENT || !plainElement(child) || (shape.children && !shape.children.includes(child.nodeName))) {
      return `${shape.root} may hold only ${shape.children?.join(', ') ?? 'plain'} elements`;
    }
    for (const inner of Array.from(child.childNodes)) {
      if (inner.nodeType === COMMENT || (inner.nodeType === TEXT && !inner.data?.trim())) continue;
      return inner.nodeType === CDATA || inner.nodeType === TEXT ? 'text where only attributes belong' : 'elements where only attributes belong';
    }
  }
  return null;
}

/** Why these bytes are not a log (text without NULs, in UTF-8), or null. */
export function logProblem(bytes: Buffer): string | null {
  try {
    return UTF8.decode(bytes).includes('\u0000') ? 'binary, not text' : null;
  } catch {
    return 'not UTF-8';
  }
}
