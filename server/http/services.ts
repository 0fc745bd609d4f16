// The use cases the HTTP routers call, as the composition root
// (server/assemble.ts) builds them.
import type { createAuditReader } from '../provisioning/audit/audit-reader.ts';
import type { DeviceFiles } from '../provisioning/devices/device-files.ts';
import type { Devices } from '../provisioning/devices/devices.ts';
import type { Links } from '../provisioning/links/links.ts';
import type { PhoneRequests } from '../provisioning/phones/phone-requests.ts';
import type { Extensions } from '../provisioning/extensions/extensions.ts';
import type { Tokens } from '../provisioning/tokens/tokens.ts';
import type { ReloadResult } from '../provisioning/fleet/templates-reload.ts';
import type { SyncRequests } from '../notify/sync-requests.ts';
import type { Actor } from '../domain/token.ts';
import type { CaBundle } from '../render/ca-bundle.ts';
import type { CredentialFeed } from '../pbx/credential-feed.ts';
import type { Registrations } from '../provisioning/registrations/registrations.ts';
import type { Webhooks } from '../webhooks/webhooks.ts';
import type { Sites } from '../provisioning/sites/sites.ts';
import type { Export } from '../provisioning/bulk/export.ts';
import type { Import } from '../provisioning/bulk/import.ts';

export interface Services {
  extensions: Extensions;
  devices: Devices;
  deviceFiles: DeviceFiles;
  reloadTemplates: (actor: Actor, options?: { full?: boolean }) => Promise<ReloadResult>;
  phone: PhoneRequests;
  links: Links;
  tokens: Tokens;
  audit: ReturnType<typeof createAuditReader>;
  sync: SyncRequests;
  /** The registrar's CA bundle the renders in force point phones at, or null. */
  sipCa: () => CaBundle | null;
  pbxFeed: CredentialFeed;
  registrations: Registrations;
  webhooks: Webhooks;
  sites: Sites;
  import: Import;
  export: Export;
}
