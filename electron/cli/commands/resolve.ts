import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { CodedError, type ApiError, type ErrorCode } from '../../../shared/api/errors'
import { resolveNearestLabel } from '../../../shared/labels/assist/baselines'
import { aggregate, evaluate, type PairScore } from '../../../shared/labels/assist/evaluate'
import { LABEL_BACKGROUND, LABEL_LESION, LABEL_UNCERTAIN, type LabelMap } from '../../../shared/labels/codes'
import { PAIR_STATUSES, type PairStatus } from '../../../shared/workspace/review'
import { resolvePairFromBytes } from '../../services/assist/resolvePair'
import { decodeMaskPng } from '../../services/mask/maskPng'
import { Workspace } from '../../services/workspace/workspace'
import { progressBar, readIdList, UsageError } from '../util'

/**
 * `wsm-curator resolve <workspace> (--ids <id,…|@file> | --all) [--dry-run] [--truth <dir>] [--json]
 *   [--note TEXT] [--curator NAME]`
 *
 * Proposes labels for the uncertain pixels of each selected pair (the editor's assisted resolution,
 * run on the pair's image) and saves the result through the workspace's checked atomic save: the
 * pair becomes `corrected`, audited with its pixel transitions. Certain pixels never change.
 *
 * Selection: `--ids` names pairs explicitly, whatever their status; every id must be a pair of the
 * workspace, else nothing is done (exit 2). `--all` takes every pair except those `accepted` or
 * `rejected` — a curator's decision about the mask as it is, which a bulk run does not override.
 */

/** Statuses `--all` leaves alone. */
const DECIDED: readonly PairStatus[] = ['accepted', 'rejected']
const ID_PATTERN = /^ISIC_\d{7}$/
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
  /** With --truth: how the truth file was read ('0/255' is the challenge convention, 255 → lesion). */
  truth?: '0/1' | '0/255' | 'missing'
  /** With --truth: accuracy on the uncertain pixels, Dice of the whole mask, nearest-label baseline. */
  accuracy?: number
  dice?: number
  baselineAccuracy?: number
  error?: ApiError
}

export interface TruthSummary {
  dir: string
  /** Resolved pairs scored against a truth file. */
  scored: number
  /** Resolved pairs without a truth file. */
  missing: number
  /** Truth files in the 0/255 challenge convention (read with 255 as lesion). */
  challengeConvention: number
  /** Pixel-pooled accuracy on the uncertain pixels, mean and minimum per pair. */
  accuracy: number
  meanAccuracy: number
  minAccuracy: number
  meanDice: number
  minDice: number
  /** The same for the nearest-certain-label baseline. */
  baselineAccuracy: number
  baselineMeanAccuracy: number
  baselineMeanDice: number
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
  /** With --all: accepted or rejected pairs left alone. */
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
  /** Folder of truth masks (already checked to be a readable folder), for scoring. */
  truthDir?: string
  note?: string
  signal?: AbortSignal
  onProgress?: (done: number, total: number) => void
}

// ---- truth masks -----------------------------------------------------------------------------------

interface TruthFolder {
  dir: string
  names: ReadonlySet<string>
}

async function openTruthFolder(dir: string): Promise<TruthFolder> {
  let names: string[]
  try {
    names = await fsp.readdir(dir)
  } catch (err) {
    throw new UsageError(
      `--truth: cannot read the folder ${dir} (${(err as NodeJS.ErrnoException).code ?? err})`,
    )
  }
  return { dir, names: new Set(names) }
}

/** `<id>.png`, else `<id>_segmentation.png` (the challenge's name), else undefined. */
function truthFileOf(folder: TruthFolder, id: string): string | undefined {
  for (const name of [`${id}.png`, `${id}_segmentation.png`]) {
    if (folder.names.has(name)) return path.join(folder.dir, name)
  }
  return undefined
}

/**
 * Reads a truth mask as 0/1: a 0/1 PNG as is; a 0/255 PNG (the challenge convention) with 255 read
 * as lesion. Anything else, or another size than the mask's, is an error.
 */
async function readTruth(
  file: string,
  width: number,
  height: number,
): Promise<{ data: Uint8Array; convention: '0/1' | '0/255' }> {
  let bytes: Buffer
  try {
    bytes = await fsp.readFile(file)
  } catch (err) {
    throw new CodedError(
      'io-error',
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      file,
    )
  }
  const decoded = decodeMaskPng(bytes, file)
  if (decoded.width !== width || decoded.height !== height) {
    throw new CodedError(
      'mask-size',
      `the truth mask is ${decoded.width}×${decoded.height} but the mask is ${width}×${height}`,
      file,
    )
  }
  const data = decoded.data
  let ones = 0
  let full = 0
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    if (v === LABEL_LESION) ones++
    else if (v === 255) full++
    else if (v !== LABEL_BACKGROUND) {
      throw new CodedError(
        'mask-values',
        `the truth mask holds ${v} at index ${i}: expected 0/1 or 0/255`,
        file,
      )
    }
  }
  if (ones > 0 && full > 0) {
    throw new CodedError('mask-values', `the truth mask holds both 1 and 255: expected 0/1 or 0/255`, file)
  }
  if (full === 0) return { data, convention: '0/1' }
  const out = new Uint8Array(data.length)
  for (let i = 0; i < data.length; i++) out[i] = data[i] === 255 ? LABEL_LESION : LABEL_BACKGROUND
  return { data: out, convention: '0/255' }
}

// ---- the run -----------------------------------------------------------------------------------------

function countUncertain(data: Uint8Array): number {
  let n = 0
  for (let i = 0; i < data.length; i++) if (data[i] === LABEL_UNCERTAIN) n++
  return n
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

function asApiError(err: unknown): ApiError {
  if (err instanceof CodedError) return err.toApiError()
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) }
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
  const dryRun = options.dryRun === true
  const truth = options.truthDir !== undefined ? await openTruthFolder(options.truthDir) : undefined
  const pairs: ResolvePairReport[] = []
  const scores: PairScore[] = []
  const baselineScores: PairScore[] = []
  let missing = 0
  let challenge = 0
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
      const { map } = await workspace.readCurrentMask(id)
      report.uncertain = countUncertain(map.data)
      if (report.uncertain === 0) {
        report.status = 'skipped'
      } else {
        // The truth is read first: a bad truth file fails the pair before anything is saved.
        let truthData: Uint8Array | undefined
        if (truth) {
          const file = truthFileOf(truth, id)
          if (file === undefined) report.truth = 'missing'
          else {
            const t = await readTruth(file, map.width, map.height)
            truthData = t.data
            report.truth = t.convention
          }
        }
        const { index } = workspace.dataset.find(id)
        const image = await workspace.dataset.readImageBytes(index)
        const { proposal } = await resolvePairFromBytes(image.bytes, map, {}, image.file)
        const counts = checkProposal(map.data, proposal.labels)
        if (counts.uncertain !== report.uncertain) {
          throw new CodedError(
            'internal',
            `${counts.uncertain} pixels resolved of ${report.uncertain} uncertain`,
          )
        }
        const resolved: LabelMap = { width: map.width, height: map.height, data: proposal.labels }
        if (!dryRun) await workspace.saveMask(id, resolved, { note: options.note })
        report.status = 'resolved'
        report.toLesion = counts.toLesion
        report.toBackground = counts.toBackground
        report.ms = performance.now() - t0
        if (truthData) {
          const score = evaluate(resolved, truthData, map)
          const base = evaluate(resolveNearestLabel(map), truthData, map)
          scores.push(score)
          baselineScores.push(base)
          report.accuracy = score.accuracy
          report.dice = score.dice
          report.baselineAccuracy = base.accuracy
          if (report.truth === '0/255') challenge++
        } else if (truth) missing++
      }
    } catch (err) {
      report.status = 'failed'
      report.toLesion = 0
      report.toBackground = 0
      delete report.accuracy
      delete report.dice
      delete report.baselineAccuracy
      report.error = asApiError(err)
      if (FATAL.has(report.error.code)) stopped = true
    }
    if (report.status !== 'resolved') report.ms = performance.now() - t0
    report.ms = Math.round(report.ms)
    pairs.push(report)
    options.onProgress?.(pairs.length, ids.length)
  }

  const resolved = pairs.filter((p) => p.status === 'resolved')
  const sum = (f: (p: ResolvePairReport) => number, list = pairs) => list.reduce((a, p) => a + f(p), 0)
  let truthSummary: TruthSummary | null = null
  if (truth) {
    const a = aggregate(scores)
    const b = aggregate(baselineScores)
    truthSummary = {
      dir: truth.dir,
      scored: scores.length,
      missing,
      challengeConvention: challenge,
      accuracy: a.accuracy,
      meanAccuracy: a.meanAccuracy,
      minAccuracy: a.minAccuracy,
      meanDice: a.meanDice,
      minDice: a.minDice,
      baselineAccuracy: b.accuracy,
      baselineMeanAccuracy: b.meanAccuracy,
      baselineMeanDice: b.meanDice,
    }
  }
  return {
    pairs,
    summary: {
      workspace: workspace.dir,
      dryRun,
      selected: ids.length,
      resolved: resolved.length,
      skipped: pairs.filter((p) => p.status === 'skipped').length,
      failed: pairs.filter((p) => p.status === 'failed').length,
      notRun: ids.length - pairs.length,
      interrupted: options.signal?.aborted === true && pairs.length < ids.length,
      excludedDecided: 0,
      uncertain: sum((p) => p.uncertain),
      toLesion: sum((p) => p.toLesion),
      toBackground: sum((p) => p.toBackground),
      ms: sum((p) => p.ms),
      msPerResolvedPair: resolved.length ? Math.round(sum((p) => p.ms, resolved) / resolved.length) : null,
      truth: truthSummary,
    },
  }
}

// ---- output ------------------------------------------------------------------------------------------

const pct = (f: number | undefined) => (f === undefined ? '–' : `${(100 * f).toFixed(2)}%`)

function formatTable(report: ResolveReport): string {
  const { pairs, summary } = report
  const withTruth = summary.truth !== null
  const lines: string[] = []
  const head = [
    'id'.padEnd(13),
    'result'.padEnd(9),
    'uncertain'.padStart(10),
    '→lesion'.padStart(10),
    '→backgr.'.padStart(10),
    'ms'.padStart(7),
  ]
  if (withTruth) head.push('accuracy'.padStart(9), 'baseline'.padStart(9), 'dice'.padStart(7))
  lines.push(head.join(' '))
  for (const p of pairs) {
    const row = [p.id.padEnd(13), p.status.padEnd(9), String(p.uncertain).padStart(10)]
    if (p.status === 'failed') {
      row.push(`  [${p.error?.code}] ${p.error?.message}${p.error?.file ? ` (${p.error.file})` : ''}`)
    } else if (p.status === 'skipped') {
      row.push(''.padStart(10), ''.padStart(10), String(p.ms).padStart(7), '  no uncertain pixel')
    } else {
      row.push(String(p.toLesion).padStart(10), String(p.toBackground).padStart(10), String(p.ms).padStart(7))
      if (withTruth) {
        if (p.truth === 'missing') row.push('  no truth file')
        else {
          row.push(pct(p.accuracy).padStart(9), pct(p.baselineAccuracy).padStart(9))
          row.push((p.dice === undefined ? '–' : p.dice.toFixed(4)).padStart(7))
          if (p.truth === '0/255') row.push(' (truth 0/255)')
        }
      }
    }
    lines.push(row.join(' '))
  }
  const s = summary
  lines.push('')
  lines.push(
    `${s.selected} pairs: ${s.resolved} ${s.dryRun ? 'would be resolved' : 'resolved (now corrected)'}, ` +
      `${s.skipped} skipped (no uncertain pixel), ${s.failed} failed` +
      (s.notRun ? `, ${s.notRun} not run${s.interrupted ? ' (interrupted)' : ''}` : '') +
      (s.dryRun ? ' — dry run, nothing written' : ''),
  )
  if (s.excludedDecided) {
    lines.push(
      `${s.excludedDecided} accepted or rejected pairs left alone (name them with --ids to resolve them)`,
    )
  }
  lines.push(
    `uncertain pixels: ${s.uncertain} → ${s.toLesion} lesion, ${s.toBackground} background` +
      (s.msPerResolvedPair !== null ? `; ${s.msPerResolvedPair} ms per resolved pair` : '') +
      ` (total ${(s.ms / 1000).toFixed(1)} s)`,
  )
  const t = s.truth
  if (t) {
    if (t.scored === 0) lines.push(`truth ${t.dir}: no resolved pair has a truth file`)
    else {
      lines.push(
        `truth ${t.dir}: ${t.scored} pairs scored` +
          (t.missing ? `, ${t.missing} without a truth file` : '') +
          (t.challengeConvention
            ? `, ${t.challengeConvention} in the 0/255 challenge convention (255 read as lesion)`
            : ''),
        `  accuracy on the uncertain pixels: ${pct(t.accuracy)} pooled, mean ${pct(t.meanAccuracy)}, min ${pct(t.minAccuracy)}`,
        `  nearest-label baseline:           ${pct(t.baselineAccuracy)} pooled, mean ${pct(t.baselineMeanAccuracy)}`,
        `  Dice of the whole mask:           mean ${t.meanDice.toFixed(4)}, min ${t.minDice.toFixed(4)} (baseline mean ${t.baselineMeanDice.toFixed(4)})`,
      )
    }
  }
  return lines.join('\n') + '\n'
}

// ---- the command ---------------------------------------------------------------------------------------

export async function resolveCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ids: { type: 'string' },
      all: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      truth: { type: 'string' },
      json: { type: 'boolean' },
      note: { type: 'string' },
      curator: { type: 'string' },
    },
  })
  if (positionals.length !== 1) throw new UsageError('resolve takes one workspace folder')
  if ((values.ids !== undefined) === (values.all === true))
    throw new UsageError('resolve needs either --ids or --all')
  let ids: string[] | undefined
  if (values.ids !== undefined) {
    ids = [...new Set(await readIdList(values.ids))]
    if (ids.length === 0) throw new UsageError('--ids names no pair')
    const bad = ids.filter((id) => !ID_PATTERN.test(id))
    if (bad.length > 0) {
      throw new UsageError(
        `--ids: not ISIC ids (ISIC_ and 7 digits): ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? '…' : ''}`,
      )
    }
  }
  if (values.truth !== undefined) {
    const stat = await fsp.stat(values.truth).catch(() => null)
    if (!stat?.isDirectory()) throw new UsageError(`--truth: ${values.truth} is not a folder`)
  }
  const dryRun = values['dry-run'] === true
  // A dry run writes nothing: opened read-only (no lock, no recovery), it also works beside the app.
  const workspace = await Workspace.open(positionals[0], { readOnly: dryRun, curator: values.curator })
  try {
    if (!dryRun && workspace.readOnly) {
      throw new CodedError(
        'read-only',
        `the workspace ${workspace.dir} is read-only (its folder is not writable): resolve saves masks (--dry-run only reads)`,
        workspace.dir,
      )
    }
    let excludedDecided = 0
    if (ids) {
      const unknown = ids.filter((id) => {
        try {
          workspace.dataset.find(id)
          return false
        } catch {
          return true
        }
      })
      if (unknown.length > 0) {
        throw new UsageError(
          `--ids: ${unknown.length} id(s) are not pairs of this workspace (nothing was done): ` +
            `${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? '…' : ''}`,
        )
      }
    } else {
      ids = workspace.listIds({ status: PAIR_STATUSES.filter((s) => !DECIDED.includes(s)) })
      excludedDecided = workspace.listIds({ status: [...DECIDED] }).length
    }

    const controller = new AbortController()
    const stop = () => controller.abort()
    process.once('SIGINT', stop)
    const bar = progressBar(dryRun ? 'resolving (dry run)' : 'resolving', ids.length)
    let report: ResolveReport
    try {
      report = await resolvePairs(workspace, ids, {
        dryRun,
        truthDir: values.truth,
        note: values.note,
        signal: controller.signal,
        onProgress: (done) => bar.tick(done),
      })
    } finally {
      process.removeListener('SIGINT', stop)
      bar.done()
    }
    report.summary.excludedDecided = excludedDecided
    if (values.json) process.stdout.write(JSON.stringify(report) + '\n')
    else process.stdout.write(formatTable(report))
    const s = report.summary
    if (s.truth && s.truth.challengeConvention > 0 && values.json) {
      process.stderr.write(
        `note: ${s.truth.challengeConvention} truth masks hold 0/255 (the ISIC challenge convention): 255 was read as lesion\n`,
      )
    }
    if (s.interrupted) return 130
    return s.failed > 0 || s.notRun > 0 ? 1 : 0
  } finally {
    await workspace.close()
  }
}
