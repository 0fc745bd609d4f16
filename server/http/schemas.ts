// Request shapes for the admin API. Field rules come from the domain so the
// same rule holds whichever route a value arrives by. Unknown fields are
// refused: a misspelt field silently ignored is a change the admin thinks
// they made. No message here ever repeats the value it refuses.
import { z } from 'zod';
import { DEVICE_STATUSES } from '../domain/device.ts';
import { NOTIFY_STATES, parseSipContact } from '../domain/notify.ts';
import { REGISTRATION_STATES } from '../domain/registration.ts';
import { InvalidInput } from '../domain/errors.ts';
import { AUTH_USERNAME, EXTENSION_NUMBER, SRTP_MODES, TRANSPORTS, isValidHost, textProblem } from '../domain/extension.ts';
import { tryParseMac, type Mac } from '../domain/mac.ts';
import { secretProblem } from '../domain/secret.ts';
import { REALM } from '../pbx/credential-feed.ts';
import { ROLES } from '../domain/token.ts';
import { WEBHOOK_EVENTS } from '../domain/webhook.ts';
import { SITE_LANGUAGES, SITE_NAME } from '../domain/site.ts';

/** Turns the first zod issue into a 422 whose code a custom issue may choose. */
export function validate<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  const code = issue.code === 'custom' && typeof issue.params?.code === 'string' ? issue.params.code : 'invalid-input';
  throw new InvalidInput(`${where}${issue.message}`, code);
}

const ruled = (problem: (v: string) => string | null, code = 'invalid-input') =>
  z.string().superRefine((v, ctx) => {
    const p = problem(v);
    if (p) ctx.addIssue({ code: 'custom', message: p, params: { code } });
  });

const text = (max: number) => ruled((v) => textProblem(v, max));
const port = z.number().int().min(1).max(65535);
const host = ruled((v) => (isValidHost(v) ? null : 'must be a hostname or an IP address'), 'invalid-host');
export const extensionNumber = z
  .string()
  .regex(EXTENSION_NUMBER, 'must be 1 to 32 characters of 0-9 A-Z a-z . _ -');
const authUsername = z.string().regex(AUTH_USERNAME, "must be 1 to 64 characters of 0-9 A-Z a-z . _ - ~ ! $ & ' ( ) * + , ; = ? / @");
export const secret = ruled(secretProblem, 'invalid-secret');

export const mac = z.string().transform((v, ctx): Mac => {
  const parsed = tryParseMac(v);
  if (parsed) return parsed;
  ctx.addIssue({
    code: 'custom',
    message: 'must be 12 hex digits, alone or as 80:5E:C0:12:34:56, 80-5e-c0-12-34-56 or 805E.C012.3456',
    params: { code: 'invalid-mac' },
  });
  return z.NEVER;
});

const secretViaPatch = (iss: { code?: string; keys?: string[] }) =>
  iss.code === 'unrecognized_keys' && iss.keys?.includes('secret')
    ? 'the secret is changed with PUT /api/extensions/{number}/secret'
    : undefined;

// Realms are host-shaped names; duplicates are folded by the use case.
const realms = z.array(host).max(8);

// null hands the choice back to the transport's default.
const media = z.strictObject({ srtp: z.enum(SRTP_MODES).nullable().optional() });

export const siteName = z.string().regex(SITE_NAME, 'must be 1 to 32 characters of a-z 0-9 . _ - starting with a letter or digit');
const sipServer = z.strictObject({ host, port: port.optional(), transport: z.enum(TRANSPORTS).optional() });

export const createExtension = z.strictObject({
  number: extensionNumber,
  displayName: text(64).optional(),
  authUsername: authUsername.optional(),
  secret: secret.optional(),
  // Left out: the site's registrar.
  server: sipServer.optional(),
  site: siteName.optional(),
  outboundProxy: z.strictObject({ host, port: port.optional() }).nullable().optional(),
  label: text(64).nullable().optional(),
  media: media.optional(),
  realms: realms.optional(),
});

export const updateExtension = z.strictObject(
  {
    displayName: text(64).optional(),
    authUsername: authUsername.optional(),
    // null: follow the site's registrar again.
    server: z
      .strictObject({ host: host.optional(), port: port.optional(), transport: z.enum(TRANSPORTS).optional() })
      .nullable()
      .optional(),
    site: siteName.optional(),
    outboundProxy: z.strictObject({ host, port: port.optional() }).nullable().optional(),
    label: text(64).nullable().optional(),
    media: media.optional(),
    realms: realms.optional(),
  },
  { error: secretViaPatch },
);

export const setSecret = z.strictObject({ secret, revokePrevious: z.boolean().optional() });
export const generateSecret = z.strictObject({ revokePrevious: z.boolean().optional() });

const lines = z
  .array(z.strictObject({ line: z.number().int().min(1).optional(), extension: extensionNumber }))
  .max(256);
const vendor = z.string().regex(/^[a-z0-9-]{1,32}$/, 'must be a vendor id such as yealink or polycom');
const model = text(64).nullable().optional();
const sipContact = ruled(
  (v) => (parseSipContact(v) ? null : 'must be a SIP URI such as sip:10.0.4.7:5060;transport=udp (udp, tcp or tls)'),
  'invalid-sip-contact',
)
  .nullable()
  .optional();

export const createDevice = z.strictObject({
  mac,
  vendor,
  model,
  label: text(64).nullable().optional(),
  lines: lines.optional(),
  sipContact,
  site: siteName.nullable().optional(),
});

export const updateDevice = z.strictObject({
  vendor: vendor.optional(),
  model,
  label: text(64).nullable().optional(),
  lines: lines.optional(),
  sipContact,
  site: siteName.nullable().optional(),
});

const siteFields = {
  timeZone: z.string().max(64),
  ntpServer: host.nullable().optional(),
  language: z.enum(SITE_LANGUAGES).nullable().optional(),
  server: sipServer.nullable().optional(),
  /** Minutes between a phone's own polls: from 5 minutes to a week. */
  polling: z.number().int().min(5).max(10_080).nullable().optional(),
};
export const createSite = z.strictObject({ name: siteName, ...siteFields });
export const updateSite = z.strictObject({ ...siteFields, timeZone: siteFields.timeZone.optional() });

export const rotateCredentials = z.strictObject({ immediate: z.boolean().optional() });
/** A Digest realm a registrar challenges with, as the feed takes it. */
const realm = z.string().regex(REALM, 'must be a Digest realm: printable, without quotes or backslashes');
export const createToken = z.strictObject({ name: text(64), role: z.enum(ROLES), realms: z.array(realm).min(1).max(32).optional() });

// Query strings: one value per parameter (a repeated one arrives as an array
// and is refused), and an unknown parameter is a 422 like an unknown field.
const pageLimit = z
  .string()
  .regex(/^\d{1,4}$/, 'must be a whole number from 1 to 1000')
  .transform(Number)
  .pipe(z.number().min(1, 'must be a whole number from 1 to 1000').max(1000, 'must be a whole number from 1 to 1000'))
  .default(100);
const paging = {
  limit: pageLimit,
  /** Opaque: the value a previous page's Link header carried. */
  cursor: z.string().max(512).optional(),
};
const search = text(64).optional();

export const extensionQuery = z.strictObject({ q: search, ...paging });

export const deviceQuery = z.strictObject({
  status: z.enum(DEVICE_STATUSES).optional(),
  vendor: z.string().optional(),
  extension: z.string().optional(),
  q: search,
  ...paging,
  notify: z.enum(NOTIFY_STATES).optional(),
  registration: z.enum(REGISTRATION_STATES).optional(),
});

/** Routes that take no query parameter at all. */
export const noQuery = z.strictObject({});

const instant = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time such as 2026-03-01T00:00:00Z' }).transform((v) => new Date(v).toISOString());
export const auditQuery = z.strictObject({
  action: z.string().optional(),
  actionPrefix: z.string().min(1).max(64).optional(),
  since: instant.optional(),
  until: instant.optional(),
  target: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.coerce.number().int().min(1).optional(),
});

export const createLink = z.strictObject({
  extension: extensionNumber,
  app: z.string().regex(/^[a-z0-9-]{1,32}$/, 'must be an app id such as zoiper or microsip'),
  expiresInMinutes: z.number().int().min(1).max(43_200).optional(),
  maxUses: z.number().int().min(1).max(100).optional(),
});

export const linkQuery = z.strictObject({ extension: z.string().optional() });

/** `?purpose=copy`: the console's Copy secret, audited like a reveal and told apart in the details. */
export const revealQuery = z.strictObject({ purpose: z.enum(['copy']).optional() });

/** `?full=true`: render every file, not only those whose profile, templates or shared settings changed. */
export const reloadQuery = z.strictObject({ full: z.enum(['true', 'false']).optional().transform((v) => v === 'true') });

/** `?masked=true`: the file with every secret it carries replaced, for a look that reveals nothing. */
export const previewQuery = z.strictObject({ masked: z.enum(['true', 'false']).optional().transform((v) => v === 'true') });

export const createWebhook = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).max(2048),
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length * 2),
});

const flag = z.enum(['true', 'false']).optional().transform((v) => v === 'true');
/** `?dryRun=true`: check the file and say what it would do, writing nothing. */
export const importQuery = z.strictObject({ dryRun: flag });
/** `?secrets=true`: the secrets too (admin only, audited). */
export const exportQuery = z.strictObject({ secrets: flag });

export const deliveryQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100) });
