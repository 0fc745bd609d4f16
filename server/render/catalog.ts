// The catalog: vendor profiles, compiled templates and the renderer built on
// them, loaded as one unit so that a reload either replaces all of it or none.
import path from 'node:path';
import { createFileMatcher } from './file-names.ts';
import { loadProfiles } from './profiles.ts';
import { createRenderer } from './renderer.ts';
import { loadTemplates } from './templates.ts';

export interface CatalogSources {
  root: string;
  /** PROV_TEMPLATES_DIR, or null. */
  overrideDir: string | null;
  publicUrl: string;
}

export function loadCatalog({ root, overrideDir, publicUrl }: CatalogSources) {
  const profiles = loadProfiles(path.join(root, 'vendor-profiles'));
  const templates = loadTemplates(profiles, path.join(root, 'templates'), overrideDir);
  return {
    profiles,
    renderer: createRenderer(profiles, templates, { publicUrl }),
    matchFile: createFileMatcher(profiles),
    /** Operator template files that nothing reads (a misspelt vendor, template or model). */
    unmatchedOverrides: templates.unmatched,
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
