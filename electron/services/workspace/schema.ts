/**
 * The workspace database schema and its migrations. `PRAGMA user_version` is the schema version;
 * `PRAGMA application_id` marks the file as a WSM Curator workspace. Migrations only ever go
 * forward, each in one transaction; a database newer than this app is refused (`workspace-version`).
 */
import { CodedError } from '../../../shared/api/errors'
import { PAIR_STATUSES } from '../../../shared/workspace/review'
import type { SqliteDatabase } from './sqlite'

/** 'WSMC' */
export const APPLICATION_ID = 0x57534d43

const STATUS_LIST = PAIR_STATUSES.map((s) => `'${s}'`).join(', ')

/** Migration n (1-based) takes the schema from version n-1 to n. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;

  -- One row per ISIC id ever paired in this workspace. idx is the pair's position in the open
  -- dataset (sorted by id), NULL when the current sources no longer hold it. mask_sha256,
  -- mask_size and mask_mtime describe the corrected mask file and are set (or NULL) together. The
  -- statistics describe the current mask: the corrected one when there is one, else the source.
  CREATE TABLE pairs (
    id TEXT PRIMARY KEY,
    idx INTEGER,
    status TEXT NOT NULL DEFAULT 'unreviewed' CHECK (status IN (${STATUS_LIST})),
    note TEXT,
    curator TEXT,
    updated_at INTEGER,
    mask_sha256 TEXT,
    mask_size INTEGER,
    mask_mtime REAL,
    width INTEGER,
    height INTEGER,
    background INTEGER,
    lesion INTEGER,
    uncertain INTEGER,
    lesion_components INTEGER,
    uncertain_components INTEGER,
    uncertain_fraction REAL,
    scan_fp TEXT,
    scan_error TEXT,
    CHECK (status <> 'corrected' OR mask_sha256 IS NOT NULL)
  ) WITHOUT ROWID;
  -- Covering indexes of the listings (see pairQuery.ts): each holds every column a listing reads.
  CREATE INDEX pairs_idx ON pairs (idx);
  CREATE INDEX pairs_status ON pairs (status, id, idx, uncertain_fraction, mask_size);
  CREATE INDEX pairs_uncertain ON pairs (uncertain_fraction, id, idx, status, mask_size);
  CREATE INDEX pairs_status_uncertain ON pairs (status, uncertain_fraction, id, idx, mask_size);

  -- The audit trail: append-only (enforced below).
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    curator TEXT NOT NULL,
    pair_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    note TEXT,
    transitions TEXT,
    mask_sha256 TEXT,
    recovered INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX events_pair ON events (pair_id, seq);
  CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
  CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;

  -- A mask save in flight: written before the file, removed in the transaction that records it.
  -- On reopening after a crash, the target file's hash tells whether the save landed.
  CREATE TABLE pending_saves (
    pair_id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    payload TEXT NOT NULL,
    started_at INTEGER NOT NULL
  ) WITHOUT ROWID;

  -- Small JSON values the UI restores on reopening (last pair, filter, sort…).
  CREATE TABLE ui_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // 2: ISIC metadata imported from CSVs (metadata.ts): one row per pair and column, values as text.
  `
  CREATE TABLE metadata_columns (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    imported_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE metadata (
    col TEXT NOT NULL,
    pair_id TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (col, pair_id)
  ) WITHOUT ROWID;
  -- Filters (col = ? AND value IN …) read this one; manifests scan the table once.
  CREATE INDEX metadata_value ON metadata (col, value, pair_id);
  -- Value counts per column, recounted by every import (the dashboard and filters read these).
  CREATE TABLE metadata_counts (
    col TEXT NOT NULL,
    value TEXT NOT NULL,
    pairs INTEGER NOT NULL,
    PRIMARY KEY (col, value)
  ) WITHOUT ROWID;
  `,
  // 3: the triage score of the current mask (triageScores.ts): score, reasons (JSON), the key it was
  // computed for (mask + image identity + model), whether the image was used. Indexed like the
  // uncertain fraction so that listing by score reads one covering index in order.
  `
  ALTER TABLE pairs ADD COLUMN triage_score REAL;
  ALTER TABLE pairs ADD COLUMN triage_reasons TEXT;
  ALTER TABLE pairs ADD COLUMN triage_key TEXT;
  ALTER TABLE pairs ADD COLUMN triage_image INTEGER;
  CREATE INDEX pairs_score ON pairs (triage_score, id, idx, status, uncertain_fraction, mask_size);
  CREATE INDEX pairs_status_score ON pairs (status, triage_score, id, idx, uncertain_fraction, mask_size);
  `,
]

export const SCHEMA_VERSION = MIGRATIONS.length

export function schemaVersion(db: SqliteDatabase): number {
  return db.pragma('user_version', { simple: true }) as number
}

/**
 * Brings a writable database to SCHEMA_VERSION. A fresh (empty) file gets the whole schema.
 * Throws `workspace-version` for a database made by a newer app, `workspace-corrupt` for a
 * database that is not a workspace.
 */
export function migrate(db: SqliteDatabase, file: string): void {
  checkIdentity(db, file)
  const from = schemaVersion(db)
  if (from === SCHEMA_VERSION) return
  db.transaction(() => {
    for (let v = from; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v])
    db.pragma(`application_id = ${APPLICATION_ID}`)
    db.pragma(`user_version = ${SCHEMA_VERSION}`)
  }).immediate()
}

/** For read-only opens: the schema must already be current. */
export function checkSchema(db: SqliteDatabase, file: string): void {
  checkIdentity(db, file)
  const v = schemaVersion(db)
  if (v !== SCHEMA_VERSION) {
    throw new CodedError(
      'workspace-version',
      `${file} has schema version ${v}, this app needs ${SCHEMA_VERSION}: open the workspace once for writing to upgrade it`,
      file,
    )
  }
}

function checkIdentity(db: SqliteDatabase, file: string): void {
  const appId = db.pragma('application_id', { simple: true }) as number
  const v = schemaVersion(db)
  if (appId !== 0 && appId !== APPLICATION_ID) {
    throw new CodedError('workspace-corrupt', `${file} is an SQLite database of another application`, file)
  }
  if (appId === 0 && v !== 0) {
    throw new CodedError('workspace-corrupt', `${file} is not a WSM Curator workspace database`, file)
  }
  if (v > SCHEMA_VERSION) {
    throw new CodedError(
      'workspace-version',
      `${file} has schema version ${v}, newer than this app's ${SCHEMA_VERSION}: update WSM Curator`,
      file,
    )
  }
}
