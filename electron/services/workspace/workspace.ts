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
 * curator has seen saved must survive a power cut). A mask save is a small write-ahead protocol
 * (saveProtocol.ts); reopening after a crash finishes or forgets each pending save and reconciles
 * masks/ with the database (recovery.ts). So after a crash at any instant every mask file is whole
 * (old or new) and the database agrees with the files.
 *
 * This class is the facade: it holds the open parts and serialises mutations; the rooms beside it
 * do the work — opening.ts (create, open, rebuild), reviewQueries.ts + pairQuery.ts (reads),
 * decisions.ts (statuses), saveProtocol.ts (mask saves), recovery.ts, statsScan.ts, uiState.ts;
 * rows.ts holds the row shapes and constants, store.ts the connection and its prepared statements.
 */
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { CodedError } from '../../../shared/api/errors'
import type { LabelMap } from '../../../shared/labels/codes'
import {
  isPairStatus,
  type PairState,
  type PairStatus,
  type ReviewProgress,
  type WorkspaceEvent,
} from '../../../shared/workspace/review'
import { readUnderChallengeMode, type ChallengeMode, type Dataset } from '../dataset'
import { fsError, nodeAtomicFs, type AtomicFs } from '../fs/atomicWrite'
import { sha256Hex } from '../fs/hash'
import { checkMaskSize, readLabelMapAsync } from '../mask/labelMap'
import { readPngHeader } from '../mask/maskPng'
import { LOCK_FILE, type WorkspaceLock } from './lock'
import {
  createWorkspace,
  openWorkspace,
  rebuildDatabase,
  recordHolder,
  releaseWritable,
  type OpenedParts,
} from './opening'
import type { PairFilter } from './pairQuery'
import { recover } from './recovery'
import { ReviewQueries } from './reviewQueries'
import { DATABASE_FILE, MASKS_DIR, checkCurator, checkNote, defaultCurator } from './rows'
import { MaskSaver } from './saveProtocol'
import type { SqliteDatabase } from './sqlite'
import { defaultScanner, runStatsScan, type MaskScanner } from './statsScan'
import { WorkspaceStore, type WorkspaceContext } from './store'
import { decide } from './decisions'
import { DashboardRoom } from './dashboard'
import { MetadataRoom, type MetadataGroup } from './metadata'
import { TriageRoom, type TriagePassOptions } from './triageScores'
import type { PairTriage, TriagePassResult } from '../../../shared/workspace/triage'
import type { MetadataImportResult } from '../metadata/csvImport'
import type {
  DashboardData,
  MetadataColumn,
  MetadataCondition,
  MetadataValueCount,
} from '../../../shared/workspace/dashboard'
import type {
  CreateWorkspaceOptions,
  CurrentMask,
  EventQuery,
  OpenWorkspaceOptions,
  PairListPage,
  PairQuery,
  ReadOnlyReason,
  SaveMaskResult,
  StatsScanOptions,
  StatsScanResult,
  UiState,
  WorkspaceStats,
} from './types'
import { uiStateOf } from './uiState'
import type { WorkspaceConfig } from './workspaceConfig'

export * from './types'
export type { MetadataGroup }
export { CACHE_DIR, DATABASE_FILE, HISTOGRAM_BINS, MASKS_DIR } from './rows'
export { LOCK_FILE }

/** A scratch workspace's file operations: the ordinary ones without the flushes. */
const unflushedFs: AtomicFs = { ...nodeAtomicFs, fsync: async () => {}, fsyncDir: async () => {} }

/**
 * An open curation workspace. Obtain one with `Workspace.create`, `Workspace.open` or
 * `Workspace.rebuild`; `close()` it when done. Mutations (`setStatus`, `setStatuses`, `saveMask`)
 * are serialised in call order; reads are synchronous SQLite queries on indexes.
 */
export class Workspace implements WorkspaceContext {
  readonly dir: string
  readonly config: WorkspaceConfig
  readonly dataset: Dataset
  /** The curator recorded in this session's events. */
  readonly curator: string
  /** Why the workspace is read-only, or null when it is writable. */
  readonly readOnlyReason: ReadOnlyReason | null
  /** Things worth telling the curator about the opening (recoveries, adopted or quarantined files). */
  readonly notices: string[] = []
  readonly uiState: UiState
  /** @internal The connection and its statements, shared by the rooms. */
  readonly store: WorkspaceStore

  readonly #db: SqliteDatabase
  readonly #lock: WorkspaceLock | undefined
  readonly #scanner: MaskScanner
  readonly #queries: ReviewQueries
  readonly #saver: MaskSaver
  readonly #metadata: MetadataRoom
  readonly #dashboard: DashboardRoom
  readonly #triage: TriageRoom
  #triagePass: { controller: AbortController; done: Promise<unknown> } | undefined
  /** Rescoring after saves, in flight (close waits for them). */
  readonly #rescores = new Set<Promise<void>>()
  readonly #rescoreWaiting = new Set<string>()
  #rescoreTail: Promise<void> = Promise.resolve()
  #queue: Promise<unknown> = Promise.resolve()
  #scan: { controller: AbortController; done: Promise<unknown> } | undefined
  #closed = false
  /** Opened with `scratch` (and writable): no flushes, no rescoring after saves. */
  readonly #scratch: boolean
  /** A private copy of the database (read-only opening of a crashed WAL database), removed at close. */
  readonly #snapshotDir: string | undefined

  private constructor(parts: OpenedParts, curator: string) {
    this.dir = parts.dir
    this.config = parts.config
    this.dataset = parts.dataset
    this.#db = parts.db
    this.#lock = parts.lock
    this.curator = curator
    this.readOnlyReason = parts.readOnlyReason
    this.#scanner = parts.options.scanner ?? defaultScanner
    this.#snapshotDir = parts.snapshotDir
    this.store = new WorkspaceStore(parts.db, path.join(parts.dir, DATABASE_FILE))
    this.#queries = new ReviewQueries(this)
    this.#scratch = parts.options.scratch === true && parts.readOnlyReason === null
    if (this.#scratch) parts.db.pragma('synchronous = OFF')
    this.#saver = new MaskSaver(this, parts.options.fs ?? (this.#scratch ? unflushedFs : undefined), {
      countTransitions: !this.#scratch,
    })
    this.#metadata = new MetadataRoom(this)
    this.#dashboard = new DashboardRoom(this, this.#queries, this.#metadata)
    this.#triage = new TriageRoom(this)
    this.uiState = uiStateOf(this.store, {
      readOnly: () => this.readOnly,
      closed: () => this.#closed,
    })
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

  /** True when the open dataset holds `id`. */
  inDataset(id: string): boolean {
    try {
      this.dataset.find(id)
      return true
    } catch {
      return false
    }
  }

  // ---- opening ------------------------------------------------------------------------------------

  /**
   * Creates a workspace in `dir` (created if missing; an existing folder must not already be a
   * workspace: `workspace-exists`) for the given sources, and opens it. The sources are opened
   * first, so unusable sources fail before anything is written. No source is ever written: a
   * workspace may not lie inside a source folder, nor a source inside the workspace's masks/ or cache/.
   */
  static async create(dir: string, options: CreateWorkspaceOptions): Promise<Workspace> {
    return createWorkspace(dir, options, (parts) => Workspace.#finishOpen(parts))
  }

  /**
   * Opens an existing workspace. Writable unless `readOnly`, the folder is not writable
   * (`readOnlyReason` 'unwritable'), or another program holds it and `ifLocked` is 'read-only'
   * (else `workspace-locked`). A damaged database gives `workspace-corrupt` (see `rebuild`).
   */
  static async open(dir: string, options: OpenWorkspaceOptions = {}): Promise<Workspace> {
    return openWorkspace(dir, options, (parts) => Workspace.#finishOpen(parts))
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
    const { movedTo, salvaged } = await rebuildDatabase(dir, options)
    const workspace = await Workspace.open(path.resolve(dir), options)
    return { workspace, movedTo, salvaged }
  }

  static async #finishOpen(parts: OpenedParts): Promise<Workspace> {
    const curator = checkCurator(parts.options.curator ?? parts.config.curator ?? defaultCurator())
    const ws = new Workspace(parts, curator)
    if (parts.snapshotDir !== undefined) {
      ws.notices.push(
        'the database was left open by a crash and the folder is read-only: showing a snapshot of it',
      )
    }
    if (parts.readOnlyReason === null) {
      recordHolder(parts.db, curator)
      await recover(ws, ws.#saver)
    }
    return ws
  }

  // ---- reading ------------------------------------------------------------------------------------

  /** The review state of one pair (`not-found` for an id the dataset does not hold). */
  pairState(id: string): PairState {
    return this.#queries.pairState(id)
  }

  /**
   * The review state of every pair matching a filter, in id order: what `pairState` gives for each,
   * from one query (an export's plan reads thousands). Rows of ids the dataset does not hold are
   * skipped.
   */
  pairStates(query: PairFilter = {}): PairState[] {
    return this.#queries.pairStates(query)
  }

  /**
   * A page of pairs, filtered and sorted in SQLite on indexes (status, uncertain fraction, id): the
   * work per page does not grow with the dataset beyond the index range scan.
   */
  listPairs(query: PairQuery = {}): PairListPage {
    return this.#queries.listPairs(query)
  }

  /** Every id matching a filter, in id order (for bulk decisions). */
  listIds(query: PairFilter = {}): string[] {
    return this.#queries.listIds(query)
  }

  /**
   * The current mask of a pair: the corrected one if any, else the source, decoded exactly (stored
   * grey values or palette indices) and checked (labels only; `mask-size` unless it has its image's
   * size, or for a corrected mask the size it was saved at). A source mask in the ISIC challenge
   * convention (0 / 255 lesion) is refused with `challenge-convention` unless `challenge` says to
   * convert it (255 → 1) or take it as stored: never read as "all uncertain" by accident.
   */
  async readCurrentMask(id: string, opts: { challenge?: ChallengeMode } = {}): Promise<CurrentMask> {
    const { index } = this.dataset.find(id)
    // The size is checked from the PNG header before the inflate (a few hundred KB can declare
    // 16384×16384 zeros), and the inflate runs on the thread pool: thumbnails of a whole queue come
    // through here, on the main process.
    const row = this.store.row(id)
    if (row?.mask_sha256) {
      const file = this.maskFile(id)
      let bytes: Buffer
      try {
        bytes = await fsp.readFile(file)
      } catch (err) {
        throw fsError(err, file, 'read')
      }
      // Its size was checked against the source's when it was saved or adopted, and recorded.
      const header = readPngHeader(bytes, file)
      if (
        row.width !== null &&
        row.height !== null &&
        (header.width !== row.width || header.height !== row.height)
      ) {
        throw new CodedError(
          'mask-size',
          `${file}: the mask is ${header.width}×${header.height} but ${id}'s corrected mask was saved at ${row.width}×${row.height}`,
          file,
        )
      }
      const { map, counts, format } = await readLabelMapAsync(bytes, file)
      // The version of these bytes, not the row read above: a save may land between the two reads.
      return { map, counts, format, origin: 'corrected', file, sha256: sha256Hex(bytes) }
    }
    const [{ bytes, file }, image] = await Promise.all([
      this.dataset.readMaskBytes(index),
      this.dataset.readImageHeader(index),
    ])
    checkMaskSize(readPngHeader(bytes, file), image.header, file, image.file)
    const read = await readLabelMapAsync(bytes, file)
    const { map, counts } = readUnderChallengeMode(read, opts.challenge ?? 'refuse', file)
    return { map, counts, format: read.format, origin: 'source', file, sha256: null }
  }

  /** How many pairs of the dataset have an audit event after `seq` (the team sync badge). */
  pairsChangedSince(seq: number): number {
    return this.#queries.pairsChangedSince(seq)
  }

  /** Audit events, newest first: of one pair, or of the whole workspace. */
  events(id?: string, query: EventQuery = {}): WorkspaceEvent[] {
    return this.#queries.events(id, query)
  }

  /** Counts per status and the number of decided pairs, over the pairs of the open dataset. */
  progress(): ReviewProgress {
    return this.#queries.progress()
  }

  /** Review progress plus statistics of the current masks (see WorkspaceStats). */
  stats(): WorkspaceStats {
    return this.#queries.stats()
  }

  // ---- metadata and dashboard (metadata.ts, dashboard.ts) ------------------------------------------

  /**
   * Imports ISIC metadata CSVs (archive export or challenge ground truth), keyed by their id
   * column; only rows of pairs this workspace holds are kept. All or nothing; the parsing runs
   * outside the write queue (saves go on), only the final swap goes through it. See MetadataRoom.
   */
  async importMetadata(files: readonly string[]): Promise<MetadataImportResult> {
    this.#writable()
    return this.#metadata.importCsv(files, (fn) => this.#serial(fn))
  }

  /** The imported metadata columns, in import order, with their pair counts. */
  metadataColumns(): MetadataColumn[] {
    return this.#metadata.columns()
  }

  /** The values of a metadata column with their pair counts (`metadata-unknown-column`). */
  metadataValues(column: string): MetadataValueCount[] {
    return this.#metadata.values(column)
  }

  /** The `top` most frequent values of a metadata column, its distinct values and the other pairs. */
  metadataTopValues(column: string, top: number): ReturnType<MetadataRoom['topValues']> {
    return this.#metadata.topValues(column, top)
  }

  /** Throws `metadata-unknown-column` naming the first condition's column never imported. */
  checkMetadataConditions(conditions: readonly MetadataCondition[] | undefined): void {
    this.#metadata.checkConditions(conditions)
  }

  /** The metadata of the given pairs (column → value), from one scan of the table. */
  metadataOf(ids: Iterable<string>): Map<string, Record<string, string>> {
    return this.#metadata.ofPairs(ids)
  }

  /** Pairs grouped by their value of a metadata column, with statuses and mean uncertain fraction. */
  metadataGroups(column: string): MetadataGroup[] {
    return this.#metadata.groups(column)
  }

  /** Every chart of the dashboard, from one aggregate query each. */
  dashboard(): DashboardData {
    return this.#dashboard.data()
  }

  // ---- deciding -----------------------------------------------------------------------------------

  /**
   * Sets a pair's status (and note: a string sets it, null clears it, undefined keeps it), as one
   * audited transaction. `corrected` requires a corrected mask (use saveMask). Setting the same
   * status and note again records nothing. With `base` (the mask version the decision was taken
   * on, as saveMask's), refused with `conflict` and nothing recorded when the current mask is
   * another version: a decision never lands on a mask its curator has not seen.
   */
  async setStatus(
    id: string,
    status: PairStatus,
    options: { note?: string | null; base?: string } = {},
  ): Promise<PairState> {
    await this.setStatuses([id], status, options)
    return this.pairState(id)
  }

  /**
   * Sets the status of many pairs in ONE transaction (all or nothing), one audit event per pair
   * that changes. Unknown ids (`not-found`) or `corrected` without a mask (`bad-request`) fail the
   * whole call before anything is written; so does a `base` (see setStatus) any of them is not at.
   */
  async setStatuses(
    ids: readonly string[],
    status: PairStatus,
    options: { note?: string | null; base?: string } = {},
  ): Promise<{ changed: number; unchanged: number }> {
    this.#writable()
    if (!isPairStatus(status)) throw new CodedError('bad-request', `unknown status ${JSON.stringify(status)}`)
    const note = checkNote(options.note)
    return this.#serial(async () => decide(this, ids, status, note, options.base))
  }

  /**
   * Saves a corrected mask for a pair: checked (same size as the source, values 0, 1, 255 only),
   * encoded in the source's PNG format (grey stays grey; a palette keeps its PLTE and indices),
   * written atomically and read back, then recorded — status `corrected`, statistics, and an audit
   * event with the pixel transitions against the previous current mask. `map` must not change
   * until the returned promise settles. With `base` (the corrected mask's SHA-256 the caller
   * edited, '' for the source), refused with `conflict` and nothing written when the current mask
   * is another version (optimistic concurrency: e.g. two browser tabs on `serve`).
   */
  async saveMask(
    id: string,
    map: LabelMap,
    options: { note?: string | null; base?: string } = {},
  ): Promise<SaveMaskResult> {
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
    const result = await this.#serial(() => this.#saver.save(id, index, map, note, options.base))
    this.#scheduleRescore(id)
    return result
  }

  /**
   * Off the save's critical path: the saved mask is rescored after the commit; a failure there
   * leaves the pair unscored (the save cleared the old score; the next pass retries it) and never
   * fails the save. Rescores run one at a
   * time (each decodes the mask and the image on a worker: several at once would compete with the
   * curator's next pair on two cores), and a pair already waiting is not queued twice — its
   * rescore reads the newest mask when it starts.
   */
  #scheduleRescore(id: string): void {
    if (this.#scratch || this.#rescoreWaiting.has(id)) return
    this.#rescoreWaiting.add(id)
    const rescore = this.#rescoreTail
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => {
        this.#rescoreWaiting.delete(id)
        return this.#closed ? undefined : this.#triage.rescore(id)
      })
      .catch(() => undefined)
      .finally(() => this.#rescores.delete(rescore))
    this.#rescoreTail = rescore
    this.#rescores.add(rescore)
  }

  // ---- triage score (triageScores.ts) ----------------------------------------------------------------

  /** The stored triage score of a pair's current mask, or null when it has none yet. */
  triage(id: string): PairTriage | null {
    return this.#triage.of(id)
  }

  /** Every scored pair, highest score first. */
  triageAll(): PairTriage[] {
    return this.#triage.all()
  }

  /** Pairs with statistics that have no score yet. */
  triageUnscoredCount(): number {
    return this.#triage.unscoredCount()
  }

  /** Rescorings after saves still in flight, awaited (tests, and close). */
  async triageSettled(): Promise<void> {
    while (this.#rescores.size > 0) await Promise.all([...this.#rescores])
  }

  /**
   * Scores the pairs whose triage score is missing or stale (mask, image or model changed) on worker
   * threads; committed in batches, so an interrupted pass resumes. One pass at a time; `close()`
   * aborts it.
   */
  async startTriagePass(options: TriagePassOptions = {}): Promise<TriagePassResult> {
    this.#writable()
    if (this.#triagePass) throw new CodedError('bad-request', 'a triage pass is already running')
    const controller = new AbortController()
    const onAbort = () => controller.abort()
    options.signal?.addEventListener('abort', onAbort, { once: true })
    if (options.signal?.aborted) controller.abort()
    const run = this.#triage.runPass({ ...options, signal: controller.signal })
    this.#triagePass = { controller, done: run.catch(() => undefined) }
    try {
      return await run
    } finally {
      options.signal?.removeEventListener('abort', onAbort)
      this.#triagePass = undefined
    }
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
    const run = runStatsScan(this, this.#scanner, controller, options)
    this.#scan = { controller, done: run.catch(() => undefined) }
    try {
      return await run
    } finally {
      options.signal?.removeEventListener('abort', onAbort)
      this.#scan = undefined
    }
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
    if (this.#triagePass) {
      this.#triagePass.controller.abort()
      await this.#triagePass.done
    }
    await this.#metadata.stopImports()
    await this.#queue.catch(() => undefined)
    await this.triageSettled()
    await this.#triage.close()
    try {
      if (!this.readOnly) releaseWritable(this.#db)
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
      if (this.#saver.pendingToRecover) await this.#saver.recoverPending()
      return fn()
    })
    this.#queue = run.catch(() => undefined)
    return run
  }
}
