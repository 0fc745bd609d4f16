// The SQLite schema, versioned with PRAGMA user_version. Each migration moves
// the file from version i to i+1 inside one transaction; a file written by a
// newer server is refused rather than guessed at.
import type Database from 'better-sqlite3';

const MIGRATIONS: string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  CREATE TABLE extensions (
    number TEXT PRIMARY KEY,
    rev INTEGER NOT NULL,
    doc TEXT NOT NULL
  ) STRICT;
  CREATE TABLE devices (
    mac TEXT PRIMARY KEY,
    vendor TEXT NOT NULL,
    rev INTEGER NOT NULL,
    doc TEXT NOT NULL
  ) STRICT;
  CREATE INDEX devices_vendor ON devices (vendor);
  -- Kept by the adapter from each device's lines so that "which devices use
  -- this extension" is an index lookup and a dangling line is impossible.
  CREATE TABLE device_lines (
    mac TEXT NOT NULL REFERENCES devices (mac) ON DELETE CASCADE,
    line INTEGER NOT NULL,
    extension TEXT NOT NULL REFERENCES extensions (number),
    PRIMARY KEY (mac, line)
  ) STRICT;
  CREATE INDEX device_lines_extension ON device_lines (extension);
  CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL
  ) STRICT;
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    doc TEXT NOT NULL
  ) STRICT;
  CREATE INDEX audit_action ON audit (action, id);
  CREATE INDEX audit_target ON audit (target, id);
  `,
  `
  -- Rendered files, sealed: a body can hold a SIP secret. owner is a MAC or vendor:<id>.
  CREATE TABLE renders (
    owner TEXT NOT NULL,
    file TEXT NOT NULL,
    version INTEGER NOT NULL,
    rendered_at TEXT NOT NULL,
    sealed_body TEXT NOT NULL,
    PRIMARY KEY (owner, file)
  ) STRICT;
  -- Files phones upload (overrides, logs), sealed: a handset override can hold a password.
  CREATE TABLE uploads (
    mac TEXT NOT NULL REFERENCES devices (mac) ON DELETE CASCADE,
    file TEXT NOT NULL,
    received_at TEXT NOT NULL,
    sealed_body TEXT NOT NULL,
    PRIMARY KEY (mac, file)
  ) STRICT;
  -- Last fetch of each device's credential-bearing file, apart from the device
  -- row so that phone fetches and admin edits never overwrite each other.
  -- version is NULL for a fetch that served nothing (an unknown phone's first ask).
  CREATE TABLE fetches (
    mac TEXT PRIMARY KEY REFERENCES devices (mac) ON DELETE CASCADE,
    version INTEGER,
    at TEXT NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    file TEXT NOT NULL
  ) STRICT;
  ALTER TABLE devices ADD COLUMN line_count INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE devices ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
  UPDATE devices SET line_count = json_array_length(doc, '$.lines'), created_at = json_extract(doc, '$.createdAt');
  CREATE INDEX devices_unassigned ON devices (line_count, created_at);
  `,
  `
  -- Softphone links. Columns, not a document, so that counting a use is one
  -- conditional UPDATE that two downloads cannot both win.
  CREATE TABLE links (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    extension TEXT NOT NULL REFERENCES extensions (number) ON DELETE CASCADE,
    app TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    max_uses INTEGER NOT NULL,
    uses INTEGER NOT NULL,
    revoked_at TEXT,
    last_used_at TEXT,
    last_secret_version INTEGER,
    created_by TEXT NOT NULL
  ) STRICT;
  CREATE INDEX links_extension ON links (extension, created_at);
  -- Open claim windows, apart from the device row like the fetch state.
  CREATE TABLE claims (
    mac TEXT PRIMARY KEY REFERENCES devices (mac) ON DELETE CASCADE,
    until TEXT NOT NULL
  ) STRICT;
  CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, until TEXT NOT NULL) STRICT;
  `,
  `
  -- Which of the device's passwords the last fetch brought ('current', 'previous', NULL for none).
  ALTER TABLE fetches ADD COLUMN credential TEXT;
  -- A one-use app address issued from a link's landing page points at the link it came from.
  ALTER TABLE links ADD COLUMN parent_id TEXT;
  -- How often each device has fetched, so that the capped list of unassigned
  -- phones keeps those seen often over one-off requests.
  ALTER TABLE fetches ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
  -- Each device's last check-sync NOTIFY outcome, apart from the device row
  -- like the fetch state, so NOTIFY outcomes and admin edits never overwrite
  -- each other. doc holds the whole outcome; state is there to filter on.
  CREATE TABLE notify_state (
    mac TEXT PRIMARY KEY REFERENCES devices (mac) ON DELETE CASCADE,
    state TEXT NOT NULL,
    doc TEXT NOT NULL
  ) STRICT;
  CREATE INDEX notify_state_state ON notify_state (state);
  -- Console accounts; the document holds the scrypt hash, never a password.
  CREATE TABLE users (
    username TEXT PRIMARY KEY,
    rev INTEGER NOT NULL,
    doc TEXT NOT NULL
  ) STRICT;
  -- Console sessions by the SHA-256 of the cookie's id; they go with their user.
  CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX sessions_username ON sessions (username);
  -- The registrar credential feed looks extensions up by SIP auth user.
  CREATE INDEX extensions_auth_username ON extensions (json_extract(doc, '$.authUsername'));
  CREATE TABLE webhooks (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, doc TEXT NOT NULL) STRICT;
  -- The delivery queue and log in one: a row is pending until delivered or
  -- given up; the lease columns let one instance at a time attempt it.
  CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    last_attempt_at TEXT,
    last_status INTEGER,
    last_error TEXT,
    delivered_at TEXT,
    lease_holder TEXT,
    lease_until TEXT
  ) STRICT;
  CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
  CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, created_at);
  `,
  `
  -- The keyed fingerprint of a render's plaintext (SecretBox.fingerprint), so
  -- that a re-render is compared without opening the stored body. NULL for a
  -- render stored before it; such a render is compared by opening.
  ALTER TABLE renders ADD COLUMN fingerprint TEXT;
  `,
  `
  -- What a phone that proved nothing asked last (an inbox phone asking again),
  -- kept apart from the fetches of phones that proved themselves, which alone
  -- may tell where a NOTIFY goes. Fetch rows without a version were such
  -- sightings; fetch rows without a credential were claim deliveries.
  CREATE TABLE sightings (
    mac TEXT PRIMARY KEY REFERENCES devices (mac) ON DELETE CASCADE,
    at TEXT NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    file TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 1
  ) STRICT;
  INSERT INTO sightings (mac, at, ip, user_agent, file, count)
    SELECT mac, at, ip, user_agent, file, count FROM fetches WHERE version IS NULL;
  DELETE FROM fetches WHERE version IS NULL;
  UPDATE fetches SET credential = 'claim' WHERE credential IS NULL;
  -- The retention sweep deletes by age.
  CREATE INDEX audit_at ON audit (at);
  `,
  `
  -- What the registrar reports of each REGISTER: one row per (extension, contact).
  CREATE TABLE registrations (
    extension TEXT NOT NULL REFERENCES extensions (number) ON DELETE CASCADE,
    contact TEXT NOT NULL,
    at TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (extension, contact)
  ) STRICT;
  `,
  `
  -- Sites; an extension's or device's site lives in its doc (absent: default).
  CREATE TABLE sites (name TEXT PRIMARY KEY, rev INTEGER NOT NULL, doc TEXT NOT NULL) STRICT;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function assertKnownSchema(db: Database.Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `the database has schema version ${current}, newer than this server's ${SCHEMA_VERSION}; upgrade the server`,
    );
  }
  return current;
}

export function migrate(db: Database.Database): void {
  const current = assertKnownSchema(db);
  for (let v = current; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
