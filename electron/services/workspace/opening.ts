/**
 * Opening a workspace: creating one (sources checked and opened first, workspace.json written
 * last), opening an existing one (writable, read-only, or a private snapshot of a crashed
 * database on read-only media), rebuilding a damaged database (salvage), and the helpers behind
 * them. The opened parts are handed to a `finish` step (the Workspace facade), which constructs the
 * workspace and runs recovery; on failure everything opened here is closed again.
 */
import { randomBytes } from 'node:crypto'
import { constants as fsConstants, promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CodedError } from '../../../shared/api/errors'
import { isPairStatus } from '../../../shared/workspace/review'
import { Dataset, type DatasetSources } from '../dataset'
import { fsError } from '../fs/atomicWrite'
import { isWithin, makeFolder } from '../fs/paths'
import { WorkspaceLock } from './lock'
import {
  CACHE_DIR,
  DATABASE_FILE,
  MASK_FILE,
  MASKS_DIR,
  checkCurator,
  exists,
  type EventRow,
  type PairRow,
} from './rows'
import { checkSchema, migrate } from './schema'
import { isCorruption, openSqlite, sqliteCode, sqliteError, type SqliteDatabase } from './sqlite'
import type { CreateWorkspaceOptions, OpenWorkspaceOptions, ReadOnlyReason } from './types'
import {
  WORKSPACE_CONFIG_VERSION,
  WORKSPACE_FILE,
  WORKSPACE_FORMAT,
  readWorkspaceConfig,
  writeWorkspaceConfig,
  type WorkspaceConfig,
} from './workspaceConfig'

const SQL = {
  createdAt: `INSERT OR REPLACE INTO meta (key, value) VALUES ('createdAt', ?)`,
  holder: `SELECT value FROM meta WHERE key = 'holder'`,
  setHolder: `INSERT OR REPLACE INTO meta (key, value) VALUES ('holder', ?)`,
  dropHolder: `DELETE FROM meta WHERE key = 'holder'`,
  decided: `SELECT count(*) FROM events`,
  positions: `SELECT id, idx FROM pairs`,
  insertPosition: `INSERT INTO pairs (id, idx) VALUES (?, ?)`,
  move: `UPDATE pairs SET idx = ? WHERE id = ?`,
  oldPairs: `SELECT id, status, note, curator, updated_at FROM pairs`,
  oldEvents: `SELECT * FROM events ORDER BY seq`,
  salvagePair: `INSERT OR REPLACE INTO pairs (id, status, note, curator, updated_at) VALUES (?, ?, ?, ?, ?)`,
  // The seq is kept: the team room's push cursor (team/localState.ts) counts in it.
  salvageEvent: `INSERT INTO events (seq, at, curator, pair_id, kind, from_status, to_status, note, transitions, mask_sha256, recovered)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
} as const

/** What an opening hands to the facade. */
export interface OpenedParts {
  dir: string
  config: WorkspaceConfig
  dataset: Dataset
  db: SqliteDatabase
  lock: WorkspaceLock | undefined
  readOnlyReason: ReadOnlyReason | null
  options: OpenWorkspaceOptions
  snapshotDir?: string
}

export type OpenFinisher<W> = (parts: OpenedParts) => Promise<W>

/** Records who holds a writable workspace (informative: shown by `workspace-locked`). */
export function recordHolder(db: SqliteDatabase, curator: string): void {
  db.prepare(SQL.setHolder).run(
    JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString(), curator }),
  )
}

/**
 * Leaves a writable database in rollback-journal mode, so it can later be opened from read-only
 * media; a reader elsewhere keeping the WAL open (or a full disk) leaves it in WAL mode, nothing lost.
 */
export function releaseWritable(db: SqliteDatabase): void {
  try {
    db.prepare(SQL.dropHolder).run()
    db.pragma('journal_mode = DELETE')
  } catch {
    // The holder record is only informative.
  }
}

export async function createWorkspace<W>(
  dir: string,
  options: CreateWorkspaceOptions,
  finish: OpenFinisher<W>,
): Promise<W> {
  const abs = path.resolve(dir)
  const sources: DatasetSources = {
    masks: path.resolve(options.masks),
    images: options.images.map((p) => path.resolve(p)),
  }
  if (sources.images.length === 0)
    throw new CodedError('bad-request', 'a workspace needs at least one image source')
  const curator = options.curator === undefined ? undefined : checkCurator(options.curator)
  if (await exists(path.join(abs, WORKSPACE_FILE))) {
    throw new CodedError('workspace-exists', `${abs} is already a workspace (it has ${WORKSPACE_FILE})`, abs)
  }
  for (const src of [sources.masks, ...sources.images]) {
    if (isWithin(abs, src)) {
      throw new CodedError('bad-request', `the workspace ${abs} must not be inside the source ${src}`, abs)
    }
    for (const sub of [MASKS_DIR, CACHE_DIR]) {
      if (isWithin(src, path.join(abs, sub))) {
        throw new CodedError(
          'bad-request',
          `the source ${src} must not be inside the workspace's ${sub}/`,
          src,
        )
      }
    }
  }
  const dataset = await Dataset.open(sources, { cacheDir: path.join(abs, CACHE_DIR) })
  let lock: WorkspaceLock | undefined
  let db: SqliteDatabase | undefined
  try {
    try {
      await makeFolder(path.join(abs, MASKS_DIR))
      await makeFolder(path.join(abs, CACHE_DIR))
    } catch (err) {
      throw fsError(err, abs, 'create the workspace folder')
    }
    lock = WorkspaceLock.acquire(abs, { nativeBinding: options.nativeBinding })
    const dbFile = path.join(abs, DATABASE_FILE)
    // workspace.json is written last: a database without it is an interrupted creation.
    if (await exists(dbFile)) await discardInterruptedCreation(dbFile, options.nativeBinding)
    db = openSqlite(dbFile, { nativeBinding: options.nativeBinding })
    configureWritable(db)
    migrate(db, dbFile)
    syncPairs(db, dataset)
    db.prepare(SQL.createdAt).run(new Date().toISOString())
    const config: WorkspaceConfig = {
      format: WORKSPACE_FORMAT,
      version: WORKSPACE_CONFIG_VERSION,
      sources,
      createdAt: new Date().toISOString(),
    }
    if (curator !== undefined) config.curator = curator
    await writeWorkspaceConfig(abs, config)
    return await finish({
      dir: abs,
      config,
      dataset,
      db,
      lock,
      readOnlyReason: null,
      options: { curator, nativeBinding: options.nativeBinding },
    })
  } catch (err) {
    db?.close()
    lock?.release()
    await dataset.close()
    throw err instanceof CodedError
      ? err
      : sqliteError(err, path.join(abs, DATABASE_FILE), 'create the workspace')
  }
}

export async function openWorkspace<W>(
  dir: string,
  options: OpenWorkspaceOptions,
  finish: OpenFinisher<W>,
): Promise<W> {
  const abs = path.resolve(dir)
  const config = await readWorkspaceConfig(abs)
  const dbFile = path.join(abs, DATABASE_FILE)
  if (!(await exists(dbFile))) {
    throw new CodedError('workspace-corrupt', `${dbFile} is missing. ${rebuildHint(abs)}`, dbFile)
  }
  let readOnlyReason: ReadOnlyReason | null = options.readOnly ? 'requested' : null
  if (readOnlyReason === null && !(await isWritableDir(abs))) readOnlyReason = 'unwritable'
  let lock: WorkspaceLock | undefined
  if (readOnlyReason === null) {
    try {
      lock = WorkspaceLock.acquire(abs, { nativeBinding: options.nativeBinding })
    } catch (err) {
      if (err instanceof CodedError && err.code === 'workspace-locked') {
        if (options.ifLocked !== 'read-only') throw lockedError(abs, dbFile, options.nativeBinding)
        readOnlyReason = 'locked'
      } else if (err instanceof CodedError && err.code === 'read-only') readOnlyReason = 'unwritable'
      else throw err
    }
  }
  let db: SqliteDatabase | undefined
  let snapshotDir: string | undefined
  let dataset: Dataset | undefined
  try {
    const opened = await openDatabase(dbFile, readOnlyReason === null, options.nativeBinding, abs)
    db = opened.db
    snapshotDir = opened.snapshotDir
    dataset = await Dataset.open(config.sources, {
      cacheDir: readOnlyReason === null ? path.join(abs, CACHE_DIR) : undefined,
    })
    if (readOnlyReason === null) syncPairs(db, dataset)
    return await finish({
      dir: abs,
      config,
      dataset,
      db,
      lock,
      readOnlyReason,
      options,
      snapshotDir,
    })
  } catch (err) {
    db?.close()
    lock?.release()
    await dataset?.close()
    if (snapshotDir) await fsp.rm(snapshotDir, { recursive: true, force: true })
    if (err instanceof CodedError) throw err
    if (isCorruption(err)) throw corruptError(dbFile, abs, err)
    throw sqliteError(err, dbFile, 'open the workspace')
  }
}

export async function rebuildDatabase(
  dir: string,
  options: Omit<OpenWorkspaceOptions, 'readOnly' | 'ifLocked'>,
): Promise<{ movedTo: string | null; salvaged: { pairs: number; events: number } }> {
  const abs = path.resolve(dir)
  await readWorkspaceConfig(abs)
  const lock = WorkspaceLock.acquire(abs, { nativeBinding: options.nativeBinding })
  const dbFile = path.join(abs, DATABASE_FILE)
  let movedTo: string | null = null
  const salvaged = { pairs: 0, events: 0 }
  try {
    if (await exists(dbFile)) {
      movedTo = `${dbFile}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`
      for (const suffix of ['', '-wal', '-shm']) {
        if (await exists(dbFile + suffix)) await fsp.rename(dbFile + suffix, movedTo + suffix)
      }
    }
    const db = openSqlite(dbFile, { nativeBinding: options.nativeBinding })
    try {
      configureWritable(db)
      migrate(db, dbFile)
      if (movedTo !== null) Object.assign(salvaged, salvage(movedTo, db, options.nativeBinding))
    } finally {
      db.close()
    }
  } catch (err) {
    throw err instanceof CodedError ? err : sqliteError(err, dbFile, 'rebuild the workspace database')
  } finally {
    lock.release()
  }
  return { movedTo, salvaged }
}

function configureWritable(db: SqliteDatabase): void {
  db.pragma('journal_mode = WAL')
  // FULL: each commit fsyncs the WAL, so a decision reported as saved survives a power cut.
  db.pragma('synchronous = FULL')
  db.pragma('journal_size_limit = 67108864')
  db.pragma('busy_timeout = 2000')
}

/**
 * Opens the workspace database, checks it (quick_check) and brings its schema up to date. A
 * read-only open of a database left in WAL mode (after a crash) in a folder where SQLite cannot
 * create its `-shm` file falls back to a private snapshot: the database and its WAL copied to a
 * temporary folder, where SQLite replays the WAL; `snapshotDir` is then to be removed at close.
 */
async function openDatabase(
  file: string,
  writable: boolean,
  nativeBinding: string | undefined,
  dir: string,
): Promise<{ db: SqliteDatabase; snapshotDir?: string }> {
  try {
    return { db: openChecked(file, file, writable, nativeBinding, dir) }
  } catch (err) {
    const code = err instanceof CodedError ? undefined : sqliteCode(err)
    if (
      writable ||
      code === undefined ||
      !(code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY'))
    )
      throw mapOpenError(err, file, dir)
  }
  const snapshotDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'wsm-workspace-snapshot-'))
  try {
    const copy = path.join(snapshotDir, DATABASE_FILE)
    await fsp.copyFile(file, copy)
    if (await exists(`${file}-wal`)) await fsp.copyFile(`${file}-wal`, `${copy}-wal`)
    return { db: openChecked(copy, file, false, nativeBinding, dir), snapshotDir }
  } catch (err) {
    await fsp.rm(snapshotDir, { recursive: true, force: true })
    throw mapOpenError(err, file, dir)
  }
}

function openChecked(
  file: string,
  shownAs: string,
  writable: boolean,
  nativeBinding: string | undefined,
  dir: string,
): SqliteDatabase {
  const db = openSqlite(file, {
    readonly: !writable,
    fileMustExist: true,
    nativeBinding,
    busyTimeoutMs: 2000,
  })
  try {
    const check = db.pragma('quick_check', { simple: true }) as string
    if (check !== 'ok') throw corruptError(shownAs, dir, new Error(check))
    if (writable) {
      configureWritable(db)
      migrate(db, shownAs)
    } else checkSchema(db, shownAs)
    return db
  } catch (err) {
    db.close()
    throw err
  }
}

function mapOpenError(err: unknown, file: string, dir: string): CodedError {
  if (err instanceof CodedError) return err
  if (isCorruption(err)) return corruptError(file, dir, err)
  return sqliteError(err, file, 'open the workspace database')
}

export function rebuildHint(dir: string): string {
  return (
    `The corrected masks in ${path.join(dir, MASKS_DIR)} are intact PNG files and stay usable. ` +
    `To rebuild the database (the damaged file is kept aside, corrected masks are adopted): ` +
    `wsm-curator init ${dir} --rebuild`
  )
}

export function corruptError(file: string, dir: string, err: unknown): CodedError {
  const detail = err instanceof Error ? err.message : String(err)
  return new CodedError(
    'workspace-corrupt',
    `the workspace database ${file} is damaged (${detail}). ${rebuildHint(dir)}`,
    file,
  )
}

/** `workspace-locked`, naming the holder when its record can be read. */
function lockedError(dir: string, dbFile: string, nativeBinding: string | undefined): CodedError {
  let who = ''
  try {
    const db = openSqlite(dbFile, { readonly: true, nativeBinding, busyTimeoutMs: 500 })
    try {
      const raw = db.prepare(SQL.holder).pluck().get() as string | undefined
      if (raw) {
        const h = JSON.parse(raw) as { pid?: number; host?: string; since?: string; curator?: string }
        who = ` (process ${h.pid} on ${h.host}, by ${h.curator}, since ${h.since})`
      }
    } finally {
      db.close()
    }
  } catch {
    // The holder is unknown; the lock itself is what matters.
  }
  return new CodedError(
    'workspace-locked',
    `the workspace ${dir} is open in another program${who}; close it there, or open this one read-only`,
    dir,
  )
}

/** Creates and removes a probe file: the reliable test (access(2) is wrong for root and on some mounts). */
async function isWritableDir(dir: string): Promise<boolean> {
  const probe = path.join(dir, `.write-probe-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    const fh = await fsp.open(probe, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL)
    await fh.close()
    await fsp.unlink(probe)
    return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return false
    throw fsError(err, dir, 'write in')
  }
}

/**
 * A database without workspace.json comes from a creation that stopped before its end. It is
 * removed when it holds no decision; otherwise the folder is refused.
 */
async function discardInterruptedCreation(dbFile: string, nativeBinding: string | undefined): Promise<void> {
  let decided: number
  try {
    const db = openSqlite(dbFile, { fileMustExist: true, nativeBinding })
    try {
      decided = db.prepare(SQL.decided).pluck().get() as number
    } finally {
      db.close()
    }
  } catch {
    decided = 1
  }
  if (decided > 0) {
    throw new CodedError(
      'workspace-exists',
      `${dbFile} exists without ${WORKSPACE_FILE} and holds decisions: restore ${WORKSPACE_FILE} or choose another folder`,
      dbFile,
    )
  }
  for (const suffix of ['', '-wal', '-shm']) await fsp.rm(dbFile + suffix, { force: true })
}

/** Inserts rows for new ids and refreshes every row's position in the dataset (writes only changes). */
function syncPairs(db: SqliteDatabase, dataset: Dataset): void {
  const known = new Map<string, number | null>()
  for (const [id, idx] of db.prepare(SQL.positions).raw().all() as [string, number | null][]) {
    known.set(id, idx)
  }
  const inserts: [string, number][] = []
  const moves: [number | null, string][] = []
  for (let i = 0; i < dataset.size; i++) {
    const id = dataset.idAt(i)
    const idx = known.get(id)
    if (idx === undefined) inserts.push([id, i])
    else if (idx !== i) moves.push([i, id])
    known.delete(id)
  }
  for (const [id, idx] of known) if (idx !== null) moves.push([null, id])
  if (inserts.length === 0 && moves.length === 0) return
  const insert = db.prepare(SQL.insertPosition)
  const move = db.prepare(SQL.move)
  db.transaction(() => {
    // Clear moved positions first: no transient duplicates if positions are ever made unique.
    for (const [, id] of moves) move.run(null, id)
    for (const [idx, id] of moves) if (idx !== null) move.run(idx, id)
    for (const [id, idx] of inserts) insert.run(id, idx)
  }).immediate()
}

/** Copies what can still be read from a damaged database into a fresh one. */
function salvage(
  damagedFile: string,
  db: SqliteDatabase,
  nativeBinding: string | undefined,
): { pairs: number; events: number } {
  const out = { pairs: 0, events: 0 }
  let old: SqliteDatabase
  try {
    old = openSqlite(damagedFile, { readonly: true, nativeBinding })
  } catch {
    return out
  }
  try {
    const insertPair = db.prepare(SQL.salvagePair)
    try {
      const rows = old.prepare(SQL.oldPairs).all() as PairRow[]
      db.transaction(() => {
        for (const r of rows) {
          if (typeof r.id !== 'string' || !MASK_FILE.test(`${r.id}.png`) || !isPairStatus(r.status)) continue
          // `corrected` is re-established from the mask files (adoption), never taken on trust.
          const status = r.status === 'corrected' ? 'unreviewed' : r.status
          insertPair.run(r.id, status, r.note ?? null, r.curator ?? null, r.updated_at ?? null)
          out.pairs++
        }
      })()
    } catch {
      // Unreadable table: nothing more to save from it.
    }
    try {
      const rows = old.prepare(SQL.oldEvents).all() as EventRow[]
      const insert = db.prepare(SQL.salvageEvent)
      db.transaction(() => {
        for (const r of rows) {
          if (
            !isPairStatus(r.from_status) ||
            !isPairStatus(r.to_status) ||
            typeof r.pair_id !== 'string' ||
            !Number.isSafeInteger(r.seq) ||
            r.seq <= 0
          )
            continue
          insert.run(
            r.seq,
            r.at,
            r.curator,
            r.pair_id,
            r.kind,
            r.from_status,
            r.to_status,
            r.note,
            r.transitions,
            r.mask_sha256,
            r.recovered,
          )
          out.events++
        }
      })()
    } catch {
      // idem
    }
  } finally {
    old.close()
  }
  return out
}
