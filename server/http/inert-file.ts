// What every file this server hands a phone or a softphone carries, so a
// browser that opens one (an admin following a link while signed in to the
// console on the same origin) treats it as a download, never as a page: no
// type sniffing, no script, no same-origin access even if it were rendered.
// The files are configs for devices; nothing in them is meant for a browser.
export const INERT_FILE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; sandbox",
} as const;

/** Content-Disposition for a served file; its name is already one of FILE_NAME's characters. */
export const attachment = (filename?: string) => (filename ? `attachment; filename="${filename}"` : 'attachment');
