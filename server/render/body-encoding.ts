// From rendered text to the bytes served, as the profile says: line endings,
// then the character set. MicroSIP reads a file without a BOM in the Windows
// ANSI code page, so anything beyond ASCII must go as UTF-16LE with a BOM.
import type { VendorProfile } from './profiles.ts';

export function encodeBody(profile: Pick<VendorProfile, 'body'>, text: string): Buffer {
  const lines = profile.body.lineEnding === 'crlf' ? text.replace(/\r?\n/g, '\r\n') : text;
  if (profile.body.charset === 'ascii-or-utf16le-bom' && /[^\x00-\x7f]/.test(lines)) {
    return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(lines, 'utf16le')]);
  }
  return Buffer.from(lines, 'utf8');
}
