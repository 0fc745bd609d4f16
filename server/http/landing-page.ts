// The page a person sees when opening a softphone link in a browser. HTML,
// so this is the one template rendered with Handlebars' HTML escaping on.
import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';

export interface LandingView {
  app: string;
  instructions: string[];
  expiresAt: string;
  usesLeft: number;
  /** The extension registers over TLS: the page says whose certificates the app trusts. */
  tls: boolean;
}

export function loadLandingPage(root: string): (view: LandingView) => string {
  const source = fs.readFileSync(path.join(root, 'templates/pages/link.html.hbs'), 'utf8');
  return Handlebars.create().compile<LandingView>(source, { strict: true });
}
