// The console's page templates: one layout and a body per page, compiled
// once at start. Handlebars' HTML escaping stays on: these are HTML pages.
import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';

export const PAGE_NAMES = [
  'setup',
  'sign-in',
  'extensions',
  'extension',
  'devices',
  'device',
  'links',
  'sites',
  'import',
  'audit',
  'users',
  'forbidden',
] as const;
export type PageName = (typeof PAGE_NAMES)[number];

export interface PageView {
  title: string;
  user?: string;
  role?: string;
  admin?: boolean;
  param?: string | null;
}

export interface ConsolePages {
  render(name: PageName, view: PageView): string;
}

const NAV = [
  { href: '/extensions', label: 'Extensions', pages: ['extensions', 'extension'] },
  { href: '/devices', label: 'Devices', pages: ['devices', 'device'] },
  { href: '/sites', label: 'Sites', pages: ['sites'] },
  { href: '/links', label: 'Softphone links', pages: ['links'] },
  { href: '/import', label: 'Import', pages: ['import'], admin: true },
  { href: '/audit', label: 'Audit log', pages: ['audit'], admin: true },
  { href: '/users', label: 'Users and tokens', pages: ['users'], admin: true },
];

export function loadConsolePages(dir: string): ConsolePages {
  const hbs = Handlebars.create();
  const read = (name: string) => fs.readFileSync(path.join(dir, `${name}.hbs`), 'utf8');
  const layout = hbs.compile(read('layout'), { strict: false });
  // Markup more than one page holds (the export actions) is written once, as a partial.
  const partials = path.join(dir, 'partials');
  for (const file of fs.existsSync(partials) ? fs.readdirSync(partials) : []) {
    if (file.endsWith('.hbs')) hbs.registerPartial(path.basename(file, '.hbs'), fs.readFileSync(path.join(partials, file), 'utf8'));
  }
  const bodies = new Map(PAGE_NAMES.map((n) => [n, hbs.compile(read(n))] as const));
  return {
    render(name, view) {
      const signedIn = view.user !== undefined;
      const nav = signedIn
        ? NAV.filter((n) => !n.admin || view.admin).map((n) => ({ ...n, current: n.pages.includes(name) }))
        : [];
      const body = bodies.get(name)!(view);
      return layout({ ...view, page: name, nav, signedIn, body: new hbs.SafeString(body) });
    },
  };
}
