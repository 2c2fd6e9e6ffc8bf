/**
 * Assisted resolution of many pairs of a workspace, one after the other (`wsm-curator resolve`, and
 * the app when it offers the same): each pair's uncertain pixels get the proposal of
 * resolvePairFromBytes, checked (certain pixels never change), then saved through the workspace's
 * checked atomic save, so the pair becomes `corrected`, audited with its pixel transitions. With a
 * truth folder, each resolved pair is also scored (truthScore.ts).
 */
import { CodedError, toApiError, type ApiError, type ErrorCode } from '../../../shared/api/errors'
import { LABEL_BACKGROUND, LABEL_LESION, LABEL_UNCERTAIN, type LabelMap } from '../../../shared/labels/codes'
import type { Workspace } from '../workspace/workspace'
import { resolvePairFromBytes } from './resolvePair'
import { TruthScorer, type TruthConvention, type TruthSummary } from './truthScore'

export type { TruthSummary } from './truthScore'

/** Errors after which the next pairs would fail the same way: the run stops. */
const FATAL: ReadonlySet<ErrorCode> = new Set(['disk-full', 'read-only', 'workspace-corrupt'])

export type ResolveOutcome = 'resolved' | 'skipped' | 'failed'

export interface ResolvePairReport {
  id: string
  status: ResolveOutcome
  /** Uncertain pixels of the current mask, and what they became. */
  uncertain: number
  toLesion: number
  toBackground: number
  /** Milliseconds for the pair: reading, decoding, proposing and (unless a dry run) saving. */
  ms: number
  /** With a truth folder: how the truth file was read ('0/255' is the challenge convention, 255 → lesion). */
  truth?: TruthConvention | 'missing'
  /** With a truth folder: accuracy on the uncertain pixels, Dice of the whole mask, nearest-label baseline. */
  accuracy?: number
  dice?: number
  baselineAccuracy?: number
  error?: ApiError
}

export interface ResolveSummary {
  workspace: string
  dryRun: boolean
  selected: number
  resolved: number
  skipped: number
  failed: number
  /** Selected pairs not processed: the run was interrupted or stopped on a fatal error. */
  notRun: number
  interrupted: boolean
  /** Accepted or rejected pairs the caller left out of the selection (set by the caller). */
  excludedDecided: number
  uncertain: number
  toLesion: number
  toBackground: number
  /** Total milliseconds over the processed pairs, and the mean per resolved pair. */
  ms: number
  msPerResolvedPair: number | null
  truth: TruthSummary | null
}

export interface ResolveReport {
  pairs: ResolvePairReport[]
  summary: ResolveSummary
}

export interface ResolveRunOptions {
  dryRun?: boolean
  /** Folder of truth masks, for scoring ('io-error' when it cannot be listed). */
  truthDir?: string
  note?: string
  signal?: AbortSignal
  onProgress?: (done: number, total: number) => void
}

/**
 * Checks a proposal against the mask it resolves: same length, every certain pixel unchanged, every
 * formerly uncertain pixel 0 or 1. A violation is a bug of the resolver (`internal`): never saved.
 */
export function checkProposal(
  source: Uint8Array,
  labels: Uint8Array,
): { uncertain: number; toLesion: number; toBackground: number } {
  if (labels.length !== source.length) {
    throw new CodedError('internal', `the proposal has ${labels.length} pixels, the mask ${source.length}`)
  }
  let toLesion = 0
  let toBackground = 0
  for (let i = 0; i < source.length; i++) {
    const s = source[i]
    const p = labels[i]
    if (s === LABEL_UNCERTAIN) {
      if (p === LABEL_LESION) toLesion++
      else if (p === LABEL_BACKGROUND) toBackground++
      else
        throw new CodedError('internal', `the proposal left ${p} at uncertain pixel ${i} (expected 0 or 1)`)
    } else if (p !== s) {
      throw new CodedError('internal', `the proposal changed certain pixel ${i} from ${s} to ${p}`)
    }
  }
  return { uncertain: toLesion + toBackground, toLesion, toBackground }
}

/** Resolves (and unless `dryRun` saves) one pair into `report`; throws what makes it fail. */
async function resolveOne(
  workspace: Workspace,
  report: ResolvePairReport,
  truth: TruthScorer | undefined,
  options: ResolveRunOptions,
  t0: number,
): Promise<void> {
  const { id } = report
  const current = await workspace.readCurrentMask(id)
  const { map } = current
  report.uncertain = current.counts.uncertain
  if (report.uncertain === 0) {
    report.status = 'skipped'
    return
  }
  // The truth is read first: a bad truth file fails the pair before anything is saved.
  const t = truth ? await truth.readFor(id, map.width, map.height) : undefined
  if (t !== undefined) report.truth = t === 'missing' ? 'missing' : t.convention
  const { index } = workspace.dataset.find(id)
  const image = await workspace.dataset.readImageBytes(index)
  const { proposal } = await resolvePairFromBytes(image.bytes, map, {}, image.file)
  const counts = checkProposal(map.data, proposal.labels)
  if (counts.uncertain !== report.uncertain) {
    throw new CodedError('internal', `${counts.uncertain} pixels resolved of ${report.uncertain} uncertain`)
  }
  const resolved: LabelMap = { width: map.width, height: map.height, data: proposal.labels }
  if (options.dryRun !== true) await workspace.saveMask(id, resolved, { note: options.note })
  report.status = 'resolved'
  report.toLesion = counts.toLesion
  report.toBackground = counts.toBackground
  report.ms = performance.now() - t0
  if (truth && t !== undefined && t !== 'missing') {
    const { score, baseline } = truth.score(resolved, map, t.data, t.convention)
    report.accuracy = score.accuracy
    report.dice = score.dice
    report.baselineAccuracy = baseline.accuracy
  } else if (truth) truth.countMissing()
}

/**
 * Resolves the uncertain pixels of `ids` (pairs of `workspace`, in this order), one pair after the
 * other. A pair that fails is reported with its error and the others go on, except after an error
 * every later save would share (disk full, read-only…): the run stops there. Writes nothing when
 * `dryRun`.
 */
export async function resolvePairs(
  workspace: Workspace,
  ids: readonly string[],
  options: ResolveRunOptions = {},
): Promise<ResolveReport> {
  const truth = options.truthDir !== undefined ? await TruthScorer.open(options.truthDir) : undefined
  const pairs: ResolvePairReport[] = []
  let stopped = false
  for (const id of ids) {
    if (options.signal?.aborted || stopped) break
    const t0 = performance.now()
    const report: ResolvePairReport = {
      id,
      status: 'failed',
      uncertain: 0,
      toLesion: 0,
      toBackground: 0,
      ms: 0,
    }
    try {
      await resolveOne(workspace, report, truth, options, t0)
    } catch (err) {
      report.status = 'failed'
      report.toLesion = 0
      report.toBackground = 0
      delete report.accuracy
      delete report.dice
      delete report.baselineAccuracy
      report.error = toApiError(err)
      if (FATAL.has(report.error.code)) stopped = true
    }
    if (report.status !== 'resolved') report.ms = performance.now() - t0
    report.ms = Math.round(report.ms)
    pairs.push(report)
    options.onProgress?.(pairs.length, ids.length)
  }
  return { pairs, summary: summarize(workspace.dir, ids.length, pairs, options, truth) }
}

function summarize(
  dir: string,
  selected: number,
  pairs: readonly ResolvePairReport[],
  options: ResolveRunOptions,
  truth: TruthScorer | undefined,
): ResolveSummary {
  const resolved = pairs.filter((p) => p.status === 'resolved')
  const sum = (f: (p: ResolvePairReport) => number, list = pairs) => list.reduce((a, p) => a + f(p), 0)
  return {
    workspace: dir,
    dryRun: options.dryRun === true,
    selected,
    resolved: resolved.length,
    skipped: pairs.filter((p) => p.status === 'skipped').length,
    failed: pairs.filter((p) => p.status === 'failed').length,
    notRun: selected - pairs.length,
    interrupted: options.signal?.aborted === true && pairs.length < selected,
    excludedDecided: 0,
    uncertain: sum((p) => p.uncertain),
    toLesion: sum((p) => p.toLesion),
    toBackground: sum((p) => p.toBackground),
    ms: sum((p) => p.ms),
    msPerResolvedPair: resolved.length ? Math.round(sum((p) => p.ms, resolved) / resolved.length) : null,
    truth: truth ? truth.summary() : null,
  }
}
