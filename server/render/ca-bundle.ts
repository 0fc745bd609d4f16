// The registrar's CA bundle (PROV_SIP_CA_FILE): PEM certificates that desk
// phones on TLS extensions are told to trust. It is a render input like a
// template: its fingerprint names the file phones fetch, and each
// certificate's PEM block goes inline where a vendor wants it so.
import { X509Certificate, createHash } from 'node:crypto';
import fs from 'node:fs';

export interface CaBundle {
  /** The file's bytes, served exactly as they are. */
  bytes: Buffer;
  /** The name under /prov/ the bundle is served as; it changes with the bytes, so phones fetch a new bundle. */
  fileName: string;
  /** Each certificate's PEM block, exactly as written in the file (line ends included). */
  certificates: string[];
}

/** Phones and browsers agree on nothing bigger; a bundle is a handful of CA certificates. */
export const MAX_BUNDLE_BYTES = 256 * 1024;

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;

export class CaBundleError extends Error {
  constructor(problem: string) {
    super(problem);
    this.name = 'CaBundleError';
  }
}

/**
 * Reads the bytes as a PEM bundle: one or more CERTIFICATE blocks, each a
 * certificate node:crypto can parse, and nothing else but whitespace between
 * them. Throws a CaBundleError saying what is wrong (never the file's text).
 */
export function parseCaBundle(bytes: Buffer): CaBundle {
  if (bytes.length === 0) throw new CaBundleError('is empty');
  if (bytes.length > MAX_BUNDLE_BYTES) throw new CaBundleError(`is larger than ${MAX_BUNDLE_BYTES} bytes`);
  const text = bytes.toString('latin1');
  if (!/^[\x09\x0a\x0d\x20-\x7e]*$/.test(text)) throw new CaBundleError('is not PEM text (binary or non-ASCII bytes; DER must be converted to PEM)');
  const certificates: string[] = [];
  let rest = '';
  let at = 0;
  for (const m of text.matchAll(BLOCK)) {
    rest += text.slice(at, m.index);
    at = m.index + m[0].length;
    if (m[1] !== 'CERTIFICATE') throw new CaBundleError(`holds a ${m[1]} block; only CERTIFICATE blocks belong in a CA bundle`);
    // A self-signed registrar certificate trusted as itself is common enough not to insist on CA:TRUE.
    try {
      new X509Certificate(m[0]);
    } catch {
      throw new CaBundleError(`certificate ${certificates.length + 1} does not parse as X.509`);
    }
    certificates.push(m[0]);
  }
  rest += text.slice(at);
  if (certificates.length === 0) throw new CaBundleError('holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  if (rest.trim() !== '') throw new CaBundleError('holds text outside its PEM certificate blocks');
  const digest = createHash('sha256').update(bytes).digest('hex');
  return { bytes, fileName: `sip-ca-${digest.slice(0, 16)}.pem`, certificates };
}

export function readCaBundle(file: string): CaBundle {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new CaBundleError(`cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseCaBundle(bytes);
}
