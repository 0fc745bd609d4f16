// Rendering: from a device and its extensions (secrets opened) to the bytes
// of every file the device fetches, and the files shared by all of a
// vendor's phones. Pure: no store, no clock, so identical inputs give
// identical bytes.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { DeviceRecord } from '../domain/device.ts';
import { effectiveSrtp, type ExtensionRecord } from '../domain/extension.ts';
import type { SiteRecord } from '../domain/site.ts';
import type { CaBundle } from './ca-bundle.ts';
import { expandName } from './file-names.ts';
import { findModel, linesFor, type FileSpec, type Profiles, type VendorProfile } from './profiles.ts';
import { siteContext, sitePolling } from './site-context.ts';
import { wrap, type TemplateSet } from './templates.ts';
import { textRuleProblem } from './text-rules.ts';

export interface OpenExtension {
  record: ExtensionRecord;
  secret: string;
}

export interface RenderSettings {
  /** Base URL phones reach the server on, without a trailing slash. */
  publicUrl: string;
  /** The registrar's CA bundle that phones on TLS extensions are told to trust, or null. */
  sipCa?: CaBundle | null;
}

/**
 * A file that could not be rendered: which owner, which file, and why.
 * `unsupported-value` when a vendor's text rule refused a value, rather than
 * a template or encoder failing.
 */
export class RenderFailure extends Error {
  constructor(
    readonly owner: string,
    readonly file: string,
    readonly reason: string,
    readonly code: 'render-failed' | 'unsupported-value' = 'render-failed',
  ) {
    super(`${owner} ${file}: ${reason}`);
    this.name = 'RenderFailure';
  }
}

export const vendorOwner = (vendor: string) => `vendor:${vendor}`;
export const extensionOwner = (number: string) => `extension:${number}`;

/**
 * One SIP account as every template sees it, transport and SRTP mode in the
 * vendor's own words; refused when the vendor's text rules cannot take it.
 */
function account(profile: VendorProfile, { record: e, secret }: OpenExtension, owner: string) {
  const srtp = effectiveSrtp(e);
  const text = { number: e.number, displayName: e.displayName, label: e.label ?? e.displayName, authUsername: e.authUsername, password: secret };
  const problem = textRuleProblem(profile, text);
  if (problem) throw new RenderFailure(owner, '*', `extension ${e.number}: ${problem}`, 'unsupported-value');
  return {
    ...text,
    server: {
      host: e.server.host,
      port: e.server.port,
      hostPort: hostPort(e.server.host, e.server.port),
      transport: profile.transports?.[e.server.transport] ?? e.server.transport,
    },
    outboundProxy: e.outboundProxy && { ...e.outboundProxy, hostPort: hostPort(e.outboundProxy.host, e.outboundProxy.port) },
    tls: e.server.transport === 'tls',
    srtp: { mode: srtp, ...profile.srtp?.[srtp] },
  };
}

/** host:port, with an IPv6 address in brackets so the port cannot be read as part of it. */
function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

export function createRenderer(profiles: Profiles, templates: TemplateSet, settings: RenderSettings) {
  const provUrl = new URL(settings.publicUrl + '/prov/');
  const provisioning = {
    url: provUrl.href,
    // Some phones join the folder and the file name with a slash of their own.
    folder: provUrl.href.replace(/\/$/, ''),
    https: provUrl.protocol === 'https:',
    // Polycom wants host[:port]/path without the scheme.
    serverName: `${provUrl.host}${provUrl.pathname.replace(/\/$/, '')}`,
  };

  // Certificates numbered from 1, for vendors with numbered certificate slots.
  const sipCa = settings.sipCa
    ? {
        url: new URL(settings.sipCa.fileName, provUrl).href,
        certificates: settings.sipCa.certificates.map((pem, i) => ({ slot: i + 1, pem })),
      }
    : null;

  // The parts of a context every device of a vendor (or model) shares,
  // wrapped once: a whole-fleet render would otherwise wrap them again for
  // every file of every device.
  const shared = new Map<string, object>();
  function once<T extends object>(key: string, make: () => T): T {
    let v = shared.get(key);
    if (!v) shared.set(key, (v = wrap(make())));
    return v as T;
  }
  const common = (profile: VendorProfile) =>
    once(`common:${profile.id}`, () => ({ provisioning, settings: profile.settings, modelFiles: modelFiles(profile) }));
  const modelShared = (profile: VendorProfile, model: string | null) =>
    once(`model:${profile.id}:${model ?? ''}`, () => ({
      // A model's firmware family may differ from the vendor's defaults (e.g. which SRTP keys it reads).
      settings: { ...profile.settings, ...(model ? profile.models[model]!.settings : undefined) },
      model: model ? modelContext(profile, model) : null,
    }));
  const trust = once('ca', () => ({ ca: sipCa }));

  // What a render reads besides the device's or extension's own record: the
  // profile, the templates it resolves to and the settings every file shares.
  // Two catalogs that agree on it render the same bytes from the same record.
  const fingerprints = new Map<string, string>();
  function inputsOf(profile: VendorProfile, model: string | null, scope: FileSpec['scope']): string {
    const key = `${scope}:${profile.id}:${model ?? ''}`;
    let digest = fingerprints.get(key);
    if (digest === undefined) {
      const files = profile.files.filter((f) => f.scope === scope).map((f) => [f.name, templates.source(profile, f.template, model)]);
      const all = JSON.stringify([profile, provisioning, sipCa, model, files]);
      digest = createHash('sha256').update(all).digest('base64');
      fingerprints.set(key, digest);
    }
    return digest;
  }
  const softphones = () => profiles.all().filter((p) => p.kind === 'softphone');
  // By vendor and model as a device record spells them: a whole-fleet pass asks once per device.
  const byDevice = new Map<string, string | null>();

  function run(profile: VendorProfile, spec: FileSpec, owner: string, file: string, model: string | null, ctx: unknown) {
    try {
      return templates.render(profile, spec.template, model, wrap(ctx));
    } catch (err) {
      throw new RenderFailure(owner, file, (err as Error).message);
    }
  }

  return {
    /**
     * The device's render inputs other than its own record and extensions, as
     * a digest; null for a vendor without a profile (its render fails).
     */
    deviceInputs(device: DeviceRecord): string | null {
      const key = `${device.vendor}\0${device.model ?? ''}`;
      let digest = byDevice.get(key);
      if (digest === undefined) {
        const profile = profiles.get(device.vendor);
        digest = profile ? inputsOf(profile, device.model ? findModel(profile, device.model) ?? null : null, 'device') : null;
        byDevice.set(key, digest);
      }
      return digest;
    },

    /** The inputs of every device of a vendor, whatever its model; null without a profile. */
    vendorInputs(vendor: string): string | null {
      const profile = profiles.get(vendor);
      if (!profile) return null;
      return [null, ...Object.keys(profile.models)].map((m) => inputsOf(profile, m, 'device')).join(' ');
    },

    /** The same for every softphone app's files of an extension. */
    extensionInputs(): string {
      return softphones().map((p) => inputsOf(p, null, 'extension')).join(' ');
    },

    /** Every device-scope file of the device's vendor, by file name. */
    renderDevice(
      device: DeviceRecord,
      extensions: (number: string) => OpenExtension,
      /** The password the phone authenticates to us with; its user is its MAC. */
      provPassword: string,
      /** Where the device stands: its clock, NTP, language and polling. */
      site: SiteRecord,
    ): Map<string, string> {
      const profile = profiles.get(device.vendor);
      if (!profile) throw new RenderFailure(device.mac, '*', `no vendor profile ${device.vendor}`);
      const model = device.model ? findModel(profile, device.model) ?? null : null;
      const lines = device.lines.map((l) => ({ line: l.line, ...account(profile, extensions(l.extension), device.mac) }));
      const used = new Set(device.lines.map((l) => l.line));
      // Wrapped once for all of the device's files.
      const shared = modelShared(profile, model);
      const polling = sitePolling(profile, site);
      const ctx = wrap({
        ...common(profile),
        ...shared,
        ...(polling && { settings: { ...shared.settings, ...polling } }),
        site: siteContext(profile, site),
        device: { mac: device.mac, model, label: device.label },
        login: { user: device.mac, password: provPassword },
        lines,
        // Lines the model has but the device does not use, so templates can switch them off.
        unusedLines: range(linesFor(profile, model)).filter((n) => !used.has(n)),
        // Only a phone with a TLS line is told to trust the registrar's CA; the others keep their own store.
        trust: lines.some((l) => l.tls) ? trust.ca : null,
      });
      const out = new Map<string, string>();
      for (const spec of profile.files.filter((f) => f.scope === 'device')) {
        const file = expandName(spec, { mac: device.mac });
        out.set(file, run(profile, spec, device.mac, file, model, ctx));
      }
      return out;
    },

    /** A softphone app's files for one extension, by file name. */
    renderExtension(profile: VendorProfile, ext: OpenExtension): Map<string, string> {
      const owner = extensionOwner(ext.record.number);
      const ctx = { ...common(profile), account: account(profile, ext, owner) };
      const out = new Map<string, string>();
      for (const spec of profile.files.filter((f) => f.scope === 'extension')) {
        out.set(spec.name, run(profile, spec, owner, spec.name, null, ctx));
      }
      return out;
    },

    /** The files every phone of the vendor shares (vendor- and model-scope). */
    renderVendor(profile: VendorProfile): Map<string, string> {
      const out = new Map<string, string>();
      const owner = vendorOwner(profile.id);
      for (const spec of profile.files) {
        if (spec.scope === 'vendor') {
          const file = expandName(spec, {});
          out.set(file, run(profile, spec, owner, file, null, { ...common(profile), model: null }));
        } else if (spec.scope === 'model') {
          // Models sharing a code (W52P/W56P) share one file, from the first one's template.
          for (const [code, names] of modelsByCode(profile)) {
            const file = expandName(spec, { code });
            const ctx = { ...common(profile), model: modelShared(profile, names[0]!).model };
            out.set(file, run(profile, spec, owner, file, names[0]!, ctx));
          }
        }
      }
      return out;
    },
  };
}

export type Renderer = ReturnType<typeof createRenderer>;

/** The model's table entry, with the model-scope files a phone of that model fetches. */
function modelContext(profile: VendorProfile, name: string) {
  const spec = profile.models[name]!;
  const files = spec.code === undefined ? [] : profile.files.filter((f) => f.scope === 'model').map((f) => expandName(f, { code: spec.code }));
  return { name, lines: spec.lines, code: spec.code ?? null, files };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

function modelsByCode(profile: VendorProfile): Map<string, string[]> {
  const byCode = new Map<string, string[]>();
  for (const [name, m] of Object.entries(profile.models)) {
    if (m.code !== undefined) byCode.set(m.code, [...(byCode.get(m.code) ?? []), name]);
  }
  return byCode;
}

/** Each model-scope file with the models that fetch it, for boot files that list them. */
function modelFiles(profile: VendorProfile): { file: string; models: string }[] {
  const specs = profile.files.filter((f) => f.scope === 'model');
  return specs.flatMap((spec) =>
    [...modelsByCode(profile)].map(([code, names]) => ({ file: expandName(spec, { code }), models: names.join(',') })),
  );
}
