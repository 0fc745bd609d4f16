// Config templates: handlebars in noEscape mode (its HTML escaping is wrong for
// every format here), with each format's encoder helpers as the only way a
// value reaches the output. Values in a template context are wrapped so that a
// bare {{value}} fails the render instead of emitting unencoded text.
//
// Lookup for (vendor, template, model): the operator folder
// (PROV_TEMPLATES_DIR) with the model's template, then its vendor template,
// then the same two in the built-in templates/ folder.
import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { EncodeError, type HelperSet, type Scalar } from './encoders/encoder.ts';
import { FORMATS } from './encoders/index.ts';
import { findModel, type Profiles, type VendorProfile } from './profiles.ts';

/** A scalar that only an encoder helper may turn into text. */
export class Value {
  // Private, so no template can reach the raw text as {{x.value}} or {{#with x}}.
  readonly #value: Scalar;
  constructor(value: Scalar) {
    this.#value = value;
  }
  static unwrap(v: Value): Scalar {
    return v.#value;
  }
  [Symbol.toPrimitive](): never {
    throw new EncodeError('template', 'a value must pass through its format helper, e.g. {{cfg x}} or {{attr x}}');
  }
  toString(): never {
    return this[Symbol.toPrimitive]();
  }
}

// Booleans stay bare so that {{#if}} sees false; they cannot inject anything.
export type Wrapped<T> = T extends boolean
  ? T
  : T extends Scalar
  ? Value
  : T extends null | undefined
    ? T
    : T extends (infer U)[]
      ? Wrapped<U>[]
      : { [K in keyof T]: Wrapped<T[K]> };

// What wrap() built: a part of a context wrapped once (a vendor's settings,
// shared by every device) is reused as it is inside the next one.
const built = new WeakSet<object>();
// A record written bare ({{device}}) must fail, not print "[object Object]":
// every wrapped record inherits the refusal (a list gets its own property).
const RECORD: object = Object.freeze(Object.create(Object.prototype, { [Symbol.toPrimitive]: { value: refuseBare } }));

export function wrap<T>(data: T): Wrapped<T> {
  if (data === null || data === undefined) return data as Wrapped<T>;
  if (typeof data === 'boolean') return data as Wrapped<T>;
  if (typeof data === 'string' || typeof data === 'number') return new Value(data) as Wrapped<T>;
  if (data instanceof Value || built.has(data as object)) return data as Wrapped<T>;
  let out: object;
  if (Array.isArray(data)) {
    const list = new Array(data.length);
    for (let i = 0; i < data.length; i++) list[i] = wrap(data[i]);
    Object.defineProperty(list, Symbol.toPrimitive, { value: refuseBare, enumerable: false });
    out = list;
  } else {
    const record = Object.create(RECORD) as Record<string, unknown>;
    for (const key of Object.keys(data)) record[key] = wrap((data as Record<string, unknown>)[key]);
    out = record;
  }
  // Frozen: a part shared by every render must not be changed by one.
  built.add(Object.freeze(out));
  return out as Wrapped<T>;
}

function refuseBare(): never {
  throw new EncodeError('template', 'a list or record cannot be written as text; write its fields through the format helper');
}

export interface TemplateSet {
  render(profile: VendorProfile, template: string, model: string | null, context: unknown): string;
  /** The text of the template render() uses for (vendor, template, model), or null where there is none. */
  source(profile: VendorProfile, template: string, model: string | null): string | null;
  /** Operator files (relative to PROV_TEMPLATES_DIR) that match no vendor, template or model, so are never used. */
  unmatched: string[];
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

type Compiled = (context: unknown) => string;
interface Loaded {
  fn: Compiled;
  source: string;
}

function environment(format: string, helpers: HelperSet): typeof Handlebars {
  const env = Handlebars.create();
  for (const [name, encode] of Object.entries(helpers)) {
    env.registerHelper(name, (value: unknown) => {
      if (value instanceof Value) return encode(Value.unwrap(value));
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return encode(value);
      throw new EncodeError(format, `{{${name}}} was given no value`);
    });
  }
  return env;
}

function readFolder(root: string | null, vendor: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!root) return out;
  const dir = path.join(root, vendor);
  if (!fs.existsSync(dir)) return out;
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.hbs'))) {
    out.set(f.slice(0, -'.hbs'.length), fs.readFileSync(path.join(dir, f), 'utf8'));
  }
  return out;
}

/**
 * The key a template file is looked up by: the vendor template's name, or
 * `<model key>.<template>` with the model as the profile spells it, whatever
 * letter case or separators the file name uses (t46s.device.cfg, VVX-450.sip.cfg).
 * Null when the name is neither.
 */
function templateKey(profile: VendorProfile, name: string): string | null {
  const templates = new Set(profile.files.map((f) => f.template));
  if (templates.has(name)) return name;
  for (const template of templates) {
    const suffix = `.${template}`;
    if (name.length <= suffix.length || name.slice(-suffix.length).toLowerCase() !== suffix.toLowerCase()) continue;
    const model = findModel(profile, name.slice(0, -suffix.length));
    if (model) return `${model}.${template}`;
  }
  return null;
}

/** Every file under the operator folder that no vendor, template or model would ever read. */
function unmatchedFiles(root: string | null, profiles: Profiles): string[] {
  if (!root || !fs.existsSync(root)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    const profile = entry.isDirectory() ? profiles.get(entry.name) : undefined;
    if (!profile) {
      out.push(entry.isDirectory() ? `${entry.name}/` : entry.name);
      continue;
    }
    for (const f of fs.readdirSync(path.join(root, entry.name))) {
      if (!f.endsWith('.hbs') || templateKey(profile, f.slice(0, -'.hbs'.length)) === null) out.push(`${entry.name}/${f}`);
    }
  }
  return out.sort();
}

/**
 * Reads and compiles every template now, so a broken one is refused at load,
 * not at a fetch. `validate: false` skips the full parse that proves it: for
 * a process loading what another one has just proven (a worker taking the
 * primary's reload), which must not stall its phones for it.
 */
export function loadTemplates(profiles: Profiles, builtinDir: string, overrideDir: string | null, { validate = true } = {}): TemplateSet {
  const compiled = new Map<string, { override: Map<string, Loaded>; builtin: Map<string, Loaded> }>();
  for (const profile of profiles.all()) {
    const helpers = FORMATS[profile.format];
    if (!helpers) throw new TemplateError(`vendor profile ${profile.id}: unknown format ${profile.format}`);
    const env = environment(profile.format, helpers);
    // Told which helpers exist, handlebars calls them directly instead of
    // looking each one up at every use; a template naming any other fails at load.
    const known = Object.fromEntries(Object.keys(helpers).map((name) => [name, true]));
    const compileAll = (root: string | null, label: string) => {
      const out = new Map<string, Loaded>();
      for (const [file, source] of readFolder(root, profile.id)) {
        const name = templateKey(profile, file) ?? file;
        try {
          const fn = env.compile(source, { noEscape: true, strict: true, knownHelpers: known, knownHelpersOnly: true });
          // Handlebars compiles lazily; a first call with no data surfaces syntax errors now.
          if (validate) env.precompile(source, { noEscape: true, strict: true, knownHelpers: known, knownHelpersOnly: true });
          out.set(name, { fn: fn as Compiled, source });
        } catch (err) {
          throw new TemplateError(`${label}/${profile.id}/${file}.hbs: ${(err as Error).message}`);
        }
      }
      return out;
    };
    compiled.set(profile.id, {
      override: compileAll(overrideDir, 'PROV_TEMPLATES_DIR'),
      builtin: compileAll(builtinDir, 'templates'),
    });
    for (const spec of profile.files) {
      const sets = compiled.get(profile.id)!;
      if (!sets.override.has(spec.template) && !sets.builtin.has(spec.template)) {
        throw new TemplateError(`vendor ${profile.id}: no template ${spec.template}.hbs for ${spec.name}`);
      }
    }
  }

  function pick(profile: VendorProfile, template: string, model: string | null): Loaded | undefined {
    const sets = compiled.get(profile.id);
    return (
      (model ? sets?.override.get(`${model}.${template}`) : undefined) ??
      sets?.override.get(template) ??
      (model ? sets?.builtin.get(`${model}.${template}`) : undefined) ??
      sets?.builtin.get(template)
    );
  }

  return {
    unmatched: unmatchedFiles(overrideDir, profiles),
    render(profile, template, model, context) {
      const found = pick(profile, template, model);
      if (!found) throw new TemplateError(`vendor ${profile.id}: no template ${template}.hbs`);
      return found.fn(context);
    },
    source: (profile, template, model) => pick(profile, template, model)?.source ?? null,
  };
}
