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
  { href: '/links', label: 'Softphone links', pages: ['links'] },
  { href: '/audit', label: 'Audit log', pages: ['audit'], admin: true },
  { href: '/users', label: 'Users and tokens', pages: ['users'], admin: true },
];

export function loadConsolePages(dir: string): ConsolePages {
  const hbs = Handlebars.create();
  const read = (name: string) => fs.readFileSync(path.join(dir, `${name}.hbs`), 'utf8');
  const layout = hbs.compile(read('layout'), { strict: false });
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
