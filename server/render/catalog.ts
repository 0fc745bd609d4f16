// The catalog: vendor profiles, compiled templates and the renderer built on
// them, loaded as one unit so that a reload either replaces all of it or none.
import path from 'node:path';
import { readCaBundle } from './ca-bundle.ts';
import { createFileMatcher } from './file-names.ts';
import { loadProfiles } from './profiles.ts';
import { createRenderer } from './renderer.ts';
import { loadTemplates } from './templates.ts';

export interface CatalogSources {
  root: string;
  /** PROV_TEMPLATES_DIR, or null. */
  overrideDir: string | null;
  publicUrl: string;
  /** PROV_SIP_CA_FILE, or null; read again on each load, so a reload picks up a replaced bundle. */
  sipCaFile?: string | null;
  /** False where the same sources were just proven by another process (see loadTemplates). */
  validate?: boolean;
}

export function loadCatalog({ root, overrideDir, publicUrl, sipCaFile = null, validate = true }: CatalogSources) {
  const profiles = loadProfiles(path.join(root, 'vendor-profiles'));
  const templates = loadTemplates(profiles, path.join(root, 'templates'), overrideDir, { validate });
  let sipCa = null;
  try {
    sipCa = sipCaFile ? readCaBundle(sipCaFile) : null;
  } catch (err) {
    throw new Error(`PROV_SIP_CA_FILE ${(err as Error).message}: ${sipCaFile}`);
  }
  return {
    profiles,
    renderer: createRenderer(profiles, templates, { publicUrl, sipCa }),
    matchFile: createFileMatcher(profiles),
    /** Operator template files that nothing reads (a misspelt vendor, template or model). */
    unmatchedOverrides: templates.unmatched,
    /** The bundle the renders in force point phones at, served under /prov/ by its own name. */
    sipCa,
  };
}

export type Catalog = ReturnType<typeof loadCatalog>;

/** Holds the catalog in force; a successful reload swaps it. */
export interface CatalogHolder {
  current(): Catalog;
  swap(next: Catalog): void;
}

export function holdCatalog(initial: Catalog): CatalogHolder {
  let catalog = initial;
  return {
    current: () => catalog,
    swap: (next) => {
      catalog = next;
    },
  };
}
