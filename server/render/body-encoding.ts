// From rendered text to the bytes served, as the profile says: line endings,
// then the character set, named in the Content-Type. MicroSIP reads a file
// without a BOM in the Windows ANSI code page, so anything beyond ASCII must
// go as UTF-16LE with a BOM.
import type { VendorProfile } from './profiles.ts';

export interface EncodedBody {
  bytes: Buffer;
  contentType: string;
}

export function encodeBody(profile: Pick<VendorProfile, 'body' | 'contentType'>, text: string): EncodedBody {
  const lines = profile.body.lineEnding === 'crlf' ? text.replace(/\r?\n/g, '\r\n') : text;
  if (profile.body.charset === 'ascii-or-utf16le-bom') {
    if (/[^\x00-\x7f]/.test(lines)) {
      const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(lines, 'utf16le')]);
      return { bytes: own(bytes), contentType: `${profile.contentType}; charset=utf-16le` };
    }
    return { bytes: own(Buffer.from(lines, 'ascii')), contentType: `${profile.contentType}; charset=us-ascii` };
  }
  return { bytes: own(Buffer.from(lines, 'utf8')), contentType: `${profile.contentType}; charset=utf-8` };
}

/**
 * The bytes in memory of their own. A small Buffer is a slice of a shared
 * 8 KiB pool; the served bytes are kept in a cache, where each slice would
 * keep its whole pool alive (several times what the cache counts).
 */
function own(bytes: Buffer): Buffer {
  if (bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length) return bytes;
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(copy);
  return copy;
}
