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
