// The page a person sees when opening a softphone link in a browser. HTML,
// so this is the one template rendered with Handlebars' HTML escaping on.
// It runs no script; its one stylesheet is allowed by hash, not by
// 'unsafe-inline', and its form may post only back to this server.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';

export interface LandingView {
  app: string;
  instructions: string[];
  expiresAt: string;
  usesLeft: number;
  /** What the button does (download the file, or show a one-use app address). */
  action: 'download' | 'app-url';
  /** After the button, for apps that fetch their file: the one-use address and its QR code (SVG we made). */
  appUrl?: string;
  qrSvg?: string;
  /** The extension registers over TLS: the page says whose certificates the app trusts. */
  tls?: boolean;
}

const TEMPLATE = 'templates/pages/link.html.hbs';

function styleHashes(source: string): string[] {
  return [...source.matchAll(/<style>([^]*?)<\/style>/g)].map(
    (m) => `'sha256-${createHash('sha256').update(m[1]!, 'utf8').digest('base64')}'`,
  );
}

/** The page's Content-Security-Policy: no script, no framing, nothing fetched, the form posting back here. */
function policy(source: string): string {
  return [
    "default-src 'none'",
    `style-src ${styleHashes(source).join(' ') || "'none'"}`,
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export interface LandingPage {
  render(view: LandingView): string;
  /** Allows the page's own inline styles and nothing else. */
  csp: string;
}

/** The page from the project's templates folder under `root`. */
export function loadLandingPage(root: string): LandingPage {
  const source = fs.readFileSync(path.join(root, TEMPLATE), 'utf8');
  const hb = Handlebars.create();
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  const render = hb.compile<LandingView>(source, { strict: true });
  return { render: (view) => render({ appUrl: undefined, qrSvg: undefined, ...view }), csp: policy(source) };
}
