// The name every record without a site is in: its own module, because
// extensions, devices and sites all need it and sites need extensions' types.

/** Where an extension or device without a site belongs; it always exists and cannot be deleted. */
export const DEFAULT_SITE = 'default';

/** The site a record belongs to: records written before sites existed are in the default one. */
export const siteOf = (record: { site?: string }): string => record.site ?? DEFAULT_SITE;
