/**
 * The triage room (issue #13): the stored suspicion score of each pair's current mask, its reasons,
 * and the key it was computed for — the mask's identity (the corrected mask's SHA-256, or the
 * source's scan fingerprint), the image file's identity (zip CRC + size, or size + mtime) and the
 * model's — so a pass skips the pairs whose key is unchanged and resumes where it stopped. The pass
 * scores on worker threads (electron/services/triage/scorePass.ts); a save rescores its pair.
 *
 * Two scores share these columns: the statistics scan stores each analysed mask's mask-only score
 * (statsScan.ts, triage_image 0) WITHOUT a key, so the queue sorts by score as soon as the scan
 * ends; a keyless score is stale to this pass, which replaces it with the image score pair by pair.
 */
import path from 'node:path'
import { TRIAGE_MODEL } from '../../../shared/labels/triage/model'
import { TRIAGE_MEASURES_VERSION } from '../../../shared/labels/triage/score'
import type { TriageReason } from '../../../shared/labels/triage/types'
import type { PairTriage, TriagePassProgress, TriagePassResult } from '../../../shared/workspace/triage'
import { RescoreWorker, runScorePass, type TriageItem, type TriageItemResult } from '../triage/scorePass'
import { sha256Hex } from '../fs/hash'
import { sourceFingerprints } from './fingerprints'
import { MASKS_DIR } from './rows'
import type { WorkspaceContext } from './store'

/**
 * The score's identity in keys, the model's and the measures' version: a refit model, or measures
 * taken another way, rescore every pair.
 */
export const TRIAGE_MODEL_TAG = sha256Hex(
  JSON.stringify({ model: TRIAGE_MODEL, measures: TRIAGE_MEASURES_VERSION }),
).slice(0, 12)

const BATCH = 256

/** The current mask's identity, in SQL (NULL while a source mask has no statistics). */
const MASK_KEY_SQL = `CASE WHEN mask_sha256 IS NOT NULL THEN 'c:' || mask_sha256
  WHEN scan_fp IS NOT NULL AND uncertain_fraction IS NOT NULL THEN 's:' || scan_fp END`

const SQL = {
  rows: `SELECT id, idx, mask_sha256, ${MASK_KEY_SQL} AS mask_key, triage_key FROM pairs WHERE idx IS NOT NULL`,
  maskKeyOf: `SELECT mask_sha256, ${MASK_KEY_SQL} AS mask_key FROM pairs WHERE id = ?`,
  record: `UPDATE pairs SET triage_score = ?, triage_reasons = ?, triage_key = ?, triage_image = ?
           WHERE id = ? AND ${MASK_KEY_SQL} = ?`,
  one: `SELECT id, triage_score, triage_reasons, triage_image FROM pairs WHERE id = ? AND triage_score IS NOT NULL`,
  all: `SELECT id, triage_score, triage_reasons, triage_image FROM pairs
        WHERE idx IS NOT NULL AND triage_score IS NOT NULL ORDER BY triage_score DESC, id ASC`,
  unscored: `SELECT count(*) FROM pairs WHERE idx IS NOT NULL AND ${MASK_KEY_SQL} IS NOT NULL
             AND (triage_score IS NULL OR triage_key IS NULL)`,
} as const

interface ScoreRow {
  id: string
  triage_score: number
  triage_reasons: string | null
  triage_image: number | null
}

export interface TriagePassOptions {
  onProgress?(progress: TriagePassProgress): void
  signal?: AbortSignal
  /** Worker threads (default 1: a low-priority background job); 0 scores on this thread. */
  workers?: number
}

export class TriageRoom {
  readonly #ctx: WorkspaceContext
  readonly #rescorer = new RescoreWorker()

  constructor(ctx: WorkspaceContext) {
    this.#ctx = ctx
  }

  /** The stored score of a pair, or null when it has none yet. */
  of(id: string): PairTriage | null {
    const row = this.#ctx.store.statement(SQL.one).get(id) as ScoreRow | undefined
    return row ? triageOf(row) : null
  }

  /** Every scored pair of the open dataset, highest score first (ties by id). */
  all(): PairTriage[] {
    return (this.#ctx.store.statement(SQL.all).all() as ScoreRow[]).map(triageOf)
  }

  /** Pairs with statistics whose score is missing (never scored, or the mask could not be read). */
  unscoredCount(): number {
    return this.#ctx.store.statement(SQL.unscored, 'pluck').get() as number
  }

  /** The pairs whose key changed (or that were never scored), as items for the pass. */
  async stale(): Promise<{ items: TriageItem[]; skipped: number }> {
    const ctx = this.#ctx
    const rows = ctx.store.statement(SQL.rows).all() as {
      id: string
      idx: number
      mask_sha256: string | null
      mask_key: string | null
      triage_key: string | null
    }[]
    const withStats = rows.filter((r) => r.mask_key !== null)
    const images = await imageFingerprints(
      ctx,
      withStats.map((r) => r.idx),
    )
    const items: TriageItem[] = []
    for (const r of withStats) {
      const key = `${r.mask_key}|${images.get(r.idx) ?? 'i:?'}|m:${TRIAGE_MODEL_TAG}`
      if (r.triage_key === key && !key.includes('|i:?|')) continue
      items.push(this.#item(r.id, r.idx, r.mask_sha256 !== null, key))
    }
    return { items, skipped: rows.length - items.length }
  }

  /** Scores the stale pairs (see stale), committing in batches; aborting keeps what was committed. */
  async runPass(options: TriagePassOptions = {}): Promise<TriagePassResult> {
    const { items, skipped } = await this.stale()
    const state: TriagePassProgress = { done: 0, toScore: items.length, skipped, failed: 0 }
    options.onProgress?.({ ...state })
    let batch: TriageItemResult[] = []
    const flush = () => {
      const b = batch
      batch = []
      if (b.length > 0) this.record(b)
    }
    await runScorePass(items, {
      signal: options.signal,
      workers: options.workers,
      onResult: (r) => {
        batch.push(r)
        state.done++
        if (r.score === undefined) state.failed++
        if (batch.length >= BATCH) flush()
        options.onProgress?.({ ...state })
      },
    })
    flush()
    return { ...state, aborted: state.done < state.toScore }
  }

  /**
   * Rescores one pair (after a save) on the rescoring worker thread, kept between saves (see
   * RescoreWorker): the Electron main process only posts the item (the score's ~20–60 ms of CPU
   * would delay its IPC). The key's mask part is read from
   * the row, and recording checks it again, so a result for a mask replaced meanwhile is dropped.
   */
  async rescore(id: string): Promise<void> {
    const ctx = this.#ctx
    const { index } = ctx.dataset.find(id)
    const row = ctx.store.statement(SQL.maskKeyOf).get(id) as {
      mask_sha256: string | null
      mask_key: string | null
    }
    if (!row || row.mask_key === null) return
    const [imageKey] = (await imageFingerprints(ctx, [index])).values()
    const item = this.#item(
      id,
      index,
      row.mask_sha256 !== null,
      `${row.mask_key}|${imageKey ?? 'i:?'}|m:${TRIAGE_MODEL_TAG}`,
    )
    this.record([await this.#rescorer.score(item)])
  }

  /** Stops the rescoring worker (after the rescores in hand). */
  close(): Promise<void> {
    return this.#rescorer.close()
  }

  #item(id: string, index: number, corrected: boolean, key: string): TriageItem {
    const loc = this.#ctx.dataset.locate(index)
    const file = path.join(this.#ctx.dir, MASKS_DIR, `${id}.png`)
    return {
      index,
      id,
      mask: corrected ? { kind: 'folder', path: file } : loc.mask,
      maskFile: corrected ? file : loc.maskFile,
      image: loc.image,
      key,
    }
  }

  /** Records results whose mask is still the pair's current one (others are dropped). */
  record(results: readonly TriageItemResult[]): void {
    const st = this.#ctx.store.statement(SQL.record)
    this.#ctx.store.write('record triage scores', () => {
      for (const r of results) {
        const maskKey = r.key.slice(0, r.key.indexOf('|'))
        // A failure keeps no key, so the next pass retries it (a transient read error must not
        // leave the pair unscored for good).
        if (r.score === undefined)
          st.run(null, JSON.stringify({ error: r.error ?? 'unreadable' }), null, null, r.id, maskKey)
        else st.run(r.score, JSON.stringify(r.reasons ?? []), r.key, r.withImage ? 1 : 0, r.id, maskKey)
      }
    })
  }
}

function triageOf(row: ScoreRow): PairTriage {
  let reasons: TriageReason[] = []
  try {
    const parsed: unknown = JSON.parse(row.triage_reasons ?? '[]')
    if (Array.isArray(parsed)) reasons = parsed as TriageReason[]
  } catch {
    // A damaged cell: the score stands without its reasons.
  }
  return { id: row.id, score: row.triage_score, reasons, withImage: row.triage_image === 1 }
}

/** The image files' identities (see fingerprints.ts); absent when the file cannot be examined. */
async function imageFingerprints(
  ctx: WorkspaceContext,
  indices: readonly number[],
): Promise<Map<number, string>> {
  const out = new Map<number, string>()
  for (const [i, f] of await sourceFingerprints(ctx.dataset, indices, 'image')) if (f !== null) out.set(i, f)
  return out
}
