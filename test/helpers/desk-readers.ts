// The credential-bearing file of each desk phone added as data (Grandstream,
// Snom, Fanvil, Cisco) read back the way the phone reads it: libxml2 (the
// libxml2-wasm build) parses the document once, and XPath takes each field
// from where the vendor's documentation puts it (docs/vendors.md). Cisco
// runs some fields through its macro expander, which turns `$$` into `$`;
// that is done here too, and only for those fields.
import { XmlDocument } from 'libxml2-wasm';

export type DeskVendor = 'grandstream' | 'snom' | 'fanvil' | 'cisco';
export type DeskField = 'number' | 'authUsername' | 'password' | 'displayName' | 'label' | 'server' | 'transport';

interface Layout {
  root: string;
  /** XPath of a line's field; null where the vendor has no such field. */
  field(line: number, field: DeskField): string | null;
  /** XPath of the value that says whether line N is on, and the value that means on. */
  enabled(line: number): string;
  on: string;
  /** The provisioning credentials: XPaths, or Cisco's Profile_Rule. */
  login(read: (path: string) => string | null): { user: string | null; password: string | null };
  /** Fields the phone runs through a macro expander. */
  macros?: DeskField[];
}

const gsItem = (name: string) => `/gs_provision/config/item[@name='${name}']`;
const GS_FIELDS: Record<DeskField, string> = {
  number: 'sip.userid',
  authUsername: 'sip.subscriber.userid',
  password: 'sip.subscriber.password',
  displayName: 'sip.subscriber.name',
  label: 'name',
  server: 'sip.server.1.address',
  transport: 'sip.transport',
};

const SNOM_FIELDS: Record<DeskField, string> = {
  number: 'user_name',
  authUsername: 'user_pname',
  password: 'user_pass',
  displayName: 'user_realname',
  label: 'user_idle_text',
  server: 'user_host',
  transport: 'user_outbound',
};

const FANVIL_FIELDS: Record<DeskField, string | null> = {
  number: 'PhoneNumber',
  authUsername: 'RegisterUser',
  password: 'RegisterPswd',
  displayName: 'DisplayName',
  label: null,
  server: 'RegisterAddr',
  transport: 'Transport',
};

const CISCO_FIELDS: Record<DeskField, string> = {
  number: 'User_ID',
  authUsername: 'Auth_ID',
  password: 'Password',
  displayName: 'Display_Name',
  label: 'Short_Name',
  server: 'Proxy',
  transport: 'SIP_Transport',
};

/** What Cisco's macro expander makes of a field: `$$` is one `$`. */
export const ciscoExpand = (text: string) => text.replace(/\$\$/g, '$');

export const LAYOUTS: Record<DeskVendor, Layout> = {
  grandstream: {
    root: 'gs_provision',
    field: (n, f) => gsItem(`account.${n}.${GS_FIELDS[f]}`),
    enabled: (n) => gsItem(`account.${n}.enable`),
    on: 'Yes',
    login: (read) => ({ user: read(gsItem('provisioning.config.username')), password: read(gsItem('provisioning.config.password')) }),
  },
  snom: {
    root: 'settings',
    field: (n, f) => `/settings/phone-settings/${SNOM_FIELDS[f]}[@idx='${n}']`,
    enabled: (n) => `/settings/phone-settings/user_active[@idx='${n}']`,
    on: 'on',
    login: (read) => ({ user: read('/settings/phone-settings/http_client_user'), password: read('/settings/phone-settings/http_client_pass') }),
  },
  fanvil: {
    root: 'sysConf',
    field: (n, f) => (FANVIL_FIELDS[f] ? `/sysConf/sip/line[@index='${n}']/${FANVIL_FIELDS[f]}` : null),
    enabled: (n) => `/sysConf/sip/line[@index='${n}']/EnableReg`,
    on: '1',
    login: (read) => ({ user: read('/sysConf/ap/DefaultUsername'), password: read('/sysConf/ap/DefaultPassword') }),
  },
  cisco: {
    root: 'flat-profile',
    field: (n, f) => `/flat-profile/${CISCO_FIELDS[f]}_${n}_`,
    enabled: (n) => `/flat-profile/Line_Enable_${n}_`,
    on: 'Yes',
    macros: ['label'],
    login: (read) => {
      const rule = read('/flat-profile/Profile_Rule') ?? '';
      const m = /^\[--uid (\S+) --pwd (\S+)\]/.exec(rule);
      return { user: m ? ciscoExpand(m[1]!) : null, password: m ? ciscoExpand(m[2]!) : null };
    },
  },
};

export interface DeskFile {
  /** The root element's name. */
  root: string;
  /** The text of one node, or null when the document has none (an error when it has several). */
  read(path: string): string | null;
  /** How many nodes an XPath selects. */
  count(path: string): number;
  line(n: number): Record<DeskField, string | null>;
  enabled(n: number): boolean | null;
  login(): { user: string | null; password: string | null };
}

/** Parses the document with libxml2 (throwing when it is not well-formed) and hands it to `use`. */
export function readDeskFile<T>(vendor: DeskVendor, input: string | Buffer, use: (file: DeskFile) => T): T {
  const layout = LAYOUTS[vendor];
  const doc = typeof input === 'string' ? XmlDocument.fromString(input) : XmlDocument.fromBuffer(input);
  try {
    const read = (path: string): string | null => {
      const count = doc.eval(`count(${path})`) as number;
      if (count > 1) throw new Error(`${path} is set ${count} times`);
      // A leading "x" keeps the binding's UTF-8 decoder from eating a U+FEFF the value starts with.
      return count === 0 ? null : (doc.eval(`concat("x", string(${path}))`) as string).slice(1);
    };
    const file: DeskFile = {
      root: doc.root.name,
      read,
      count: (path) => doc.eval(`count(${path})`) as number,
      line: (n) => {
        const out = {} as Record<DeskField, string | null>;
        for (const f of Object.keys(GS_FIELDS) as DeskField[]) {
          const path = layout.field(n, f);
          const value = path ? read(path) : null;
          out[f] = value !== null && layout.macros?.includes(f) ? ciscoExpand(value) : value;
        }
        return out;
      },
      enabled: (n) => {
        const v = read(layout.enabled(n));
        return v === null ? null : v === layout.on;
      },
      login: () => layout.login(read),
    };
    return use(file);
  } finally {
    doc.dispose();
  }
}
