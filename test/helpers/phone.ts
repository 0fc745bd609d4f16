// Phone-side helpers: a device's provisioning credentials (read through the
// audited admin API, as an admin setting a phone up by hand would) and the
// Authorization headers a phone sends with them.
import type { TestServer } from './server.ts';

export interface PhoneCredentials {
  user: string;
  password: string;
}

export async function phoneCredentials(s: TestServer, mac: string): Promise<PhoneCredentials> {
  const r = await s.api('GET', `/api/devices/${mac}/credentials`);
  if (r.status !== 200) throw new Error(`credentials of ${mac}: ${r.status} ${r.text}`);
  return r.json as PhoneCredentials;
}

export function basic({ user, password }: PhoneCredentials): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
