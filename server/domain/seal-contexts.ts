// The associated data each sealed value is bound to (secret-box.ts): a
// ciphertext copied to another row or column fails to open instead of
// passing for that row's value. One place, so two kinds never share a name.

/** An extension's SIP secret (and the previous one during a rotation grace). */
export const secretContext = (number: string) => `extension:${number}:secret`;

/** A rendered file, by its owner (a device's MAC, `extension:<n>` or `vendor:<id>`) and name. */
export const renderContext = (owner: string, file: string) => `render:${owner}:${file}`;

/** A file a phone uploaded (Polycom overrides and logs). */
export const uploadContext = (mac: string, file: string) => `upload:${mac}:${file}`;

/** A device's provisioning password. */
export const provPasswordContext = (mac: string) => `device:${mac}:provisioning`;
