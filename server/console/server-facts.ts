// What the console tells an admin about this server itself: the address to
// give phones (their provisioning-server setting, or DHCP option 66), how
// to set it on each vendor's phones, whether that address can work at all,
// and whether changes are pushed to phones or wait for their own polling.
import { isIP } from 'node:net';
import type { PushMode } from '../domain/notify.ts';
import type { Profiles } from '../render/profiles.ts';

export interface ServerFacts {
  publicUrl: string;
  /** PROV_PUBLIC_URL was not set: the URL was made from the host name. */
  publicUrlDerived: boolean;
  push: PushMode;
}

export type UrlWarning = 'not-configured' | 'loopback' | 'bare-hostname';

/** Why phones may not reach this URL: it was guessed, it is this machine only, or it is a name without a domain. */
export function urlWarnings(facts: ServerFacts): UrlWarning[] {
  const host = new URL(facts.publicUrl).hostname.replace(/^\[|\]$/g, '');
  const warnings: UrlWarning[] = facts.publicUrlDerived ? ['not-configured'] : [];
  const loopback = host === 'localhost' || host.endsWith('.localhost') || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
  if (loopback) warnings.push('loopback');
  else if (isIP(host) === 0 && !host.includes('.')) warnings.push('bare-hostname');
  return warnings;
}

export function serverView(facts: ServerFacts, profiles: Profiles) {
  const provisioningUrl = `${facts.publicUrl}/prov/`;
  return {
    provisioningUrl,
    dhcpOption66: provisioningUrl,
    warnings: urlWarnings(facts),
    push: { mode: facts.push },
    vendors: profiles
      .all()
      .filter((p) => p.kind === 'desk-phone')
      .map((p) => ({ id: p.id, name: p.name, setup: p.setup.map((step) => step.replaceAll('{url}', provisioningUrl)) })),
  };
}
