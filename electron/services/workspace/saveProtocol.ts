/**
 * The save protocol of a corrected mask, a small write-ahead log:
 *
 *   1. commit a `pending_saves` row (the new file's SHA-256 and the event to record);
 *   2. write the PNG atomically (temp file, fsync, read back and compare, rename, fsync the folder);
 *   3. commit the pair's new state, its audit event and the removal of the pending row together.
 *
 * The PNG is encoded and checked to decode to the labels on a worker thread (mask/pngCheck.ts)
 * while this thread computes the statistics, writes the file and, while the temporary file of step
 * 2 is being flushed, commits step 1 (two flushes at once); the rename waits for both, for the read
 * back and for the check.
 *
 * A crash at any instant leaves the old file or the new one; `recoverPending` (on reopening, or
 * before the next mutation after a failed record) finishes or forgets each pending save according
 * to the hash of the file in place.
 */
import { constants as fsConstants, promises as fsp } from 'node:fs'
import { CodedError } from '../../../shared/api/errors'
import type { LabelRuns } from '../../../shared/labels/analysis'
import { countLabels, type LabelMap } from '../../../shared/labels/codes'
import type { MaskStats, PairState, PairStatus, Transition } from '../../../shared/workspace/review'
import { atomicWriteFile, fsError, fsyncDir, type AtomicFs, type AtomicWriteResult } from '../fs/atomicWrite'
import { sha256Hex } from '../fs/hash'
import { makeFolder } from '../fs/paths'
import { readUnderChallengeMode } from '../dataset'
import { decodeMaskPngAsync, type MaskPngFormat } from '../mask/maskPng'
import { encodeCheckedOffThread } from '../mask/pngCheck'
import { readMaskPngFormat } from '../mask/pngFormat'
import { countTransitions, saveStatsWithRuns } from '../mask/maskStats'
import { iso, stateOf, statsParams, type PendingPayload } from './rows'
import { quarantinePath } from './recovery'
import { sqliteError } from './sqlite'
import type { WorkspaceContext } from './store'
import type { SaveMaskResult } from './types'

const SQL = {
  pending: `INSERT OR REPLACE INTO pending_saves (pair_id, sha256, payload, started_at) VALUES (?, ?, ?, ?)`,
  allPending: `SELECT pair_id, sha256, payload FROM pending_saves`,
  dropPending: `DELETE FROM pending_saves WHERE pair_id = ?`,
  newRow: `INSERT INTO pairs (id) VALUES (?)`,
  // The old mask's triage score goes with it: the pair reads "not scored yet" (and counts as
  // unscored for the next pass) until the rescore of the new mask commits (triageScores.ts).
  corrected: `UPDATE pairs SET status = 'corrected', note = ?, curator = ?, updated_at = ?, mask_sha256 = ?, mask_size = ?,
                mask_mtime = ?, width = ?, height = ?, background = ?, lesion = ?, uncertain = ?, lesion_components = ?,
                uncertain_components = ?, uncertain_fraction = ?, scan_error = NULL,
                triage_score = NULL, triage_reasons = NULL, triage_key = NULL, triage_image = NULL
              WHERE id = ?`,
} as const

/**
 * The previous current mask of a save, for its transitions: decoded (without judging its values: a
 * source with bad values can still be corrected), or as the runs of the mask this saver last wrote;
 * only its size when transitions are not counted (a scratch workspace's first save of a pair).
 */
type Previous = { map: LabelMap } | { runs: LabelRuns } | { size: { width: number; height: number } }

/** Runs kept of the last saved mask (9 bytes each); beyond, the next save decodes the file. */
const RUNS_KEPT_MAX = 1 << 21

/** Lets queued I/O callbacks and requests run before the next CPU-heavy step. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/**
 * The version of `id`'s current mask (its corrected mask's SHA-256, null for the source), after
 * checking `base` against it: the version the caller saw (`pair:open`'s `base`: '' for the source;
 * undefined to skip the check). A stale base is refused with `conflict`. Called inside the
 * workspace's mutation queue, before anything is written, by a save and by a decision (`what`
 * names it in the message) alike.
 */
export function checkBase(
  ctx: WorkspaceContext,
  id: string,
  base: string | undefined,
  what: string,
): string | null {
  const corrected = ctx.store.row(id)?.mask_sha256 ?? null
  if (base !== undefined && base !== (corrected ?? '')) {
    throw new CodedError(
      'conflict',
      `${id}'s mask was changed elsewhere since it was opened (e.g. saved from another tab): ${what} was refused, nothing was written`,
      ctx.maskFile(id),
    )
  }
  return corrected
}

export class MaskSaver {
  readonly #ctx: WorkspaceContext
  readonly #fs: AtomicFs | undefined
  /**
   * The mask last saved (saving the same pair again needs no decode of it): its runs, from which the
   * next save's transitions are counted without reading pixels, or, for a map of very many runs,
   * the map as read back.
   */
  #lastSaved: { id: string; sha256: string; previous: Previous; format: MaskPngFormat } | undefined
  /** A save whose file landed but whose record did not commit (e.g. disk full): retried before the next mutation. */
  pendingToRecover = false

  /** False in a scratch workspace: a first save reads only the source's header, and records no transitions. */
  readonly #countTransitions: boolean

  constructor(ctx: WorkspaceContext, fs: AtomicFs | undefined, options: { countTransitions?: boolean } = {}) {
    this.#ctx = ctx
    this.#fs = fs
    this.#countTransitions = options.countTransitions ?? true
  }

  /**
   * Steps 1–3 for a map already checked against its shape (data length = width × height). Runs in
   * the workspace's mutation queue, so `base` (the version the caller edited: a corrected mask's
   * SHA-256, '' for the source; undefined to skip the check) is compared with the version every
   * earlier save left: a stale base is refused with `conflict` before anything is written.
   */
  async save(
    id: string,
    index: number,
    map: LabelMap,
    note: string | null | undefined,
    base?: string,
  ): Promise<SaveMaskResult> {
    const ctx = this.#ctx
    const target = ctx.maskFile(id)
    const corrected = checkBase(ctx, id, base, 'this save')
    const { format, previous } = await this.#sourceAndPrevious(id, index, corrected)
    const size = 'runs' in previous ? previous.runs : 'map' in previous ? previous.map : previous.size
    if (map.width !== size.width || map.height !== size.height) {
      throw new CodedError(
        'mask-size',
        `the mask is ${map.width}×${map.height} but ${id}'s source mask is ${size.width}×${size.height}`,
        target,
      )
    }
    // The CPU-heavy steps (tens of ms each on 12 Mpx) overlap or give the event loop a turn in
    // between, so IPC and HTTP requests are served while a large mask is being saved: the PNG is
    // encoded and then checked to decode to exactly `map` on a worker thread (mask/pngCheck.ts)
    // while this thread computes the statistics (which check the values: mask-values) and the
    // transitions, writes the file and commits the pending row. The encoder need not check the
    // values again: its PNG is used only once the statistics succeeded.
    const encoding = encodeCheckedOffThread(map, format, target)
    encoding.png.catch(() => undefined)
    encoding.same.catch(() => undefined)
    let stats: MaskStats
    let runs: LabelRuns
    let transitions: Transition[]
    try {
      await turn()
      // One pass (saveStatsWithRuns): values checked, labels counted, runs and components found
      // and, given the previous mask's runs, the transitions merged in as the runs are found.
      if ('runs' in previous) {
        ;({ stats, runs, transitions } = saveStatsWithRuns(map, target, previous.runs))
      } else if ('size' in previous) {
        ;({ stats, runs } = saveStatsWithRuns(map, target))
        transitions = []
      } else {
        ;({ stats, runs } = saveStatsWithRuns(map, target))
        await turn()
        transitions = countTransitions(previous.map.data, map.data)
      }
    } catch (err) {
      await encoding.png.catch(() => undefined)
      throw err
    }
    const png = await encoding.png
    const hash = sha256Hex(png)
    /** The result of this save: the file holding `hash` (written now, or already there). */
    const saved = (
      transitions: SaveMaskResult['transitions'],
      stats: SaveMaskResult['stats'],
      state: SaveMaskResult['state'],
    ): SaveMaskResult => ({
      id,
      index,
      file: target,
      sha256: hash,
      bytes: png.length,
      transitions,
      stats,
      status: 'corrected',
      state,
    })
    // A save that changes nothing — the very bytes of the corrected mask recorded, the pair already
    // `corrected`, its note unchanged — writes nothing and records no event (qa7 #14: Ctrl+S after a
    // settle-save audited an event with no transitions). A pair's first save (even one equal to its
    // source) is a decision, `corrected`, and is recorded; so is a save that makes a decided pair
    // `corrected` again.
    const row = ctx.store.row(id)
    if (
      corrected !== null &&
      hash === corrected &&
      row?.status === 'corrected' &&
      (note === undefined || note === row.note)
    ) {
      await encoding.same.catch(() => undefined)
      return saved([], stats, stateOf(index, id, row))
    }
    const payload: PendingPayload = {
      at: Date.now(),
      curator: ctx.curator,
      note,
      kind: 'save',
      transitions,
      stats,
      bytes: png.length,
    }
    this.#lastSaved = undefined
    // An unrecorded file in place is linked (or copied) into quarantine, durably, and stays in masks/
    // until the rename replaces it: a failed save leaves everything as it was.
    const kept = corrected === null ? await this.#keepUnrecorded(target) : null
    // While the temporary file's flush runs (thread pool), this thread commits the pending row
    // (SQLite's own flush) and the worker checks the PNG; the file is read back and compared byte
    // for byte with the PNG after its flush. The rename waits for all of it: it is the instant the
    // target changes, so the pending row is durable before it, and a crash leaves the old file (and
    // at most a stray temporary file, removed on reopening) or the new one with its pending row. A
    // failed check leaves the old file, and the pending row is forgotten.
    let committed = false
    const writing = atomicWriteFile(target, png, {
      fs: this.#fs,
      readBack: true,
      freeOldLater: true,
      whileFlushing: () => {
        ctx.store.write('prepare the save', () => {
          ctx.store.statement(SQL.pending).run(id, hash, JSON.stringify(payload), payload.at)
        })
        committed = true
      },
      verify: async () => checkLabels(await encoding.same, target),
    })
    let written: AtomicWriteResult
    try {
      written = await writing
    } catch (err) {
      // A failed write, check or read-back leaves the old file, and the pending row (if it
      // committed) is forgotten; but the rename may have happened before the failure (e.g. flushing
      // the folder failed): then the save is kept pending and completed later.
      const landed = committed && (await this.#landed(id, hash))
      if (committed) {
        if (landed) this.pendingToRecover = true
        else this.#forgetPending(id)
      }
      if (kept !== null) {
        if (landed) this.#noteKept(id, target, kept)
        else await fsp.unlink(kept).catch(() => undefined)
      }
      throw err
    }
    if (kept !== null) this.#noteKept(id, target, kept)
    // The file holds exactly `map`, whose runs are the previous mask of the next save (unless they
    // are too many to be worth keeping: the file is read again then).
    if (runs.value.length <= RUNS_KEPT_MAX) this.#lastSaved = { id, sha256: hash, previous: { runs }, format }
    let state: Omit<PairState, 'index'>
    try {
      state = this.#record(id, hash, payload, false, written)
    } catch (err) {
      await written.freed
      // The file is in place; its record will be completed before the next change or on reopening.
      this.pendingToRecover = true
      const e = err instanceof CodedError ? err : sqliteError(err, ctx.store.file, 'record the save')
      throw new CodedError(
        e.code,
        `${e.message} (the mask file ${target} was written; its record will be completed when possible)`,
        e.file,
      )
    }
    // The replaced file's blocks were freed while the folder flushed and the record committed.
    await written.freed
    return saved(payload.transitions, payload.stats, { index, ...state })
  }

  /**
   * A file in place of a pair with no corrected mask recorded is a curator's work the open could not
   * check (recovery.ts leaves it when the source cannot be read): before the save replaces it, it is
   * hard-linked (or copied, where links are not supported) under cache/quarantine/ and made durable
   * there, and it stays in masks/ until the save's rename replaces it — never overwritten, and at
   * every instant its bytes are in masks/, in quarantine, or in both. Returns the quarantine path
   * (null: no file in place); the caller removes it if the save does not land.
   */
  async #keepUnrecorded(target: string): Promise<string | null> {
    try {
      await fsp.lstat(target)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw fsError(err, target, 'check')
    }
    const { dir, dest } = quarantinePath(this.#ctx, target)
    try {
      await makeFolder(dir)
      try {
        await fsp.link(target, dest)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err
        await fsp.copyFile(target, dest, fsConstants.COPYFILE_EXCL)
      }
      const fh = await fsp.open(dest, 'r')
      try {
        await fh.sync()
      } finally {
        await fh.close()
      }
      await fsyncDir(dir)
    } catch (err) {
      await fsp.unlink(dest).catch(() => undefined)
      throw fsError(err, target, 'move aside')
    }
    return dest
  }

  /** The notice of an unrecorded file kept in quarantine, once the save replaced it. */
  #noteKept(id: string, target: string, dest: string): void {
    this.#ctx.notices.push(
      `${id}: ${target} was not recorded as its corrected mask; kept in ${dest} before saving over it`,
    )
  }

  /**
   * The source mask's PNG format (a save keeps it) and the previous current mask (for the
   * transitions, decoded without judging its values: a source with bad values can still be
   * corrected). The format is the one the dataset saw when it opened the pair, or the one of this
   * saver's last save of it (sources never change while open); the source is read again only when
   * it is unknown or is itself the previous mask.
   */
  async #sourceAndPrevious(
    id: string,
    index: number,
    corrected: string | null,
  ): Promise<{ format: MaskPngFormat; previous: Previous }> {
    const { dataset } = this.#ctx
    if (corrected === null) {
      const source = await dataset.readMaskBytes(index)
      if (!this.#countTransitions) {
        const { header, format } = readMaskPngFormat(source.bytes, source.file)
        return { format, previous: { size: { width: header.width, height: header.height } } }
      }
      const decoded = await decodeMaskPngAsync(source.bytes, source.file)
      // A challenge-convention source (0 / 255 lesion) is what the editor showed converted: its 255s
      // were lesion to the curator, so the transitions start from the converted map (else each one
      // would be recorded as an uncertain pixel resolved).
      const counts = countLabels(decoded.data)
      const previous =
        counts.invalid === 0
          ? readUnderChallengeMode({ map: decoded, counts }, 'convert', source.file).map
          : decoded
      return { format: decoded.format, previous: { map: previous } }
    }
    const last = this.#lastSaved?.id === id ? this.#lastSaved : undefined
    let format = dataset.maskFormat(index) ?? last?.format
    if (format === undefined) {
      const source = await dataset.readMaskBytes(index)
      format = readMaskPngFormat(source.bytes, source.file).format
    }
    if (last?.sha256 === corrected) return { format, previous: last.previous }
    const file = this.#ctx.maskFile(id)
    let bytes: Buffer
    try {
      bytes = await fsp.readFile(file)
    } catch (err) {
      throw fsError(err, file, 'read')
    }
    return { format, previous: { map: await decodeMaskPngAsync(bytes, file) } }
  }

  /** Completes or drops the pending saves according to the files in place. */
  async recoverPending(): Promise<void> {
    const ctx = this.#ctx
    const pending = ctx.store.statement(SQL.allPending).all() as {
      pair_id: string
      sha256: string
      payload: string
    }[]
    for (const p of pending) {
      if (await this.#landed(p.pair_id, p.sha256)) {
        await this.#complete(p.pair_id, p.sha256, JSON.parse(p.payload) as PendingPayload)
        ctx.notices.push(`${p.pair_id}: a mask save interrupted by a crash had completed; recorded it`)
      } else {
        ctx.store.write('drop an unfinished save', () => {
          ctx.store.statement(SQL.dropPending).run(p.pair_id)
        })
        ctx.notices.push(
          `${p.pair_id}: a mask save interrupted by a crash had not completed; the previous mask stays`,
        )
      }
    }
    this.pendingToRecover = false
  }

  /** True when the pair's mask file holds exactly the bytes hashing to `hash`. */
  async #landed(id: string, hash: string): Promise<boolean> {
    try {
      return sha256Hex(await fsp.readFile(this.#ctx.maskFile(id))) === hash
    } catch {
      return false
    }
  }

  #forgetPending(id: string): void {
    try {
      this.#ctx.store.statement(SQL.dropPending).run(id)
    } catch {
      // Harmless if it stays: on reopening, the file's hash will not match and it is dropped.
    }
  }

  /** Records a save found in place by `recoverPending` (step 3), its file's size and time read from it. */
  async #complete(id: string, hash: string, payload: PendingPayload): Promise<void> {
    const file = this.#ctx.maskFile(id)
    let st
    try {
      st = await fsp.stat(file)
    } catch (err) {
      throw fsError(err, file, 'check')
    }
    this.#record(id, hash, payload, true, { bytes: st.size, mtimeMs: st.mtimeMs })
  }

  /**
   * Records a save whose file is in place (step 3), in one transaction: the file hashes to `hash`
   * and has the size and modification time of `file`.
   */
  #record(
    id: string,
    hash: string,
    payload: PendingPayload,
    recovered: boolean,
    file: { bytes: number; mtimeMs: number },
  ): Omit<PairState, 'index'> {
    const { store } = this.#ctx
    return store.write('record the save', () => {
      const row = store.row(id)
      const from: PairStatus = row?.status ?? 'unreviewed'
      if (!row) store.statement(SQL.newRow).run(id)
      const note = payload.note === undefined ? (row?.note ?? null) : payload.note
      store
        .statement(SQL.corrected)
        .run(
          note,
          payload.curator,
          payload.at,
          hash,
          file.bytes,
          file.mtimeMs,
          ...statsParams(payload.stats),
          id,
        )
      store.appendEvent({
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
      store.statement(SQL.dropPending).run(id)
      // The pair's state as this transaction leaves it (what the row now holds, without a query).
      const { stats } = payload
      return {
        id,
        status: 'corrected' as const,
        note,
        curator: payload.curator,
        updatedAt: iso(payload.at),
        corrected: true,
        stats,
        uncertainFraction: stats.uncertain / (stats.width * stats.height),
        scanError: null,
      }
    })
  }
}

/** The encoded PNG of a save must decode to exactly the labels saved. */
function checkLabels(same: boolean, target: string): void {
  if (!same) {
    throw new CodedError(
      'io-error',
      `${target}: the encoded mask does not decode to the saved labels`,
      target,
    )
  }
}
