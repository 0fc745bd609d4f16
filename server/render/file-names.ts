// File names as phones ask for them, from the profiles' patterns: expanding
// a pattern for a device or model code, and matching a requested name back to
// (profile, file, MAC, code).
import { tryParseMac, type Mac } from '../domain/mac.ts';
import type { FileSpec, Profiles, VendorProfile } from './profiles.ts';

export type UploadSpec = VendorProfile['uploads'][number];

/**
 * A rendered file the server serves, or a file the phone uploads (and may
 * read back). `stored` is the name it is kept under: the file's own name
 * with the MAC in lower case, whichever alias or letter case was asked for.
 */
export type FileMatch =
  | { kind: 'render'; profile: VendorProfile; spec: FileSpec; mac: Mac | null; code: string | null; stored: string }
  | { kind: 'upload'; profile: VendorProfile; spec: UploadSpec; mac: Mac; code: null; stored: string };

export function expandName(spec: Pick<FileSpec, 'name' | 'codeWidth'>, values: { mac?: string; code?: string }): string {
  return spec.name
    .replace('{mac}', values.mac ?? '{mac}')
    .replace('{code}', values.code === undefined ? '{code}' : values.code.padStart(spec.codeWidth ?? 0, '0'));
}

function patternOf(name: string, codeWidth: number | undefined, macCase: VendorProfile['macInFileNames']): RegExp {
  const escaped = name.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  const body = escaped
    .replace('{mac}', macCase === 'any' ? '(?<mac>[0-9A-Fa-f]{12})' : '(?<mac>[0-9a-f]{12})')
    .replace('{code}', codeWidth ? `(?<code>[0-9A-Za-z]{${codeWidth}})` : '(?<code>[0-9A-Za-z]+)');
  return new RegExp(`^${body}$`);
}

/** Codes of the profile's models, each as it appears padded in a file name. */
function paddedCodes(profile: VendorProfile, width: number | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of Object.values(profile.models)) {
    if (m.code !== undefined) out.set(m.code.padStart(width ?? 0, '0'), m.code);
  }
  return out;
}

export function createFileMatcher(profiles: Profiles) {
  const table = profiles.all().flatMap((profile) => [
    ...profile.files.flatMap((spec) =>
      [spec.name, ...spec.aliases].map((name) => ({ kind: 'render' as const, profile, spec, re: patternOf(name, spec.codeWidth, profile.macInFileNames) })),
    ),
    ...profile.uploads.map((spec) => ({ kind: 'upload' as const, profile, spec, re: patternOf(spec.name, undefined, profile.macInFileNames) })),
  ]);
  return function matchFile(name: string): FileMatch[] {
    const out: FileMatch[] = [];
    for (const entry of table) {
      const m = entry.re.exec(name);
      if (!m) continue;
      const mac = m.groups?.mac !== undefined ? tryParseMac(m.groups.mac) : null;
      if (entry.kind === 'upload') {
        if (mac) out.push({ kind: 'upload', profile: entry.profile, spec: entry.spec, mac, code: null, stored: expandName(entry.spec, { mac }) });
        continue;
      }
      let code: string | null = null;
      if (m.groups?.code !== undefined) {
        code = paddedCodes(entry.profile, entry.spec.codeWidth).get(m.groups.code) ?? null;
        if (code === null) continue;
      }
      const stored = expandName(entry.spec, { mac: mac ?? undefined, code: code ?? undefined });
      out.push({ kind: 'render', profile: entry.profile, spec: entry.spec, mac, code, stored });
    }
    return out;
  };
}
