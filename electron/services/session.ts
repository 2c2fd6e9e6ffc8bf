import {
  idleExportJob,
  type DatasetProblem,
  type ExportJobState,
  type ExportPlanSummary,
  type ExportSelectionArgs,
  type OpenedPair,
  type PairVersion,
  type ProblemPage,
  type QueueItem,
  type QueuePage,
  type QueueQuery,
  type ScanProgress,
  type TriagePassStatus,
  type WorkspaceInfo,
} from '../../shared/api/contract'
import { CodedError } from '../../shared/api/errors'
import type { LabelMap } from '../../shared/labels/codes'
import { planExport, runExport, type ExportSelection } from './export'
import { assignedPairIds } from './team/localState'
import { makeThumbnail } from './thumbnails'
import type { Workspace } from './workspace/workspace'
import type { PairTriage } from '../../shared/workspace/triage'

/** Thumbnails kept in memory (about 4 KB each). */
const THUMB_CACHE_MAX = 4000

/** The default queue: every pair, by id. */
export const DEFAULT_QUEUE: QueueQuery = { sort: 'id', order: 'asc' }

/** Pages of this size are read from SQLite to build a queue snapshot (the store's maximum). */
const SNAPSHOT_PAGE = 10_000

/**
 * What one app window (or one `serve` process) is working on: an open workspace and the review
 * queue. The queue is a snapshot of ids taken when it is set, so positions stay put while the
 * curator changes statuses (accepting a pair in an "unreviewed" queue must not shift the next one
 * under the cursor); statuses in pages are read fresh.
 */
export class CurationSession {
  private queueIds: string[] = []
  private queuePositions = new Map<string, number>()
  private scan: ScanProgress | null = null
  /** The triage image pass after the scan (workspace:info shows its progress). */
  private triagePass: TriagePassStatus | null = null
  private readonly scanAbort = new AbortController()
  private problemsCache: DatasetProblem[] | null = null
  private exportJob: ExportJobState = idleExportJob()
  private exportAbort: AbortController | null = null
  /** Thumbnails by id, keyed also by the pair's last change so a saved correction shows at once. */
  private readonly thumbs = new Map<string, { key: string; bytes: Buffer }>()

  constructor(
    readonly workspace: Workspace,
    options: { scan?: boolean } = {},
  ) {
    this.setQueue(DEFAULT_QUEUE)
    if (options.scan !== false && !workspace.readOnly) this.startScan()
  }

  /**
   * Statistics of every source mask, computed in the background on worker threads (resumes where an
   * earlier run stopped; unchanged sources are skipped). The queue's fractions fill in as it goes.
   */
  private startScan(): void {
    this.scan = { running: true, done: 0, toScan: 0, skipped: 0, failed: 0, problems: 0, error: null }
    this.workspace
      .startStatsScan({
        signal: this.scanAbort.signal,
        onProgress: (p) => {
          this.scan = { ...p, running: true, error: null }
        },
      })
      .then(
        (r) => {
          this.scan = { ...r, running: false, error: r.aborted ? 'stopped' : null }
          this.problemsCache = null
          if (!r.aborted) this.startTriage()
        },
        (err: unknown) => {
          if (this.scan) this.scan = { ...this.scan, running: false, error: String(err) }
        },
      )
  }

  /**
   * The triage score of every pair whose score is missing or stale, after the statistics scan: a
   * low-priority pass on one worker thread (unchanged pairs skipped). A failure only logs: the queue
   * then lists the unscored pairs last when sorted by score.
   */
  private startTriage(): void {
    this.triagePass = { running: true, done: 0, toScore: 0, skipped: 0, failed: 0, error: null }
    this.workspace
      .startTriagePass({
        signal: this.scanAbort.signal,
        workers: 1,
        onProgress: (p) => {
          this.triagePass = { ...p, running: true, error: null }
        },
      })
      .then(
        ({ aborted, ...r }) => {
          this.triagePass = { ...r, running: false, error: aborted ? 'stopped' : null }
        },
        (err: unknown) => {
          console.warn(`triage pass stopped: ${String(err)}`)
          if (this.triagePass) this.triagePass = { ...this.triagePass, running: false, error: String(err) }
        },
      )
  }

  /** The triage score of a pair's current mask (null while not scored yet). */
  pairTriage(id: string): PairTriage | null {
    this.workspace.dataset.find(id)
    return this.workspace.triage(id)
  }

  info(): WorkspaceInfo {
    const w = this.workspace
    return {
      dir: w.dir,
      curator: w.curator,
      readOnly: w.readOnly,
      readOnlyReason: w.readOnlyReason,
      progress: w.progress(),
      scan: this.scan,
      triage: this.triagePass,
      notices: w.notices,
    }
  }

  /**
   * Pairing problems (masks without an image, images without a mask, duplicate ids, broken sources)
   * and mask problems found by the scan, in that order; cached until the next scan ends or a save
   * clears one.
   */
  problems(offset: number, limit: number, code?: string): ProblemPage {
    const all = (this.problemsCache ??= this.collectProblems())
    const codes: Record<string, number> = {}
    for (const p of all) codes[p.code] = (codes[p.code] ?? 0) + 1
    const matching = code === undefined ? all : all.filter((p) => p.code === code)
    return { total: matching.length, offset, codes, items: matching.slice(offset, offset + limit) }
  }

  private collectProblems(): DatasetProblem[] {
    const dataset = this.workspace.dataset
    const report = dataset.report()
    const out: DatasetProblem[] = []
    for (const s of report.sources) {
      if (s.error) out.push({ id: null, file: s.path, code: s.error.code, message: s.error.message })
    }
    for (const id of report.masksWithoutImage)
      out.push({ id, file: null, code: 'no-image', message: `${id}: a mask without an image` })
    for (const id of report.imagesWithoutMask)
      out.push({ id, file: null, code: 'no-mask', message: `${id}: an image without a mask` })
    for (const d of report.duplicates) {
      out.push({
        id: d.id,
        file: d.used,
        code: 'duplicate-id',
        message: `${d.id}: ${d.role} found ${d.ignored.length + 1} times; using ${d.used}, ignoring ${d.ignored.join(', ')}`,
      })
    }
    for (let i = 0; i < dataset.size; i++) {
      const id = dataset.idAt(i)
      const state = this.workspace.pairState(id)
      if (state.scanError)
        out.push({ id, file: null, code: state.scanError, message: `${id}: ${state.scanError}` })
    }
    return out
  }

  setQueue(query: QueueQuery): { total: number } {
    this.workspace.checkMetadataConditions(query.metadata)
    // "My assignments": the team's local state (team.sqlite) names the pairs, the pair query lists them.
    const { assigned, ...rest } = query
    const only = assigned ? assignedPairIds(this.workspace.dir, assigned) : undefined
    const ids: string[] = []
    for (let offset = 0; ; offset += SNAPSHOT_PAGE) {
      const page = this.workspace.listPairs({ ...rest, ids: only, offset, limit: SNAPSHOT_PAGE })
      for (const item of page.items) ids.push(item.id)
      if (page.items.length < SNAPSHOT_PAGE) break
    }
    this.queueIds = ids
    this.queuePositions = new Map(ids.map((id, i) => [id, i]))
    return { total: ids.length }
  }

  queuePage(offset: number, limit: number): QueuePage {
    const items: QueueItem[] = []
    const end = Math.min(this.queueIds.length, offset + limit)
    for (let position = offset; position < end; position++) {
      const state = this.workspace.pairState(this.queueIds[position])
      items.push({
        position,
        id: state.id,
        status: state.status,
        uncertainFraction: state.uncertainFraction,
        corrected: state.corrected,
        problem: state.scanError,
        score: this.workspace.triage(state.id)?.score ?? null,
      })
    }
    return { total: this.queueIds.length, offset, items }
  }

  queueFind(id: string): { position: number } {
    const position = this.queuePositions.get(id)
    if (position === undefined) throw new CodedError('not-found', `${id} is not in the current queue`)
    return { position }
  }

  /**
   * One pair for the editor: the image as stored, and the current mask — the corrected one when the
   * workspace has it (the source mask's convention and problems then do not matter: `challenge` is
   * not applied), else the source mask with every check of Dataset.openPair (size, values,
   * challenge convention).
   */
  async openPair(id: string, challenge: 'refuse' | 'convert' = 'refuse'): Promise<OpenedPair> {
    const w = this.workspace
    const { index } = w.dataset.find(id)
    const state = w.pairState(id)
    if (state.corrected) {
      // The image alone (from the pair cache if there): the source mask does not matter to a corrected
      // pair, whatever is wrong with it (missing, unreadable, another convention).
      const [current, image] = await Promise.all([
        w.readCurrentMask(id, { challenge }),
        w.dataset.openImage(index),
      ])
      const mask = current.map
      if (mask.width !== image.width || mask.height !== image.height) {
        throw new CodedError(
          'mask-size',
          `${current.file} is ${mask.width}×${mask.height}, the image ${image.width}×${image.height}`,
          current.file,
        )
      }
      return {
        id,
        image: { name: image.name, mime: image.mime, bytes: image.bytes },
        mask: { width: mask.width, height: mask.height, data: mask.data, origin: current.origin },
        counts: current.counts,
        state,
        converted: false,
        base: versionOf(current),
      }
    }
    const source = await w.dataset.openPair(index, { challenge })
    return {
      id,
      image: { name: source.image.name, mime: source.image.mime, bytes: source.image.bytes },
      mask: {
        width: source.mask.width,
        height: source.mask.height,
        data: source.mask.data,
        origin: 'source',
      },
      counts: source.counts,
      state,
      converted: source.converted,
      // The source is never written: '' names these bytes even if a save lands meanwhile (the next
      // save is then refused with `conflict`, and the curator sees the newer version).
      base: '',
    }
  }

  /**
   * The version of a pair's current mask (as `openPair`'s `base`), its state and the progress,
   * without reading the image; `withMask`: also the current mask (a challenge-convention source is
   * refused, as by openPair). With the mask, the base is the version of the bytes read, as
   * openPair's.
   */
  async pairVersion(id: string, withMask = false): Promise<PairVersion> {
    const w = this.workspace
    w.dataset.find(id)
    const state = w.pairState(id)
    if (!withMask) return { base: w.store.row(id)?.mask_sha256 ?? '', state, progress: w.progress() }
    const current = await w.readCurrentMask(id)
    const { width, height, data } = current.map
    return {
      base: versionOf(current),
      state,
      progress: w.progress(),
      mask: { width, height, data, origin: current.origin },
    }
  }

  async thumbnail(id: string): Promise<{ mime: string; bytes: Uint8Array }> {
    const w = this.workspace
    const state = w.pairState(id)
    const key = `${state.updatedAt ?? ''}:${state.corrected}`
    const hit = this.thumbs.get(id)
    if (hit && hit.key === key) return { mime: 'image/jpeg', bytes: hit.bytes }
    // A challenge-convention source mask is shown as what it means (255 → lesion).
    const [{ map }, image] = await Promise.all([
      w.readCurrentMask(id, { challenge: 'convert' }),
      w.dataset.readImageBytes(state.index),
    ])
    const bytes = await makeThumbnail(image.bytes, map)
    this.thumbs.delete(id)
    this.thumbs.set(id, { key, bytes })
    if (this.thumbs.size > THUMB_CACHE_MAX) this.thumbs.delete(this.thumbs.keys().next().value as string)
    return { mime: 'image/jpeg', bytes }
  }

  /** Reads the pairs around the current one into the dataset's cache, in the background. */
  prefetch(ids: readonly string[]): void {
    for (const id of ids) {
      try {
        this.workspace.dataset.prefetch(this.workspace.dataset.find(id).index)
      } catch {
        // An unknown id is only a hint gone stale.
      }
    }
  }

  /** `base`: the mask version the decision was taken on (see Workspace.setStatus); undefined: no check. */
  async setStatus(id: string, status: Parameters<Workspace['setStatus']>[1], note?: string, base?: string) {
    const state = await this.workspace.setStatus(id, status, {
      ...(note === undefined ? {} : { note }),
      ...(base === undefined ? {} : { base }),
    })
    return { state, progress: this.workspace.progress() }
  }

  async setNote(id: string, note: string) {
    const current = this.workspace.pairState(id)
    const state = await this.workspace.setStatus(id, current.status, { note })
    return { state, progress: this.workspace.progress() }
  }

  async saveMask(id: string, map: LabelMap, base?: string) {
    const result = await this.workspace.saveMask(id, map, base === undefined ? {} : { base })
    // A correction replaces the source mask's statistics and its problem (e.g. a challenge-convention
    // mask converted and saved): the problems list is collected again on its next request.
    if (this.problemsCache?.some((p) => p.id === id)) this.problemsCache = null
    return {
      state: result.state,
      base: result.sha256,
      transitions: result.transitions,
      progress: this.workspace.progress(),
    }
  }

  exportPlan(sel: ExportSelectionArgs): ExportPlanSummary {
    const plan = planExport(this.workspace, toSelection(sel))
    const excludedByReason: Record<string, number> = {}
    for (const e of plan.excluded) excludedByReason[e.reason] = (excludedByReason[e.reason] ?? 0) + 1
    return {
      count: plan.count,
      eligible: plan.eligible,
      excluded: plan.excluded.length,
      excludedByReason,
      unscanned: plan.unscanned,
    }
  }

  /** Starts an export in the background; one at a time. The plan is checked first (errors come back now). */
  exportStart(sel: ExportSelectionArgs, out: string): ExportJobState {
    if (this.exportJob.state === 'running')
      throw new CodedError('bad-request', 'an export is already running')
    const selection = toSelection(sel)
    const plan = planExport(this.workspace, selection)
    this.exportAbort = new AbortController()
    this.exportJob = { ...idleExportJob(), state: 'running', out, total: plan.count }
    runExport(
      this.workspace,
      { ...selection, out },
      {
        signal: this.exportAbort.signal,
        onProgress: (p) => {
          this.exportJob = { ...this.exportJob, done: p.done, total: p.total, bytes: p.bytes }
        },
      },
    ).then(
      (summary) => {
        this.exportJob = {
          ...this.exportJob,
          state: 'done',
          out: summary.out,
          done: this.exportJob.total,
          bytes: summary.bytes,
          exported: summary.exported,
          excluded: summary.excluded.length,
        }
      },
      (err: unknown) => {
        const cancelled = this.exportAbort?.signal.aborted === true
        this.exportJob = {
          ...this.exportJob,
          state: cancelled ? 'cancelled' : 'failed',
          error: err instanceof CodedError ? `[${err.code}] ${err.message}` : String(err),
        }
      },
    )
    return this.exportJob
  }

  exportStatus(): ExportJobState {
    return this.exportJob
  }

  exportCancel(): ExportJobState {
    this.exportAbort?.abort()
    return this.exportJob
  }

  async close(): Promise<void> {
    this.exportAbort?.abort()
    this.scanAbort.abort()
    await this.workspace.close()
  }
}

/**
 * The version (`base`) of the current mask read: the SHA-256 of the corrected file's bytes, which is
 * what the save protocol recorded for them ('' for the source). Taken from the bytes rather than
 * the pair's row read before or after them: a save landing in between (or between its rename and
 * its record) would give a base older or newer than the bytes shown, and the renderer keys its undo
 * history by it. A file changed outside the app names no recorded version: its next save is
 * refused with `conflict`, which the curator resolves (Keep mine, Load) with those bytes on screen.
 */
function versionOf(current: { sha256: string | null }): string {
  return current.sha256 ?? ''
}

/** The wire's flat selection to the export service's. */
function toSelection(sel: ExportSelectionArgs): ExportSelection {
  const out: ExportSelection = {}
  if (sel.anyStatus) out.status = 'any'
  else if (sel.status) out.status = sel.status
  if (sel.uncertainMax !== undefined) out.uncertainMax = sel.uncertainMax
  if (sel.ids) out.ids = sel.ids
  if (sel.sampleCount !== undefined) out.sample = { count: sel.sampleCount, seed: sel.sampleSeed ?? 0 }
  if (sel.profile) out.profile = sel.profile
  if (sel.uncertainPolicy && sel.profile === 'isic-challenge') out.uncertainPolicy = sel.uncertainPolicy
  if (sel.where && sel.where.length > 0) out.where = sel.where
  return out
}
