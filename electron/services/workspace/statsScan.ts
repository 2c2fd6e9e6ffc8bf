/**
 * The statistics scan of a workspace: the driver (which pairs need analysing, results committed in
 * batches so an interrupted scan resumes where it stopped) and the seam to the mask scanner
 * (electron/services/scan/maskScan.ts): the workspace asks for the statistics of some pairs (by
 * dataset index) and receives one result per pair, in any order. Tests may inject another scanner.
 */
import type { ApiError } from '../../../shared/api/errors'
import type { TriageReason } from '../../../shared/labels/triage/types'
import type { MaskStats } from '../../../shared/workspace/review'
import type { Dataset } from '../dataset'
import { statsFromAnalysis } from '../mask/maskStats'
import { scanMasks, type ScanTriage } from '../scan/maskScan'
import { maskFingerprints } from './fingerprints'
import { statsParams, type PairRow } from './rows'
import type { WorkspaceContext } from './store'
import type { StatsScanOptions, StatsScanProgress, StatsScanResult } from './types'

/** Results are committed in batches of this many (or every SCAN_FLUSH_MS). */
const SCAN_BATCH = 512
const SCAN_FLUSH_MS = 1000

/**
 * The version of what a scanned row records, in the meta table. 2: the mask's size is checked
 * against its image's header (`mask-size`). 3: a challenge-convention mask (0/255) is recorded as
 * lesion whatever its problem (one of the wrong size was recorded as all uncertain before), and a
 * row whose image header did not read is recorded without a fingerprint, so the next scan checks
 * it again (it was recorded clean and never checked before). A workspace below it (version 1: no
 * meta key) forgets
 * its source rows' scan fingerprints when a scan starts, so that each is scanned again once (an
 * interrupted scan resumes as usual); their statistics stay shown meanwhile, and an image triage
 * score keyed by the same fingerprint is kept when the row is recorded again.
 */
const STATS_SCAN_VERSION = 3
const SCAN_VERSION_KEY = 'statsScanVersion'

/** The row holds an image score keyed by the mask whose key prefix ('s:<scan_fp>|') is bound here. */
const KEEPS_IMAGE_SCORE = `(triage_image = 1 AND instr(triage_key, ?) = 1)`

const SQL = {
  rows: `SELECT id, idx, scan_fp, mask_sha256, scan_error, uncertain_fraction FROM pairs WHERE idx IS NOT NULL`,
  version: `SELECT value FROM meta WHERE key = '${SCAN_VERSION_KEY}'`,
  setVersion: `INSERT OR REPLACE INTO meta (key, value) VALUES ('${SCAN_VERSION_KEY}', ?)`,
  forgetFingerprints: `UPDATE pairs SET scan_fp = NULL WHERE mask_sha256 IS NULL AND scan_fp IS NOT NULL`,
  // The mask-only triage score comes with the statistics, keyless: the image pass (triageScores.ts)
  // sees no key for this mask and refines it; a mask without a score gets no image flag either. An
  // image score keyed by this same mask ('s:<scan_fp>|…', the first parameter of each CASE) is
  // kept: the pass checks the rest of its key (image, model) and rescores only if those changed.
  // A mask-size pair binds no prefix: its image score was computed on the image stretched to it.
  // Parameters: see setStatsParams.
  setStats: `UPDATE pairs SET width = ?, height = ?, background = ?, lesion = ?, uncertain = ?, lesion_components = ?,
               uncertain_components = ?, uncertain_fraction = ?, scan_fp = ?, scan_error = ?,
               triage_score = CASE WHEN ${KEEPS_IMAGE_SCORE} THEN triage_score ELSE ? END,
               triage_reasons = CASE WHEN ${KEEPS_IMAGE_SCORE} THEN triage_reasons ELSE ? END,
               triage_key = CASE WHEN ${KEEPS_IMAGE_SCORE} THEN triage_key END,
               triage_image = CASE WHEN ${KEEPS_IMAGE_SCORE} THEN triage_image WHEN ? IS NULL THEN NULL ELSE 0 END
             WHERE id = ? AND mask_sha256 IS NULL`,
  setUnreadable: `UPDATE pairs SET width = NULL, height = NULL, background = NULL, lesion = NULL, uncertain = NULL,
                    lesion_components = NULL, uncertain_components = NULL, uncertain_fraction = NULL, scan_fp = ?, scan_error = ?,
                    triage_score = NULL, triage_reasons = NULL, triage_key = NULL, triage_image = NULL
                  WHERE id = ? AND mask_sha256 IS NULL`,
} as const

export interface ScanItemResult {
  index: number
  /** The statistics, whenever the mask decodes. */
  stats?: MaskStats
  /** The first problem found (unreadable mask, bad values, challenge convention…), if any. */
  problem?: ApiError
  /** The mask-only triage score (issue #13), computed in the same pass; absent if not computed. */
  triage?: ScanTriage
  /**
   * The mask is in the challenge convention (0 background / 255 lesion, no 1): its statistics are
   * recorded as what it means (challengeStats) whatever its problem (`mask-size` comes first).
   */
  challenge?: boolean
  /**
   * The image's header did not read, so the mask's size was not checked: the row is recorded
   * without a scan fingerprint and the next scan looks again (a fixed or replaced image).
   */
  imageUnchecked?: boolean
}

export interface ScanRequest {
  indices: readonly number[]
  onResult(result: ScanItemResult): void
  onProgress?(done: number, total: number): void
  /** Aborting stops the scan: the promise resolves, no onResult follows. */
  signal?: AbortSignal
  /** Worker threads (scanner's default: the available cores); 0 scans on the calling thread. */
  workers?: number
}

/** Analyses the masks of `indices`; resolves when all are done or the signal aborted. */
export type MaskScanner = (dataset: Dataset, request: ScanRequest) => Promise<void>

/**
 * The worker-thread scan of the masks, each checked against its image's header (its first bytes
 * only: the size check, `mask-size`; an image whose header does not read is not the mask's problem),
 * with the mask-only triage score of each from the same decode.
 */
export const defaultScanner: MaskScanner = async (dataset, request) => {
  try {
    await scanMasks(dataset, {
      indices: [...request.indices],
      workers: request.workers,
      checkImages: true,
      imageErrors: 'ignore',
      triage: true,
      signal: request.signal,
      onProgress: request.onProgress,
      onResult: (r) => {
        const item: ScanItemResult = { index: r.index }
        if (r.analysis) item.stats = statsFromAnalysis(r.analysis)
        if (r.code !== null) item.problem = { code: r.code, message: r.message ?? r.code, file: r.file }
        if (r.triage) item.triage = r.triage
        if (r.analysis?.challengeConvention) item.challenge = true
        if (r.imageUnread) item.imageUnchecked = true
        request.onResult(item)
      },
    })
  } catch (err) {
    if (request.signal?.aborted) return
    throw err
  }
}

/**
 * Analyses the source masks whose statistics are missing or stale (the source file's fingerprint
 * changed), skipping corrected pairs. Aborting `controller` stops it; what was committed stays.
 */
export async function runStatsScan(
  ctx: WorkspaceContext,
  scanner: MaskScanner,
  controller: AbortController,
  options: StatsScanOptions,
): Promise<StatsScanResult> {
  const signal = controller.signal
  upgradeRows(ctx)
  const rows = ctx.store.statement(SQL.rows).all() as Pick<
    PairRow,
    'id' | 'idx' | 'scan_fp' | 'mask_sha256' | 'scan_error' | 'uncertain_fraction'
  >[]
  // Corrected pairs have the statistics of their corrected mask; the others are candidates.
  const candidates = rows.filter((r) => r.mask_sha256 === null && r.idx !== null)
  const fingerprints = await maskFingerprints(
    ctx.dataset,
    candidates.map((r) => r.idx as number),
  )
  const indices: number[] = []
  for (const r of candidates) {
    const fp = fingerprints.get(r.idx as number) ?? null
    const analysed = r.uncertain_fraction !== null || r.scan_error !== null
    // Before challengeStats, a challenge-convention mask's 255s were recorded as uncertain: scan again.
    const stale = r.scan_error === 'challenge-convention' && (r.uncertain_fraction ?? 0) > 0
    if (fp !== null && r.scan_fp === fp && analysed && !stale) continue
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
  const setStats = ctx.store.statement(SQL.setStats)
  const setUnreadable = ctx.store.statement(SQL.setUnreadable)
  let batch: ScanItemResult[] = []
  let lastFlush = Date.now()
  const flush = () => {
    if (batch.length === 0) return
    const items = batch
    batch = []
    lastFlush = Date.now()
    ctx.store.write('record statistics', () => {
      for (const r of items) {
        const id = ctx.dataset.idAt(r.index)
        // Unchecked against its image: no fingerprint, so that the next scan looks again.
        const fp = r.imageUnchecked ? null : (fingerprints.get(r.index) ?? null)
        const problem = r.problem?.code ?? null
        if (r.stats) {
          const t = r.triage
          const challenge = r.challenge === true || problem === 'challenge-convention'
          const stats = challenge ? challengeStats(r.stats) : r.stats
          setStats.run(...setStatsParams(stats, fp, problem, t, id))
        } else setUnreadable.run(fp, problem ?? 'internal', id)
      }
    })
  }
  options.onProgress?.({ ...state })
  let flushError: unknown
  if (indices.length > 0 && !signal.aborted) {
    await scanner(ctx.dataset, {
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

/** Marks the rows an older scan recorded as stale (see STATS_SCAN_VERSION), once. */
function upgradeRows(ctx: WorkspaceContext): void {
  const version = Number(ctx.store.statement(SQL.version, 'pluck').get() ?? 1)
  if (version >= STATS_SCAN_VERSION) return
  ctx.store.write('mark the rows of an older scan stale', () => {
    ctx.store.statement(SQL.forgetFingerprints).run()
    ctx.store.statement(SQL.setVersion).run(String(STATS_SCAN_VERSION))
  })
}

/**
 * The statistics of a challenge-convention mask (0 background / 255 lesion, whatever its recorded problem)
 * as what the mask means: its 255 pixels are lesion, it has no uncertain pixel. Read as a weak map it
 * would count as all uncertain and fill the uncertain histogram and the pixels left to decide.
 */
export function challengeStats(s: MaskStats): MaskStats {
  return {
    ...s,
    lesion: s.lesion + s.uncertain,
    uncertain: 0,
    lesionComponents: s.uncertainComponents,
    uncertainComponents: 0,
  }
}

/** The parameters of SQL.setStats, in the order of its placeholders. */
function setStatsParams(
  stats: MaskStats,
  fp: string | null,
  problem: string | null,
  triage: ScanTriage | undefined,
  id: string,
): unknown[] {
  // A mask of the wrong size keeps no image score (see SQL.setStats) and says why in its reasons.
  const prefix = fp === null || problem === 'mask-size' ? null : `s:${fp}|`
  const score = triage ? triage.score : null
  const reasons = triage
    ? problem === 'mask-size'
      ? withMaskSizeReason(triage.reasons)
      : triage.reasons
    : null
  return [...statsParams(stats), fp, problem, prefix, score, prefix, reasons, prefix, prefix, score, id]
}

/** Stored reasons (JSON) with `mask-size` first: the score is the mask's alone, the image not used. */
function withMaskSizeReason(json: string): string {
  let reasons: TriageReason[] = []
  try {
    const parsed: unknown = JSON.parse(json)
    if (Array.isArray(parsed)) reasons = parsed as TriageReason[]
  } catch {
    // The scan wrote it; a damaged one is replaced.
  }
  return JSON.stringify([{ code: 'mask-size', score: 1 }, ...reasons.filter((r) => r.code !== 'mask-size')])
}
