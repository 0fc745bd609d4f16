// The errors a store refuses a commit() batch with, the same from both
// adapters, so that a use case can tell "re-plan on fresh data" (a revision
// moved) from "tell the caller" (a key taken, a reference broken, a claim or
// a link no longer usable). Re-exported by store.ts, the port they belong to.

/** A unique key (extension number, MAC, token hash) already exists. */
export class DuplicateKey extends Error {
  constructor(readonly entity: 'extension' | 'device' | 'token' | 'link' | 'user' | 'site', readonly key: string) {
    super(`${entity} ${key} already exists`);
    this.name = 'DuplicateKey';
  }
}

/** The record changed (or vanished) since the batch was planned. */
export class RevisionMismatch extends Error {
  constructor(readonly entity: string, readonly key: string) {
    super(`${entity} ${key} changed while the change was being planned`);
    this.name = 'RevisionMismatch';
  }
}

/**
 * Device lines and extensions would disagree: a line pointing at a missing
 * extension, or an extension deleted while a line still points at it.
 */
export class BrokenReference extends Error {
  constructor(readonly extension: string, readonly kind: 'missing' | 'in-use') {
    super(kind === 'missing' ? `extension ${extension} does not exist` : `extension ${extension} is used by a device`);
    this.name = 'BrokenReference';
  }
}

/** A claim window that is closed (or its device gone) when a delivery tries to use it. */
export class ClaimUnavailable extends Error {
  constructor(readonly mac: string) {
    super(`device ${mac} has no open claim window`);
    this.name = 'ClaimUnavailable';
  }
}

/** A link that is revoked, expired or used up (or gone) when a download tries to count. */
export class LinkUnavailable extends Error {
  constructor(readonly id: string) {
    super(`link ${id} is not active`);
    this.name = 'LinkUnavailable';
  }
}
