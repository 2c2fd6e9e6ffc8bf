/**
 * A curation workspace: a folder holding
 *
 *   workspace.json     the sources (read-only, never written) and the curator — workspaceConfig.ts
 *   workspace.sqlite   review state, statistics, the audit trail, UI state (WAL, synchronous=FULL)
 *   workspace.lock     the single-writer lock (an OS lock held through SQLite; see lock.ts)
 *   masks/             corrected masks, ISIC_nnnnnnn.png, each written atomically
 *   cache/             derived files (quarantined foreign mask files under cache/quarantine/)
 *
 * Durability: every decision is one SQLite transaction, committed with synchronous=FULL (the WAL
 * is fsynced at each commit: decisions come at human pace, a few per second at most, and one the
 * curator has seen saved must survive a power cut). A mask save is a small write-ahead protocol:
 *
 *   1. commit a `pending_saves` row (the new file's SHA-256 and the event to record);
 *   2. write the PNG atomically (temp file, fsync, read back and compare, rename, fsync the folder);
 *   3. commit the pair's new state, its audit event and the removal of the pending row together.
 *
 * Reopening after a crash finishes or forgets each pending save according to the hash of the file
 * in place, deletes temporary files, and reconciles masks/ with the database (adopts unknown valid
 * masks, flags vanished ones). So after a crash at any instant every mask file is whole (old or new)
 * and the database agrees with the files.
 */
import { createHash, randomBytes } from 'node:crypto'
import { constants as fsConstants, promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CodedError } from '../../../shared/api/errors'
import type { LabelMap } from '../../../shared/labels/codes'
import {
  PAIR_STATUSES,
  isPairStatus,
  type EventKind,
  type MaskStats,
  type PairState,
  type PairStatus,
  type ReviewProgress,
  type Transition,
  type WorkspaceEvent,
} from '../../../shared/workspace/review'

export type { PairState, ReviewProgress }
import { Dataset, type DatasetSources } from '../dataset'
import { atomicWriteFile, fsError, removeStaleTemps, type AtomicFs } from '../fs/atomicWrite'
import { decodeMaskPng, encodeMaskPng, type MaskPngFormat } from '../mask/maskPng'
import { readLabelMap } from '../mask/labelMap'
import {
  WORKSPACE_CONFIG_VERSION,
  WORKSPACE_FILE,
  WORKSPACE_FORMAT,
  readWorkspaceConfig,
  writeWorkspaceConfig,
  type WorkspaceConfig,
} from '../workspaceConfig'
import { maskFingerprints } from './fingerprints'
import { LOCK_FILE, WorkspaceLock } from './lock'
import { countTransitions, maskStats } from '../mask/maskStats'
import { readMaskPngFormat } from '../mask/pngFormat'
import { listStatements, pairWhere, type PairFilter } from './pairQuery'
import { checkSchema, migrate } from './schema'
import { isCorruption, openSqlite, sqliteCode, sqliteError, type SqliteDatabase } from './sqlite'
import { defaultScanner, type MaskScanner, type ScanItemResult } from './statsScan'

export const DATABASE_FILE = 'workspace.sqlite'
export const MASKS_DIR = 'masks'
export const CACHE_DIR = 'cache'
const QUARANTINE_DIR = 'quarantine'
/** A corrected mask's file name. */
const MASK_FILE = /^(ISIC_\d{7})\.png$/
const NOTE_MAX = 10_000
const CURATOR_MAX = 100
const UI_VALUE_MAX = 64 * 1024
/** Statistics scan results are committed in batches of this many (or every SCAN_FLUSH_MS). */
const SCAN_BATCH = 512
const SCAN_FLUSH_MS = 1000
export const HISTOGRAM_BINS = 10

// ---- public types ----------------------------------------------------------------------------------

export interface CreateWorkspaceOptions {
  /** The masks source: the ISIC_WSM zip or a folder of PNGs. */
  masks: string
  /** Image sources: folders or zips. */
  images: string[]
  /** Default curator name (else the OS user name). */
  curator?: string
  nativeBinding?: string
}

export interface OpenWorkspaceOptions {
  /** Open without writing anything (no lock, no recovery); saving is refused with `read-only`. */
  readOnly?: boolean
  /** When another program holds the workspace: fail with `workspace-locked` (default) or open read-only. */
  ifLocked?: 'fail' | 'read-only'
  /** The curator for this session (default: the workspace's, else the OS user name). */
  curator?: string
  /** better-sqlite3 native binding for this runtime (Electron); default $WSM_CURATOR_SQLITE_BINDING. */
  nativeBinding?: string
  /** File operations for mask writes (tests inject failures, e.g. ENOSPC). */
  fs?: AtomicFs
  /** The mask scanner for statistics (default: the worker-thread scan of electron/services/scan). */
  scanner?: MaskScanner
}

/** Why a workspace is read-only. */
export type ReadOnlyReason = 'requested' | 'locked' | 'unwritable'

export interface PairQuery extends PairFilter {
  /** Default 'id'. With 'uncertain', pairs not yet scanned come last in both orders. */
  sort?: 'id' | 'uncertain'
  order?: 'asc' | 'desc'
  offset?: number
  /** Default 100, at most 10,000. */
  limit?: number
}

export interface PairListItem {
  index: number
  id: string
  status: PairStatus
  uncertainFraction: number | null
  corrected: boolean
}

export interface PairListPage {
  total: number
  offset: number
  items: PairListItem[]
}

export interface SaveMaskResult {
  id: string
  index: number
  /** The corrected mask file. */
  file: string
  sha256: string
  bytes: number
  transitions: Transition[]
  stats: MaskStats
  status: 'corrected'
}

export interface CurrentMask {
  map: LabelMap
  format: MaskPngFormat
  origin: 'corrected' | 'source'
  file: string
}

export interface WorkspaceStats extends ReviewProgress {
  /** Pairs with statistics (scanned source, or a corrected mask). */
  scanned: number
  /** Pairs whose source mask has a problem (unreadable, invalid values, challenge convention…). */
  scanProblems: number
  /** Pairs whose source mask could not be analysed at all (no statistics). */
  scanFailed: number
  /** Pairs not analysed yet. */
  unscanned: number
  /** Counts of pairs per uncertain fraction: bin k holds [k/10, (k+1)/10), the last one includes 1. */
  uncertainHistogram: number[]
  /** Pairs with no uncertain pixel at all (also counted in bin 0). */
  noUncertain: number
  /** Uncertain pixels left in the current masks of all pairs, and in those still to decide. */
  uncertainPixels: number
  uncertainPixelsUndecided: number
}

export interface StatsScanOptions {
  onProgress?(progress: StatsScanProgress): void
  signal?: AbortSignal
  workers?: number
}

export interface StatsScanProgress {
  /** Pairs analysed in this run so far, and to analyse in total in this run. */
  done: number
  toScan: number
  /** Pairs skipped because their statistics are current (source unchanged, or corrected). */
  skipped: number
  /** Masks that could not be analysed (unreadable or invalid). */
  failed: number
  /** Masks with a problem code (`failed` ones included, and e.g. `challenge-convention`). */
  problems: number
}

export interface StatsScanResult extends StatsScanProgress {
  aborted: boolean
}

export interface EventQuery {
  /** At most this many, newest first (default 1000). */
  limit?: number
  /** Only events older than this sequence number (paging). */
  beforeSeq?: number
}

/** Small JSON values the UI restores when the workspace reopens: last pair, filter, sort… */
export interface UiState {
  get(key: string): unknown
  /** Stores a JSON value (null or undefined deletes). In a read-only workspace, kept in memory only. */
  set(key: string, value: unknown): void
  all(): Record<string, unknown>
}

/** Keys the app uses in UiState. */
export const UI_KEYS = { lastPair: 'lastPair', filter: 'filter', sort: 'sort' } as const

// ---- internals ------------------------------------------------------------------------------------

interface PairRow {
  id: string
  idx: number | null
  status: PairStatus
  note: string | null
  curator: string | null
  updated_at: number | null
  mask_sha256: string | null
  mask_size: number | null
  mask_mtime: number | null
  width: number | null
  height: number | null
  background: number | null
  lesion: number | null
  uncertain: number | null
  lesion_components: number | null
  uncertain_components: number | null
  uncertain_fraction: number | null
  scan_fp: string | null
  scan_error: string | null
}

interface ListRow {
  id: string
  status: PairStatus
  uncertain_fraction: number | null
  corrected: number
}

interface EventRow {
  seq: number
  at: number
  curator: string
  pair_id: string
  kind: EventKind
  from_status: PairStatus
  to_status: PairStatus
  note: string | null
  transitions: string | null
  mask_sha256: string | null
  recovered: number
}

/** What a pending save records, to be completed after a crash. */
interface PendingPayload {
  at: number
  curator: string
  note?: string | null
  kind: 'save' | 'adopted'
  transitions: Transition[]
  stats: MaskStats
  bytes: number
}

interface NewEvent {
  at: number
  curator: string
  id: string
  kind: EventKind
  from: PairStatus
  to: PairStatus
  note?: string | null
  transitions?: readonly Transition[]
  maskSha256?: string | null
  recovered?: boolean
}

/** Lets queued I/O callbacks and requests run before the next CPU-heavy step. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}

function checkCurator(name: string): string {
  const c = name.trim()
  if (c === '' || c.length > CURATOR_MAX || [...c].some((ch) => ch.charCodeAt(0) < 0x20)) {
    throw new CodedError('bad-request', `curator name must be 1–${CURATOR_MAX} printable characters`)
  }
  return c
}

function defaultCurator(): string {
  try {
    return os.userInfo().username || 'unknown'
  } catch {
    return 'unknown'
  }
}

function checkNote(note: string | null | undefined): string | null | undefined {
  if (note === undefined || note === null) return note
  if (typeof note !== 'string' || note.length > NOTE_MAX) {
    throw new CodedError('bad-request', `a note is a string of at most ${NOTE_MAX} characters`)
  }
  return note.trim() === '' ? null : note
}

function statsOf(row: PairRow): MaskStats | null {
  if (row.width === null || row.height === null || row.uncertain === null) return null
  return {
    width: row.width,
    height: row.height,
    background: row.background ?? 0,
    lesion: row.lesion ?? 0,
    uncertain: row.uncertain,
    lesionComponents: row.lesion_components ?? 0,
    uncertainComponents: row.uncertain_components ?? 0,
  }
}

/** A pair's review state from its row (the defaults when it has none). */
function stateOf(index: number, id: string, row: PairRow | undefined): PairState {
  if (!row) {
    return {
      index,
      id,
      status: 'unreviewed',
      note: null,
      curator: null,
      updatedAt: null,
      corrected: false,
      stats: null,
      uncertainFraction: null,
      scanError: null,
    }
  }
  return {
    index,
    id,
    status: row.status,
    note: row.note,
    curator: row.curator,
    updatedAt: iso(row.updated_at),
    corrected: row.mask_sha256 !== null,
    stats: statsOf(row),
    uncertainFraction: row.uncertain_fraction,
    scanError: row.scan_error,
  }
}

function statsParams(s: MaskStats): unknown[] {
  return [
    s.width,
    s.height,
    s.background,
    s.lesion,
    s.uncertain,
    s.lesionComponents,
    s.uncertainComponents,
    s.uncertain / (s.width * s.height),
  ]
}

function emptyByStatus(): Record<PairStatus, number> {
  return Object.fromEntries(PAIR_STATUSES.map((s) => [s, 0])) as Record<PairStatus, number>
}

async function exists(file: string): Promise<boolean> {
  try {
    await fsp.lstat(file)
    return true
  } catch {
    return false
  }
}

/** True when `inner` is `outer` or inside it. */
function isWithin(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

// ---- the workspace --------------------------------------------------------------------------------

/**
 * An open curation workspace. Obtain one with `Workspace.create`, `Workspace.open` or
 * `Workspace.rebuild`; `close()` it when done. Mutations (`setStatus`, `setStatuses`, `saveMask`)
 * are serialised in call order; reads are synchronous SQLite queries on indexes.
 */
export class Workspace {
  readonly dir: string
  readonly config: WorkspaceConfig
  readonly dataset: Dataset
  /** The curator recorded in this session's events. */
  readonly curator: string
  /** Why the workspace is read-only, or null when it is writable. */
  readonly readOnlyReason: ReadOnlyReason | null
  /** Things worth telling the curator about the opening (recoveries, adopted or quarantined files). */
  readonly notices: string[]
  readonly uiState: UiState

  readonly #db: SqliteDatabase
  readonly #lock: WorkspaceLock | undefined
  readonly #fs: AtomicFs | undefined
  readonly #scanner: MaskScanner
  #queue: Promise<unknown> = Promise.resolve()
  #scan: { controller: AbortController; done: Promise<unknown> } | undefined
  #closed = false
  /** A save whose file landed but whose record did not commit (e.g. disk full): retried before the next mutation. */
  #pendingToRecover = false
  readonly #memoryUi = new Map<string, string>()
  /** The mask last saved, as read back (saving the same pair again needs no decode of it). */
  #lastSaved: { id: string; sha256: string; map: LabelMap } | undefined
  /** A private copy of the database (read-only opening of a crashed WAL database), removed at close. */
  readonly #snapshotDir: string | undefined

  private constructor(init: {
    dir: string
    config: WorkspaceConfig
    dataset: Dataset
    db: SqliteDatabase
    lock: WorkspaceLock | undefined
    curator: string
    readOnlyReason: ReadOnlyReason | null
    notices: string[]
    fs: AtomicFs | undefined
    scanner: MaskScanner
    snapshotDir: string | undefined
  }) {
    this.dir = init.dir
    this.config = init.config
    this.dataset = init.dataset
    this.#db = init.db
    this.#lock = init.lock
    this.curator = init.curator
    this.readOnlyReason = init.readOnlyReason
    this.notices = init.notices
    this.#fs = init.fs
    this.#scanner = init.scanner
    this.#snapshotDir = init.snapshotDir
    this.uiState = {
      get: (key) => this.#uiGet(key),
      set: (key, value) => this.#uiSet(key, value),
      all: () => this.#uiAll(),
    }
  }

  get readOnly(): boolean {
    return this.readOnlyReason !== null
  }

  get databaseFile(): string {
    return path.join(this.dir, DATABASE_FILE)
  }

  get masksDir(): string {
    return path.join(this.dir, MASKS_DIR)
  }

  /** The corrected mask file of a pair (whether or not it exists). */
  maskFile(id: string): string {
    return path.join(this.masksDir, `${id}.png`)
  }

  // ---- opening ------------------------------------------------------------------------------------

  /**
   * Creates a workspace in `dir` (created if missing; an existing folder must not already be a
   * workspace: `workspace-exists`) for the given sources, and opens it. The sources are opened
   * first, so unusable sources fail before anything is written. No source is ever written: a
   * workspace may not lie inside a source folder, nor a source inside the workspace's masks/ or cache/.
   */
  static async create(dir: string, options: CreateWorkspaceOptions): Promise<Workspace> {
    const abs = path.resolve(dir)
    const sources: DatasetSources = {
      masks: path.resolve(options.masks),
      images: options.images.map((p) => path.resolve(p)),
    }
    if (sources.images.length === 0)
      throw new CodedError('bad-request', 'a workspace needs at least one image source')
    const curator = options.curator === undefined ? undefined : checkCurator(options.curator)
    if (await exists(path.join(abs, WORKSPACE_FILE))) {
      throw new CodedError(
        'workspace-exists',
        `${abs} is already a workspace (it has ${WORKSPACE_FILE})`,
        abs,
      )
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
        await fsp.mkdir(path.join(abs, MASKS_DIR), { recursive: true })
        await fsp.mkdir(path.join(abs, CACHE_DIR), { recursive: true })
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
      db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('createdAt', ?)`).run(
        new Date().toISOString(),
      )
      const config: WorkspaceConfig = {
        format: WORKSPACE_FORMAT,
        version: WORKSPACE_CONFIG_VERSION,
        sources,
        createdAt: new Date().toISOString(),
      }
      if (curator !== undefined) config.curator = curator
      await writeWorkspaceConfig(abs, config)
      return await Workspace.#finishOpen({
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

  /**
   * Opens an existing workspace. Writable unless `readOnly`, the folder is not writable
   * (`readOnlyReason` 'unwritable'), or another program holds it and `ifLocked` is 'read-only'
   * (else `workspace-locked`). A damaged database gives `workspace-corrupt` (see `rebuild`).
   */
  static async open(dir: string, options: OpenWorkspaceOptions = {}): Promise<Workspace> {
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
      return await Workspace.#finishOpen({
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

  /**
   * Replaces a damaged (or missing) database: the old file is kept aside as
   * `workspace.sqlite.damaged-<time>`, whatever pair states and events can still be read from it are
   * copied, and the corrected masks in masks/ are adopted (status `corrected`). Returns the opened
   * workspace and where the damaged file went.
   */
  static async rebuild(
    dir: string,
    options: Omit<OpenWorkspaceOptions, 'readOnly' | 'ifLocked'> = {},
  ): Promise<{ workspace: Workspace; movedTo: string | null; salvaged: { pairs: number; events: number } }> {
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
    const workspace = await Workspace.open(abs, options)
    return { workspace, movedTo, salvaged }
  }

  static async #finishOpen(args: {
    dir: string
    config: WorkspaceConfig
    dataset: Dataset
    db: SqliteDatabase
    lock: WorkspaceLock | undefined
    readOnlyReason: ReadOnlyReason | null
    options: OpenWorkspaceOptions
    snapshotDir?: string
  }): Promise<Workspace> {
    const { options } = args
    const curator = checkCurator(options.curator ?? args.config.curator ?? defaultCurator())
    const ws = new Workspace({
      dir: args.dir,
      config: args.config,
      dataset: args.dataset,
      db: args.db,
      lock: args.lock,
      curator,
      readOnlyReason: args.readOnlyReason,
      notices: [],
      fs: options.fs,
      scanner: options.scanner ?? defaultScanner,
      snapshotDir: args.snapshotDir,
    })
    if (args.snapshotDir !== undefined) {
      ws.notices.push(
        'the database was left open by a crash and the folder is read-only: showing a snapshot of it',
      )
    }
    if (args.readOnlyReason === null) {
      args.db
        .prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('holder', ?)`)
        .run(
          JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString(), curator }),
        )
      await ws.#recover()
    }
    return ws
  }

  // ---- reading ------------------------------------------------------------------------------------

  /** The review state of one pair (`not-found` for an id the dataset does not hold). */
  pairState(id: string): PairState {
    const { index } = this.dataset.find(id)
    return stateOf(index, id, this.#row(id))
  }

  /**
   * The review state of every pair matching a filter, in id order: what `pairState` gives for each,
   * from one query (an export's plan reads thousands). Rows of ids the dataset does not hold are
   * skipped.
   */
  pairStates(query: PairFilter = {}): PairState[] {
    const { where, params } = pairWhere(query)
    const rows = this.#db
      .prepare(`SELECT * FROM pairs WHERE ${where} ORDER BY id`)
      .all(...params) as PairRow[]
    const states: PairState[] = []
    for (const row of rows) {
      let index: number
      try {
        index = this.dataset.find(row.id).index
      } catch {
        continue
      }
      states.push(stateOf(index, row.id, row))
    }
    return states
  }

  /**
   * A page of pairs, filtered and sorted in SQLite on indexes (status, uncertain fraction, id): the
   * work per page does not grow with the dataset beyond the index range scan.
   */
  listPairs(query: PairQuery = {}): PairListPage {
    const offset = query.offset ?? 0
    const limit = query.limit ?? 100
    if (!Number.isInteger(offset) || offset < 0)
      throw new CodedError('bad-request', 'offset must be an integer ≥ 0')
    if (!Number.isInteger(limit) || limit < 0 || limit > 10_000)
      throw new CodedError('bad-request', 'limit must be an integer from 0 to 10000')
    const order = query.order ?? 'asc'
    if (order !== 'asc' && order !== 'desc') throw new CodedError('bad-request', `order must be asc or desc`)
    const sort = query.sort ?? 'id'
    if (sort !== 'id' && sort !== 'uncertain')
      throw new CodedError('bad-request', `sort must be id or uncertain`)
    const sql = listStatements(query, sort, order)
    const params = sql.params
    const count = (q: string) =>
      this.#db
        .prepare(q)
        .pluck()
        .get(...params) as number
    const page = (q: string, lim: number, off: number) =>
      this.#db.prepare(q).all(...params, lim, off) as ListRow[]
    const total = count(sql.count)
    let rows: ListRow[] = []
    if (sql.byId !== undefined) rows = page(sql.byId, limit, offset)
    else {
      // Scanned pairs in fraction order (one index range), then the unscanned ones by id.
      const scanned = count(sql.scannedCount as string)
      if (offset < scanned) rows = page(sql.scanned as string, limit, offset)
      if (rows.length < limit && offset + rows.length >= scanned) {
        rows = rows.concat(page(sql.unscanned as string, limit - rows.length, Math.max(0, offset - scanned)))
      }
    }
    const items: PairListItem[] = []
    for (const r of rows) {
      let index: number
      try {
        index = this.dataset.find(r.id).index
      } catch {
        continue // read-only workspace whose sources changed since the last writable opening
      }
      items.push({
        index,
        id: r.id,
        status: r.status,
        uncertainFraction: r.uncertain_fraction,
        corrected: r.corrected === 1,
      })
    }
    return { total, offset, items }
  }

  /** Every id matching a filter, in id order (for bulk decisions). */
  listIds(query: PairFilter = {}): string[] {
    const { where, params } = pairWhere(query)
    return this.#db
      .prepare(`SELECT id FROM pairs WHERE ${where} ORDER BY id`)
      .pluck()
      .all(...params) as string[]
  }

  /**
   * The current mask of a pair: the corrected one if any, else the source, decoded exactly (stored
   * grey values or palette indices) and checked (labels only).
   */
  async readCurrentMask(id: string): Promise<CurrentMask> {
    const { index } = this.dataset.find(id)
    const row = this.#row(id)
    if (row?.mask_sha256) {
      const file = this.maskFile(id)
      let bytes: Buffer
      try {
        bytes = await fsp.readFile(file)
      } catch (err) {
        throw fsError(err, file, 'read')
      }
      const { map, format } = readLabelMap(bytes, file)
      return { map, format, origin: 'corrected', file }
    }
    const { bytes, file } = await this.dataset.readMaskBytes(index)
    const { map, format } = readLabelMap(bytes, file)
    return { map, format, origin: 'source', file }
  }

  /** Audit events, newest first: of one pair, or of the whole workspace. */
  events(id?: string, query: EventQuery = {}): WorkspaceEvent[] {
    const limit = query.limit ?? 1000
    if (!Number.isInteger(limit) || limit < 0)
      throw new CodedError('bad-request', 'limit must be an integer ≥ 0')
    const conds: string[] = []
    const params: unknown[] = []
    if (id !== undefined) {
      conds.push('pair_id = ?')
      params.push(id)
    }
    if (query.beforeSeq !== undefined) {
      conds.push('seq < ?')
      params.push(query.beforeSeq)
    }
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : ''
    const rows = this.#db
      .prepare(`SELECT * FROM events ${where} ORDER BY seq DESC LIMIT ?`)
      .all(...params, limit) as EventRow[]
    return rows.map((r) => ({
      seq: r.seq,
      at: new Date(r.at).toISOString(),
      curator: r.curator,
      id: r.pair_id,
      kind: r.kind,
      from: r.from_status,
      to: r.to_status,
      note: r.note,
      transitions: r.transitions
        ? (JSON.parse(r.transitions) as [Transition['from'], Transition['to'], number][]).map(
            ([from, to, pixels]) => ({
              from,
              to,
              pixels,
            }),
          )
        : [],
      maskSha256: r.mask_sha256,
      recovered: r.recovered === 1,
    }))
  }

  /** Counts per status and the number of decided pairs, over the pairs of the open dataset. */
  progress(): ReviewProgress {
    const byStatus = emptyByStatus()
    const rows = this.#db
      .prepare(`SELECT status, count(*) AS n FROM pairs WHERE idx IS NOT NULL GROUP BY status`)
      .all() as { status: PairStatus; n: number }[]
    for (const r of rows) byStatus[r.status] = r.n
    const total = this.dataset.size
    // Pairs the dataset holds but a read-only database has not seen yet are unreviewed.
    const known = rows.reduce((a, r) => a + r.n, 0)
    if (known < total) byStatus.unreviewed += total - known
    const reviewed = byStatus.accepted + byStatus.corrected + byStatus.rejected + byStatus.flagged
    return { total, reviewed, byStatus }
  }

  /** Review progress plus statistics of the current masks (see WorkspaceStats). */
  stats(): WorkspaceStats {
    const progress = this.progress()
    const agg = this.#db
      .prepare(
        `SELECT count(uncertain_fraction) AS scanned,
                count(scan_error) AS problems,
                count(CASE WHEN uncertain_fraction IS NULL AND scan_error IS NOT NULL THEN 1 END) AS failed,
                total(uncertain) AS unc,
                total(CASE WHEN status IN ('unreviewed', 'skipped') THEN uncertain END) AS uncOpen,
                count(CASE WHEN uncertain = 0 THEN 1 END) AS zero
         FROM pairs WHERE idx IS NOT NULL`,
      )
      .get() as {
      scanned: number
      problems: number
      failed: number
      unc: number
      uncOpen: number
      zero: number
    }
    const histogram = new Array<number>(HISTOGRAM_BINS).fill(0)
    const bins = this.#db
      .prepare(
        `SELECT min(${HISTOGRAM_BINS - 1}, CAST(uncertain_fraction * ${HISTOGRAM_BINS} AS INTEGER)) AS bin, count(*) AS n
         FROM pairs WHERE idx IS NOT NULL AND uncertain_fraction IS NOT NULL GROUP BY bin`,
      )
      .all() as { bin: number; n: number }[]
    for (const b of bins) histogram[b.bin] = b.n
    return {
      ...progress,
      scanned: agg.scanned,
      scanProblems: agg.problems,
      scanFailed: agg.failed,
      unscanned: progress.total - agg.scanned - agg.failed,
      uncertainHistogram: histogram,
      noUncertain: agg.zero,
      uncertainPixels: agg.unc,
      uncertainPixelsUndecided: agg.uncOpen,
    }
  }

  // ---- deciding -----------------------------------------------------------------------------------

  /**
   * Sets a pair's status (and note: a string sets it, null clears it, undefined keeps it), as one
   * audited transaction. `corrected` requires a corrected mask (use saveMask). Setting the same
   * status and note again records nothing.
   */
  async setStatus(
    id: string,
    status: PairStatus,
    options: { note?: string | null } = {},
  ): Promise<PairState> {
    await this.setStatuses([id], status, options)
    return this.pairState(id)
  }

  /**
   * Sets the status of many pairs in ONE transaction (all or nothing), one audit event per pair
   * that changes. Unknown ids (`not-found`) or `corrected` without a mask (`bad-request`) fail the
   * whole call before anything is written.
   */
  async setStatuses(
    ids: readonly string[],
    status: PairStatus,
    options: { note?: string | null } = {},
  ): Promise<{ changed: number; unchanged: number }> {
    this.#writable()
    if (!isPairStatus(status)) throw new CodedError('bad-request', `unknown status ${JSON.stringify(status)}`)
    const note = checkNote(options.note)
    return this.#serial(async () => {
      const unknown = ids.filter((id) => !this.#inDataset(id))
      if (unknown.length > 0) {
        throw new CodedError(
          'not-found',
          `${unknown.length} id(s) are not pairs of this workspace: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? '…' : ''}`,
        )
      }
      const now = Date.now()
      const select = this.#db.prepare(`SELECT status, note, mask_sha256 FROM pairs WHERE id = ?`)
      const update = this.#db.prepare(
        `UPDATE pairs SET status = ?, note = ?, curator = ?, updated_at = ? WHERE id = ?`,
      )
      return this.#write('set the status', () => {
        let changed = 0
        const unique = [...new Set(ids)]
        for (const id of unique) {
          const row = select.get(id) as Pick<PairRow, 'status' | 'note' | 'mask_sha256'>
          if (status === 'corrected' && row.mask_sha256 === null) {
            throw new CodedError('bad-request', `${id} has no corrected mask: save one to mark it corrected`)
          }
          const newNote = note === undefined ? row.note : note
          if (row.status === status && row.note === newNote) continue
          update.run(status, newNote, this.curator, now, id)
          this.#appendEvent({
            at: now,
            curator: this.curator,
            id,
            kind: 'status',
            from: row.status,
            to: status,
            note: note === undefined ? null : newNote,
          })
          changed++
        }
        return { changed, unchanged: unique.length - changed }
      })
    })
  }

  /**
   * Saves a corrected mask for a pair: checked (same size as the source, values 0, 1, 255 only),
   * encoded in the source's PNG format (grey stays grey; a palette keeps its PLTE and indices),
   * written atomically and read back, then recorded — status `corrected`, statistics, and an audit
   * event with the pixel transitions against the previous current mask. `map` must not change
   * until the returned promise settles.
   */
  async saveMask(id: string, map: LabelMap, options: { note?: string | null } = {}): Promise<SaveMaskResult> {
    this.#writable()
    const note = checkNote(options.note)
    const { index } = this.dataset.find(id)
    if (
      !map ||
      !Number.isInteger(map.width) ||
      !Number.isInteger(map.height) ||
      !(map.data instanceof Uint8Array) ||
      map.data.length !== map.width * map.height
    ) {
      throw new CodedError(
        'mask-size',
        `the mask's data does not match its size ${map?.width}×${map?.height}`,
      )
    }
    return this.#serial(async () => {
      const row = this.#row(id)
      const corrected = row?.mask_sha256 ?? null
      // The source gives the size and the PNG format; the previous current mask gives the transitions
      // (decoded without judging its values: a source with bad values can still be corrected).
      const source = await this.dataset.readMaskBytes(index)
      let format: MaskPngFormat
      let previous: LabelMap
      if (corrected !== null) {
        format = readMaskPngFormat(source.bytes, source.file).format
        const last = this.#lastSaved
        if (last?.id === id && last.sha256 === corrected) previous = last.map
        else {
          const file = this.maskFile(id)
          let bytes: Buffer
          try {
            bytes = await fsp.readFile(file)
          } catch (err) {
            throw fsError(err, file, 'read')
          }
          previous = decodeMaskPng(bytes, file)
        }
      } else {
        const decoded = decodeMaskPng(source.bytes, source.file)
        format = decoded.format
        previous = decoded
      }
      const target = this.maskFile(id)
      if (map.width !== previous.width || map.height !== previous.height) {
        throw new CodedError(
          'mask-size',
          `the mask is ${map.width}×${map.height} but ${id}'s source mask is ${previous.width}×${previous.height}`,
          target,
        )
      }
      // The CPU-heavy steps (tens of ms each on 12 Mpx) give the event loop a turn in between, so
      // IPC and HTTP requests are served while a large mask is being saved.
      await turn()
      const png = encodeMaskPng(map, format) // refuses values other than 0, 1, 255 (mask-values)
      const hash = sha256(png)
      await turn()
      const transitions = countTransitions(previous.data, map.data)
      await turn()
      const stats = maskStats(map, target)
      const payload: PendingPayload = {
        at: Date.now(),
        curator: this.curator,
        note,
        kind: 'save',
        transitions,
        stats,
        bytes: png.length,
      }
      this.#write('prepare the save', () => {
        this.#db
          .prepare(
            `INSERT OR REPLACE INTO pending_saves (pair_id, sha256, payload, started_at) VALUES (?, ?, ?, ?)`,
          )
          .run(id, hash, JSON.stringify(payload), payload.at)
      })
      this.#lastSaved = undefined
      let written: LabelMap | undefined
      try {
        await atomicWriteFile(target, png, {
          fs: this.#fs,
          verify: async (temp) => {
            written = await verifyWritten(temp, png, map, target)
          },
        })
      } catch (err) {
        // The rename may have happened before the failure (e.g. flushing the folder failed): then
        // the save is kept pending and completed later, else forgotten.
        if (await this.#landed(id, hash)) this.#pendingToRecover = true
        else this.#forgetPending(id)
        throw err
      }
      // The decoded read-back equals `map` and belongs to us: the previous mask of the next save.
      if (written) this.#lastSaved = { id, sha256: hash, map: written }
      try {
        await this.#completeSave(id, hash, payload, false)
      } catch (err) {
        // The file is in place; its record will be completed before the next change or on reopening.
        this.#pendingToRecover = true
        const e = err instanceof CodedError ? err : sqliteError(err, this.databaseFile, 'record the save')
        throw new CodedError(
          e.code,
          `${e.message} (the mask file ${target} was written; its record will be completed when possible)`,
          e.file,
        )
      }
      return {
        id,
        index,
        file: target,
        sha256: hash,
        bytes: png.length,
        transitions: payload.transitions,
        stats: payload.stats,
        status: 'corrected',
      }
    })
  }

  // ---- statistics scan ----------------------------------------------------------------------------

  /**
   * Analyses the source masks whose statistics are missing or stale (the source file's fingerprint
   * changed), skipping corrected pairs; results are committed in batches, so an interrupted scan
   * (abort, crash) resumes where it stopped. One scan at a time; `close()` aborts it.
   */
  async startStatsScan(options: StatsScanOptions = {}): Promise<StatsScanResult> {
    this.#writable()
    if (this.#scan) throw new CodedError('bad-request', 'a statistics scan is already running')
    const controller = new AbortController()
    const onAbort = () => controller.abort()
    options.signal?.addEventListener('abort', onAbort, { once: true })
    if (options.signal?.aborted) controller.abort()
    const run = this.#runScan(controller, options)
    this.#scan = { controller, done: run.catch(() => undefined) }
    try {
      return await run
    } finally {
      options.signal?.removeEventListener('abort', onAbort)
      this.#scan = undefined
    }
  }

  async #runScan(controller: AbortController, options: StatsScanOptions): Promise<StatsScanResult> {
    const signal = controller.signal
    const rows = this.#db
      .prepare(
        `SELECT id, idx, scan_fp, mask_sha256, scan_error, uncertain_fraction FROM pairs WHERE idx IS NOT NULL`,
      )
      .all() as Pick<
      PairRow,
      'id' | 'idx' | 'scan_fp' | 'mask_sha256' | 'scan_error' | 'uncertain_fraction'
    >[]
    // Corrected pairs have the statistics of their corrected mask; the others are candidates.
    const candidates = rows.filter((r) => r.mask_sha256 === null && r.idx !== null)
    const fingerprints = await maskFingerprints(
      this.dataset,
      candidates.map((r) => r.idx as number),
    )
    const indices: number[] = []
    for (const r of candidates) {
      const fp = fingerprints.get(r.idx as number) ?? null
      const analysed = r.uncertain_fraction !== null || r.scan_error !== null
      if (fp !== null && r.scan_fp === fp && analysed) continue
      indices.push(r.idx as number)
    }
    indices.sort((a, b) => a - b)
    const state: StatsScanProgress = {
      done: 0,
      toScan: indices.length,
      skipped: rows.length - indices.length,
      failed: 0,
      problems: 0,
    }
    const setStats = this.#db.prepare(
      `UPDATE pairs SET width = ?, height = ?, background = ?, lesion = ?, uncertain = ?, lesion_components = ?,
         uncertain_components = ?, uncertain_fraction = ?, scan_fp = ?, scan_error = ?
       WHERE id = ? AND mask_sha256 IS NULL`,
    )
    const setUnreadable = this.#db.prepare(
      `UPDATE pairs SET width = NULL, height = NULL, background = NULL, lesion = NULL, uncertain = NULL,
         lesion_components = NULL, uncertain_components = NULL, uncertain_fraction = NULL, scan_fp = ?, scan_error = ?
       WHERE id = ? AND mask_sha256 IS NULL`,
    )
    let batch: ScanItemResult[] = []
    let lastFlush = Date.now()
    const flush = () => {
      if (batch.length === 0) return
      const items = batch
      batch = []
      lastFlush = Date.now()
      this.#write('record statistics', () => {
        for (const r of items) {
          const id = this.dataset.idAt(r.index)
          const fp = fingerprints.get(r.index) ?? null
          const problem = r.problem?.code ?? null
          if (r.stats) setStats.run(...statsParams(r.stats), fp, problem, id)
          else setUnreadable.run(fp, problem ?? 'internal', id)
        }
      })
    }
    options.onProgress?.({ ...state })
    let flushError: unknown
    if (indices.length > 0 && !signal.aborted) {
      await this.#scanner(this.dataset, {
        indices,
        signal,
        workers: options.workers,
        onResult: (r) => {
          if (flushError !== undefined) return
          batch.push(r)
          state.done++
          if (!r.stats) state.failed++
          if (r.problem) state.problems++
          if (batch.length >= SCAN_BATCH || Date.now() - lastFlush >= SCAN_FLUSH_MS) {
            try {
              flush()
            } catch (err) {
              // E.g. the disk is full: stop the scan; what was committed stays.
              flushError = err
              controller.abort()
              return
            }
          }
          options.onProgress?.({ ...state })
        },
      })
    }
    if (flushError !== undefined) throw flushError
    flush()
    return { ...state, aborted: state.done < state.toScan }
  }

  // ---- closing ------------------------------------------------------------------------------------

  /**
   * Finishes pending mutations, stops a running scan (its finished results are kept), and closes.
   * A writable workspace leaves its database in rollback-journal mode, so it can later be opened
   * from read-only media. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#scan) {
      this.#scan.controller.abort()
      await this.#scan.done
    }
    await this.#queue.catch(() => undefined)
    try {
      if (!this.readOnly) {
        try {
          this.#db.prepare(`DELETE FROM meta WHERE key = 'holder'`).run()
          this.#db.pragma('journal_mode = DELETE')
        } catch {
          // A reader elsewhere keeps the WAL open (or the disk is full): stay in WAL mode, nothing
          // is lost; the holder record is only informative.
        }
      }
    } finally {
      this.#db.close()
      this.#lock?.release()
      await this.dataset.close()
      if (this.#snapshotDir !== undefined) await fsp.rm(this.#snapshotDir, { recursive: true, force: true })
    }
  }

  // ---- internals ----------------------------------------------------------------------------------

  #writable(): void {
    if (this.#closed) throw new CodedError('bad-request', 'the workspace is closed')
    if (this.readOnlyReason !== null) {
      const why =
        this.readOnlyReason === 'locked'
          ? 'another program has it open'
          : this.readOnlyReason === 'unwritable'
            ? 'its folder is not writable'
            : 'it was opened read-only'
      throw new CodedError('read-only', `the workspace ${this.dir} is read-only (${why})`, this.dir)
    }
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => {
      if (this.#pendingToRecover) await this.#recoverPending()
      return fn()
    })
    this.#queue = run.catch(() => undefined)
    return run
  }

  /** Runs fn in one IMMEDIATE transaction, mapping SQLite errors to coded ones. */
  #write<T>(what: string, fn: () => T): T {
    try {
      return this.#db.transaction(fn).immediate()
    } catch (err) {
      throw err instanceof CodedError ? err : sqliteError(err, this.databaseFile, what)
    }
  }

  /** Prepared once: the queue, thumbnails and exports call this for every pair they touch. */
  #rowStatement: ReturnType<SqliteDatabase['prepare']> | undefined

  #row(id: string): PairRow | undefined {
    this.#rowStatement ??= this.#db.prepare(`SELECT * FROM pairs WHERE id = ?`)
    return this.#rowStatement.get(id) as PairRow | undefined
  }

  #inDataset(id: string): boolean {
    try {
      this.dataset.find(id)
      return true
    } catch {
      return false
    }
  }

  #appendEvent(e: NewEvent): void {
    this.#db
      .prepare(
        `INSERT INTO events (at, curator, pair_id, kind, from_status, to_status, note, transitions, mask_sha256, recovered)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        e.at,
        e.curator,
        e.id,
        e.kind,
        e.from,
        e.to,
        e.note ?? null,
        e.transitions ? JSON.stringify(e.transitions.map((t) => [t.from, t.to, t.pixels])) : null,
        e.maskSha256 ?? null,
        e.recovered ? 1 : 0,
      )
  }

  /** True when the pair's mask file holds exactly the bytes hashing to `hash`. */
  async #landed(id: string, hash: string): Promise<boolean> {
    try {
      return sha256(await fsp.readFile(this.maskFile(id))) === hash
    } catch {
      return false
    }
  }

  #forgetPending(id: string): void {
    try {
      this.#db.prepare(`DELETE FROM pending_saves WHERE pair_id = ?`).run(id)
    } catch {
      // Harmless if it stays: on reopening, the file's hash will not match and it is dropped.
    }
  }

  /** Records a save whose file is in place (step 3), in one transaction. */
  async #completeSave(id: string, hash: string, payload: PendingPayload, recovered: boolean): Promise<void> {
    const file = this.maskFile(id)
    let st
    try {
      st = await fsp.stat(file)
    } catch (err) {
      throw fsError(err, file, 'check')
    }
    this.#write('record the save', () => {
      const row = this.#row(id)
      const from: PairStatus = row?.status ?? 'unreviewed'
      if (!row) this.#db.prepare(`INSERT INTO pairs (id) VALUES (?)`).run(id)
      const note = payload.note === undefined ? (row?.note ?? null) : payload.note
      this.#db
        .prepare(
          `UPDATE pairs SET status = 'corrected', note = ?, curator = ?, updated_at = ?, mask_sha256 = ?, mask_size = ?,
             mask_mtime = ?, width = ?, height = ?, background = ?, lesion = ?, uncertain = ?, lesion_components = ?,
             uncertain_components = ?, uncertain_fraction = ?, scan_error = NULL
           WHERE id = ?`,
        )
        .run(note, payload.curator, payload.at, hash, st.size, st.mtimeMs, ...statsParams(payload.stats), id)
      this.#appendEvent({
        at: payload.at,
        curator: payload.curator,
        id,
        kind: payload.kind,
        from,
        to: 'corrected',
        note: payload.note ?? null,
        transitions: payload.transitions,
        maskSha256: hash,
        recovered,
      })
      this.#db.prepare(`DELETE FROM pending_saves WHERE pair_id = ?`).run(id)
    })
  }

  /** Completes or drops the pending saves according to the files in place. */
  async #recoverPending(): Promise<void> {
    const pending = this.#db.prepare(`SELECT pair_id, sha256, payload FROM pending_saves`).all() as {
      pair_id: string
      sha256: string
      payload: string
    }[]
    for (const p of pending) {
      if (await this.#landed(p.pair_id, p.sha256)) {
        await this.#completeSave(p.pair_id, p.sha256, JSON.parse(p.payload) as PendingPayload, true)
        this.notices.push(`${p.pair_id}: a mask save interrupted by a crash had completed; recorded it`)
      } else {
        this.#write('drop an unfinished save', () => {
          this.#db.prepare(`DELETE FROM pending_saves WHERE pair_id = ?`).run(p.pair_id)
        })
        this.notices.push(
          `${p.pair_id}: a mask save interrupted by a crash had not completed; the previous mask stays`,
        )
      }
    }
    this.#pendingToRecover = false
  }

  /**
   * After opening for writing: removes temporary files, settles pending saves, and reconciles
   * masks/ with the database (size and mtime first; content hashes only when they differ).
   */
  async #recover(): Promise<void> {
    const masksDir = this.masksDir
    await fsp.mkdir(masksDir, { recursive: true }).catch((err: unknown) => {
      throw fsError(err, masksDir, 'create')
    })
    const removed = await removeStaleTemps(masksDir)
    if (removed > 0) this.notices.push(`removed ${removed} temporary file(s) left by an interrupted save`)
    await this.#recoverPending()

    let names: string[]
    try {
      names = await fsp.readdir(masksDir)
    } catch (err) {
      throw fsError(err, masksDir, 'list')
    }
    const onDisk = new Set<string>()
    for (const n of names) {
      const m = MASK_FILE.exec(n)
      if (m) onDisk.add(m[1])
    }
    const recorded = this.#db
      .prepare(
        `SELECT id, status, mask_sha256, mask_size, mask_mtime FROM pairs WHERE mask_sha256 IS NOT NULL`,
      )
      .all() as Pick<PairRow, 'id' | 'status' | 'mask_sha256' | 'mask_size' | 'mask_mtime'>[]
    for (const r of recorded) {
      onDisk.delete(r.id)
      const file = this.maskFile(r.id)
      let st
      try {
        st = await fsp.stat(file)
      } catch {
        this.#maskGone(r.id, r.status, 'mask-missing')
        this.notices.push(`${r.id}: its corrected mask file is missing; the pair is flagged`)
        continue
      }
      if (st.size === r.mask_size && st.mtimeMs === r.mask_mtime) continue
      const bytes = await fsp.readFile(file)
      const hash = sha256(bytes)
      if (hash === r.mask_sha256) {
        this.#db
          .prepare(`UPDATE pairs SET mask_size = ?, mask_mtime = ? WHERE id = ?`)
          .run(st.size, st.mtimeMs, r.id)
        continue
      }
      await this.#adoptFile(r.id, bytes, hash, 'mask-changed')
    }
    for (const id of onDisk) {
      if (!this.#inDataset(id)) continue
      const file = this.maskFile(id)
      const bytes = await fsp.readFile(file)
      await this.#adoptFile(id, bytes, sha256(bytes), 'adopted')
    }
  }

  /** Takes a mask file found in masks/ as the pair's corrected mask, or quarantines it if unusable. */
  async #adoptFile(id: string, bytes: Buffer, hash: string, kind: 'adopted' | 'mask-changed'): Promise<void> {
    const file = this.maskFile(id)
    let stats: MaskStats
    try {
      const { map } = readLabelMap(bytes, file)
      const source = await this.dataset.readMaskBytes(this.dataset.find(id).index)
      const { header } = readMaskPngFormat(source.bytes, source.file)
      if (header.width !== map.width || header.height !== map.height) {
        throw new CodedError(
          'mask-size',
          `${map.width}×${map.height}, the source is ${header.width}×${header.height}`,
        )
      }
      stats = maskStats(map, file)
    } catch (err) {
      const dest = await this.#quarantine(file)
      const row = this.#row(id)
      if (row?.mask_sha256) this.#maskGone(id, row.status, 'mask-missing')
      this.notices.push(
        `${id}: ${file} is not a usable mask (${err instanceof Error ? err.message : err}); moved to ${dest}`,
      )
      return
    }
    const st = await fsp.stat(file)
    this.#write('adopt a mask file', () => {
      const row = this.#row(id)
      const from: PairStatus = row?.status ?? 'unreviewed'
      this.#db
        .prepare(
          `UPDATE pairs SET status = 'corrected', curator = ?, updated_at = ?, mask_sha256 = ?, mask_size = ?,
             mask_mtime = ?, width = ?, height = ?, background = ?, lesion = ?, uncertain = ?, lesion_components = ?,
             uncertain_components = ?, uncertain_fraction = ?, scan_error = NULL
           WHERE id = ?`,
        )
        .run(this.curator, Date.now(), hash, st.size, st.mtimeMs, ...statsParams(stats), id)
      this.#appendEvent({
        at: Date.now(),
        curator: this.curator,
        id,
        kind,
        from,
        to: 'corrected',
        maskSha256: hash,
      })
    })
    this.notices.push(
      kind === 'adopted'
        ? `${id}: adopted the mask file found in masks/ as its corrected mask`
        : `${id}: its corrected mask was changed outside the app; recorded the new version`,
    )
  }

  /** The corrected mask is gone: forget it, and flag a pair that was `corrected`. */
  #maskGone(id: string, status: PairStatus, kind: 'mask-missing'): void {
    this.#write('record a missing mask', () => {
      const to: PairStatus = status === 'corrected' ? 'flagged' : status
      this.#db
        .prepare(
          `UPDATE pairs SET status = ?, mask_sha256 = NULL, mask_size = NULL, mask_mtime = NULL, width = NULL,
             height = NULL, background = NULL, lesion = NULL, uncertain = NULL, lesion_components = NULL,
             uncertain_components = NULL, uncertain_fraction = NULL, scan_fp = NULL, scan_error = NULL,
             updated_at = ?
           WHERE id = ?`,
        )
        .run(to, Date.now(), id)
      this.#appendEvent({ at: Date.now(), curator: this.curator, id, kind, from: status, to })
    })
  }

  async #quarantine(file: string): Promise<string> {
    const dir = path.join(this.dir, CACHE_DIR, QUARANTINE_DIR)
    const dest = path.join(
      dir,
      `${path.basename(file, '.png')}.${new Date().toISOString().replace(/[:.]/g, '-')}.${randomBytes(3).toString('hex')}.png`,
    )
    try {
      await fsp.mkdir(dir, { recursive: true })
      await fsp.rename(file, dest)
    } catch (err) {
      throw fsError(err, file, 'move aside')
    }
    return dest
  }

  #uiGet(key: string): unknown {
    const mem = this.#memoryUi.get(key)
    const raw =
      mem ??
      (this.#db.prepare(`SELECT value FROM ui_state WHERE key = ?`).pluck().get(key) as string | undefined)
    return raw === undefined ? undefined : (JSON.parse(raw) as unknown)
  }

  #uiSet(key: string, value: unknown): void {
    if (typeof key !== 'string' || key === '' || key.length > 200)
      throw new CodedError('bad-request', 'bad UI state key')
    if (this.#closed) throw new CodedError('bad-request', 'the workspace is closed')
    const raw = value === undefined || value === null ? undefined : JSON.stringify(value)
    if (raw !== undefined && raw.length > UI_VALUE_MAX) {
      throw new CodedError('bad-request', `UI state values are limited to ${UI_VALUE_MAX} bytes of JSON`)
    }
    if (this.readOnly) {
      if (raw === undefined) this.#memoryUi.delete(key)
      else this.#memoryUi.set(key, raw)
      return
    }
    this.#write('store UI state', () => {
      if (raw === undefined) this.#db.prepare(`DELETE FROM ui_state WHERE key = ?`).run(key)
      else this.#db.prepare(`INSERT OR REPLACE INTO ui_state (key, value) VALUES (?, ?)`).run(key, raw)
    })
  }

  #uiAll(): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const r of this.#db.prepare(`SELECT key, value FROM ui_state`).all() as {
      key: string
      value: string
    }[]) {
      out[r.key] = JSON.parse(r.value)
    }
    for (const [k, v] of this.#memoryUi) out[k] = JSON.parse(v)
    return out
  }
}

// ---- module helpers -------------------------------------------------------------------------------

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

function rebuildHint(dir: string): string {
  return (
    `The corrected masks in ${path.join(dir, MASKS_DIR)} are intact PNG files and stay usable. ` +
    `To rebuild the database (the damaged file is kept aside, corrected masks are adopted): ` +
    `wsm-curator init ${dir} --rebuild`
  )
}

function corruptError(file: string, dir: string, err: unknown): CodedError {
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
      const raw = db.prepare(`SELECT value FROM meta WHERE key = 'holder'`).pluck().get() as
        string | undefined
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
      decided = db.prepare(`SELECT count(*) FROM events`).pluck().get() as number
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
  for (const [id, idx] of db.prepare(`SELECT id, idx FROM pairs`).raw().all() as [string, number | null][]) {
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
  const insert = db.prepare(`INSERT INTO pairs (id, idx) VALUES (?, ?)`)
  const move = db.prepare(`UPDATE pairs SET idx = ? WHERE id = ?`)
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
    const insertPair = db.prepare(
      `INSERT OR REPLACE INTO pairs (id, status, note, curator, updated_at) VALUES (?, ?, ?, ?, ?)`,
    )
    try {
      const rows = old.prepare(`SELECT id, status, note, curator, updated_at FROM pairs`).all() as PairRow[]
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
      const rows = old.prepare(`SELECT * FROM events ORDER BY seq`).all() as EventRow[]
      const insert = db.prepare(
        `INSERT INTO events (at, curator, pair_id, kind, from_status, to_status, note, transitions, mask_sha256, recovered)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      db.transaction(() => {
        for (const r of rows) {
          if (!isPairStatus(r.from_status) || !isPairStatus(r.to_status) || typeof r.pair_id !== 'string')
            continue
          insert.run(
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

/** The read-back check of a written mask (before it replaces the target); returns the decoded map. */
async function verifyWritten(temp: string, png: Buffer, map: LabelMap, target: string): Promise<LabelMap> {
  let bytes: Buffer
  try {
    bytes = await fsp.readFile(temp)
  } catch (err) {
    throw fsError(err, target, 'read back')
  }
  if (!bytes.equals(png)) {
    throw new CodedError(
      'io-error',
      `${target}: the written file differs from the data sent (read back)`,
      target,
    )
  }
  const decoded = decodeMaskPng(bytes, target)
  const same =
    decoded.width === map.width &&
    decoded.height === map.height &&
    Buffer.compare(
      Buffer.from(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength),
      Buffer.from(map.data.buffer, map.data.byteOffset, map.data.byteLength),
    ) === 0
  if (!same) {
    throw new CodedError(
      'io-error',
      `${target}: the written mask does not decode to the saved labels`,
      target,
    )
  }
  return { width: decoded.width, height: decoded.height, data: decoded.data }
}

export { LOCK_FILE }
