// Vendor profiles: what the server knows about each vendor, loaded from
// vendor-profiles/*.json so that vendor knowledge is data, not code. Adding a
// model is a JSON edit; adding a vendor is a JSON file and its templates.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { SRTP_MODES, TRANSPORTS } from '../domain/extension.ts';
import { SITE_LANGUAGES } from '../domain/site.ts';

const fileSpec = z.strictObject({
  /** File name as phones ask for it; {mac} and {code} are filled in. */
  name: z.string().regex(/^[A-Za-z0-9._{}-]+$/),
  template: z.string().regex(/^[a-z0-9-]+(\.[a-z0-9]+)*$/),
  /** device: one per device; vendor: one for all; model: one per model code; extension: one per extension (softphones). */
  scope: z.enum(['device', 'vendor', 'model', 'extension']),
  /** Holds a SIP secret: its fetch marks the device synced, and it needs the device's credentials. */
  credentials: z.boolean().default(false),
  /** An unknown MAC asking for this file with this vendor's User-Agent is recorded as unassigned. */
  detect: z.boolean().default(false),
  /** Fetched only by phones that have no file of their own (e.g. Yealink's common boot file). */
  fallback: z.boolean().default(false),
  /** Width to zero-pad {code} to. */
  codeWidth: z.number().int().min(1).max(12).optional(),
  /**
   * Other names the phone asks for the same file by (Grandstream's bare
   * `cfg{mac}`), with the same placeholders: each is answered with this
   * file's bytes and counts as a fetch of it.
   */
  aliases: z.array(z.string().regex(/^[A-Za-z0-9._{}-]+$/)).default([]),
});

const model = z.strictObject({
  lines: z.number().int().min(1).max(256),
  code: z.string().regex(/^[0-9A-Za-z]+$/).optional(),
  /** Settings of this model's firmware family that differ from the vendor's, laid over `settings` in its device files. */
  settings: z.record(z.string(), z.unknown()).optional(),
});

/** The account fields a vendor's text rules may name. */
export const ACCOUNT_TEXT_FIELDS = ['number', 'displayName', 'label', 'authUsername', 'password'] as const;
export type AccountTextField = (typeof ACCOUNT_TEXT_FIELDS)[number];

/**
 * Text a vendor's files cannot carry although the API accepts it: a change
 * that would send such a value to one of the vendor's phones is refused when
 * the admin makes it, naming the rule, instead of reaching the phone mangled.
 */
const textRule = z.strictObject({
  fields: z.array(z.enum(ACCOUNT_TEXT_FIELDS)).min(1),
  /** A JavaScript regular expression; a value it finds a match in is refused. */
  refuse: z.string().min(1).optional(),
  maxLength: z.number().int().min(1).optional(),
  /** Told to the admin whose change is refused. */
  reason: z.string().min(1),
});

const profileSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/),
  name: z.string().min(1),
  kind: z.enum(['desk-phone', 'softphone']),
  /** Encoder set the templates use (see render/encoders). */
  format: z.string().min(1),
  /** Media type without a charset: the charset is the one the body is encoded in. */
  contentType: z.string().regex(/^[a-z]+\/[a-z0-9.+-]+$/),
  maxLines: z.number().int().min(1).max(256),
  /** Regular expression with named groups model, firmware and (where sent) mac. */
  userAgent: z.string().optional(),
  /**
   * The letter case the phones write the MAC in file names with: `lower`
   * only, or `any` (Snom expands `{mac}` in upper case). Stored names always
   * hold it in lower case; a request in another case is answered only where
   * the profile says `any`.
   */
  macInFileNames: z.enum(['lower', 'any']).default('lower'),
  /** The vendor's phones always send their MAC in the User-Agent: a claim without it is not one of them. */
  claimNeedsMac: z.boolean().default(false),
  transports: z.record(z.enum(TRANSPORTS), z.string()).optional(),
  /** Each SRTP mode in the vendor's own words: named values the templates write (e.g. {"srtp_encryption": "2"}). */
  srtp: z.record(z.enum(SRTP_MODES), z.record(z.string(), z.string())).optional(),
  models: z.record(z.string(), model).default({}),
  files: z.array(fileSpec).default([]),
  /** Files the phone uploads with PUT (overrides and logs). */
  uploads: z.array(z.strictObject({ name: z.string(), override: z.boolean().default(false) })).default([]),
  /** What an uploaded override must look like: XML with this root holding only these elements, their content attributes. */
  overrideXml: z.strictObject({ root: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/), children: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/)).min(1).optional() }).optional(),
  /** Override parameters removed when a secret changes, so the server's secret wins. */
  overrideCredentialKeys: z.array(z.string()).default([]),
  /** What the vendor's files cannot carry although the API accepts it (see textRule). */
  textRules: z.array(textRule).default([]),
  /** How served bytes are made from the rendered text (softphone files read on Windows need CRLF and UTF-16). */
  body: z
    .strictObject({
      lineEnding: z.enum(['lf', 'crlf']).default('lf'),
      charset: z.enum(['utf-8', 'ascii-or-utf16le-bom']).default('utf-8'),
    })
    .default({ lineEnding: 'lf', charset: 'utf-8' }),
  /** Softphones: the file name a download is saved under. */
  download: z.string().regex(/^[A-Za-z0-9._-]+$/).optional(),
  /**
   * Softphones: what the landing page's button does. download: the file
   * itself; app-url: a one-use address (and its QR code) for the app to fetch
   * the file from, valid for a few minutes.
   */
  linkAction: z.enum(['download', 'app-url']).default('download'),
  /** Softphones: what the landing page tells the user, one paragraph each. */
  instructions: z.array(z.string()).default([]),
  /**
   * Desk phones that re-fetch on a SIP NOTIFY: the Event header that asks for
   * a plain re-fetch (never a reboot). Without it the vendor is never notified.
   */
  checkSync: z.strictObject({ event: z.string().regex(/^[A-Za-z0-9.!%*_+`'~-]+(;[A-Za-z0-9_-]+(=[A-Za-z0-9_.-]+)?)*$/) }).optional(),
  /** Free settings handed to the templates as `settings`. */
  settings: z.record(z.string(), z.unknown()).default({}),
  /**
   * Desk phones: which of `settings` holds the interval the phone polls for
   * its files at on its own, and its unit, so the console can say when a
   * phone that push cannot reach will fetch by itself.
   */
  polling: z.strictObject({ setting: z.string().min(1), unit: z.enum(['seconds', 'minutes', 'hours']) }).optional(),
  /** Desk phones: the vendor's name for each site language (domain/site.ts) its templates write. */
  languages: z.partialRecord(z.enum(SITE_LANGUAGES), z.string().min(1)).optional(),
  /** Desk phones: how an admin points a phone at the server, one step each; `{url}` is the provisioning URL. */
  setup: z.array(z.string().min(1)).default([]),
});

export type VendorProfile = z.infer<typeof profileSchema>;
export type FileSpec = z.infer<typeof fileSpec>;
export type ModelSpec = z.infer<typeof model>;

export interface Profiles {
  get(vendor: string): VendorProfile | undefined;
  all(): VendorProfile[];
  /** Vendors whose phones are mapped by MAC. */
  deskPhoneVendors(): string[];
  /** Apps that a provisioning link can be made for. */
  softphoneApps(): string[];
}

export function loadProfiles(dir: string): Profiles {
  const byId = new Map<string, VendorProfile>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const where = path.join(dir, file);
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(where, 'utf8'));
    } catch (err) {
      throw new Error(`vendor profile ${where}: ${(err as Error).message}`);
    }
    const parsed = profileSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`vendor profile ${where}: ${z.prettifyError(parsed.error)}`);
    try {
      if (parsed.data.userAgent) new RegExp(parsed.data.userAgent);
      for (const rule of parsed.data.textRules) if (rule.refuse) new RegExp(rule.refuse, 'u');
    } catch (err) {
      throw new Error(`vendor profile ${where}: ${(err as Error).message}`);
    }
    for (const spec of parsed.data.files) {
      const odd = spec.aliases.find((alias) => placeholders(alias) !== placeholders(spec.name));
      if (odd) throw new Error(`vendor profile ${where}: alias ${odd} must name the same placeholders as ${spec.name}`);
    }
    byId.set(parsed.data.id, parsed.data);
  }
  return {
    get: (vendor) => byId.get(vendor),
    all: () => [...byId.values()],
    deskPhoneVendors: () => [...byId.values()].filter((p) => p.kind === 'desk-phone').map((p) => p.id),
    softphoneApps: () => [...byId.values()].filter((p) => p.kind === 'softphone').map((p) => p.id),
  };
}

/** The {mac} and {code} a file name holds, in a fixed order: an alias must hold the same ones as its file's name. */
function placeholders(name: string): string {
  return ['{mac}', '{code}'].filter((p) => name.includes(p)).join();
}

/** The profile's model key for a name an admin or a User-Agent gives: "t46s", "VVX 450", "VVX_450". */
export function findModel(profile: VendorProfile, name: string): string | undefined {
  const squash = (s: string) => s.toUpperCase().replace(/[\s_-]+/g, '');
  const wanted = squash(name);
  return Object.keys(profile.models).find((k) => squash(k) === wanted);
}

const UNIT_SECONDS = { seconds: 1, minutes: 60, hours: 3600 } as const;

/** How often a phone of this model polls on its own, from the settings its files are rendered with; null when unknown. */
export function pollingSeconds(profile: VendorProfile, modelKey: string | null, siteMinutes: number | null = null): number | null {
  if (!profile.polling) return null;
  if (siteMinutes !== null) return siteMinutes * 60;
  const settings = { ...profile.settings, ...(modelKey ? profile.models[modelKey]?.settings : {}) };
  const value = Number(settings[profile.polling.setting]);
  return Number.isFinite(value) && value > 0 ? value * UNIT_SECONDS[profile.polling.unit] : null;
}

export function linesFor(profile: VendorProfile, modelKey: string | null): number {
  return (modelKey && profile.models[modelKey]?.lines) || profile.maxLines;
}
