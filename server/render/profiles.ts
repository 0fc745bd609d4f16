// Vendor profiles: what the server knows about each vendor, loaded from
// vendor-profiles/*.json so that vendor knowledge is data, not code.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const profileSchema = z.looseObject({
  id: z.string().regex(/^[a-z0-9-]+$/),
  name: z.string().min(1),
  kind: z.enum(['desk-phone', 'softphone']),
  maxLines: z.number().int().min(1).max(256),
});

export type VendorProfile = z.infer<typeof profileSchema>;

export interface Profiles {
  get(vendor: string): VendorProfile | undefined;
  /** Vendors whose phones are mapped by MAC. */
  deskPhoneVendors(): string[];
}

export function loadProfiles(dir: string): Profiles {
  const byId = new Map<string, VendorProfile>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const where = path.join(dir, file);
    const parsed = profileSchema.safeParse(JSON.parse(fs.readFileSync(where, 'utf8')));
    if (!parsed.success) {
      throw new Error(`vendor profile ${where}: ${z.prettifyError(parsed.error)}`);
    }
    byId.set(parsed.data.id, parsed.data);
  }
  return {
    get: (vendor) => byId.get(vendor),
    deskPhoneVendors: () => [...byId.values()].filter((p) => p.kind === 'desk-phone').map((p) => p.id),
  };
}
