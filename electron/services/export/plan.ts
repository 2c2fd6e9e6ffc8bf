/**
 * Which pairs an export holds: the workspace's pairs filtered by status, uncertain fraction and ids,
 * minus the pairs known to be unexportable (listed with their reason), then optionally a seeded
 * sample. Reads the workspace database only (no file is opened): cheap enough for a live count.
 */
import { CodedError } from '../../../shared/api/errors'
import type { MetadataCondition } from '../../../shared/workspace/dashboard'
import { isPairStatus, type PairStatus } from '../../../shared/workspace/review'
import { mulberry32 } from '../demo/prng'
import type { PairState, Workspace } from '../workspace/workspace'
import {
  isExportProfile,
  isUncertainPolicy,
  type ExcludedPair,
  type ExportProfile,
  type RecordedSelection,
  type UncertainPolicy,
} from './format'

/** Statuses exported when the selection names none: the pairs whose masks a curator approved. */
export const DEFAULT_EXPORT_STATUSES: readonly PairStatus[] = ['accepted', 'corrected']

export interface ExportSelection {
  /** Statuses to export (default accepted and corrected); 'any' for every status. */
  status?: readonly PairStatus[] | 'any'
  /** Only pairs whose current mask's uncertain fraction is at most this (0–1). */
  uncertainMax?: number
  /** Only pairs whose triage score is at most this (0–1); pairs not yet scored are listed as excluded. */
  scoreMax?: number
  /** Only these pairs (the other filters still apply; names that do not qualify are listed as excluded). */
  ids?: readonly string[]
  /** Metadata conditions (column = one of values), all of which must hold; unknown columns are refused. */
  where?: readonly MetadataCondition[]
  /**
   * A reproducible random sample of `count` pairs, drawn after every filter and exclusion: the
   * mulberry32 generator seeded with `seed` (an integer 0 to 2³²−1) runs a partial Fisher–Yates
   * shuffle over the selection sorted by id; the sample is then sorted by id.
   */
  sample?: { count: number; seed: number }
  /** Default 'wsm'. */
  profile?: ExportProfile
  /** isic-challenge only (default 'refuse'); must be absent for wsm. */
  uncertainPolicy?: UncertainPolicy
}

export interface ExportPlan {
  /** Pairs to export, and their ids sorted. */
  count: number
  ids: string[]
  /** Pairs left out for a reason, sorted by id (pairs that simply do not match the filters are not listed). */
  excluded: ExcludedPair[]
  /** Pairs that passed every filter and exclusion, before sampling. */
  eligible: number
  /**
   * Selected pairs without statistics (not scanned yet): their masks are decoded during the export
   * (slower), and with isic-challenge + refuse those holding uncertain pixels are left out then.
   */
  unscanned: number
  /** The selection with its defaults resolved, as export.json records it. */
  selection: RecordedSelection
  profile: ExportProfile
  uncertainPolicy: UncertainPolicy | null
}

const ID = /^ISIC_\d{7}$/

/** Checks a selection and resolves its defaults (bad-request on anything malformed). */
export function normalizeSelection(sel: ExportSelection): {
  selection: RecordedSelection
  profile: ExportProfile
  uncertainPolicy: UncertainPolicy | null
} {
  const profile = sel.profile ?? 'wsm'
  if (!isExportProfile(profile))
    throw new CodedError('bad-request', `unknown profile ${JSON.stringify(profile)}`)
  let uncertainPolicy: UncertainPolicy | null = null
  if (profile === 'isic-challenge') {
    uncertainPolicy = sel.uncertainPolicy ?? 'refuse'
    if (!isUncertainPolicy(uncertainPolicy))
      throw new CodedError('bad-request', `unknown uncertain policy ${JSON.stringify(uncertainPolicy)}`)
  } else if (sel.uncertainPolicy !== undefined) {
    throw new CodedError(
      'bad-request',
      'an uncertain policy applies to the isic-challenge profile only: wsm keeps uncertain pixels as 255',
    )
  }
  let status: PairStatus[] | 'any'
  if (sel.status === 'any') status = 'any'
  else {
    const list = sel.status === undefined ? [...DEFAULT_EXPORT_STATUSES] : [...sel.status]
    const bad = list.find((s) => !isPairStatus(s))
    if (bad !== undefined) throw new CodedError('bad-request', `unknown status ${JSON.stringify(bad)}`)
    if (list.length === 0) throw new CodedError('bad-request', 'the status filter names no status')
    status = [...new Set(list)]
  }
  const max = sel.uncertainMax
  if (max !== undefined && (typeof max !== 'number' || !Number.isFinite(max) || max < 0 || max > 1))
    throw new CodedError('bad-request', 'uncertainMax must be a fraction from 0 to 1')
  const scoreMax = sel.scoreMax
  if (
    scoreMax !== undefined &&
    (typeof scoreMax !== 'number' || !Number.isFinite(scoreMax) || scoreMax < 0 || scoreMax > 1)
  )
    throw new CodedError('bad-request', 'scoreMax must be a number from 0 to 1')
  let ids: string[] | null = null
  if (sel.ids !== undefined) {
    if (!Array.isArray(sel.ids) || sel.ids.some((id) => typeof id !== 'string'))
      throw new CodedError('bad-request', 'ids must be a list of strings')
    ids = [...new Set(sel.ids)].sort(compare)
  }
  let sample: RecordedSelection['sample'] = null
  if (sel.sample !== undefined) {
    const { count, seed } = sel.sample
    if (!Number.isSafeInteger(count) || count < 1)
      throw new CodedError('bad-request', 'the sample size must be an integer ≥ 1')
    if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff)
      throw new CodedError('bad-request', 'the sample seed must be an integer from 0 to 4294967295')
    sample = { count, seed }
  }
  let where: MetadataCondition[] | undefined
  if (sel.where !== undefined && sel.where.length > 0) {
    if (
      !Array.isArray(sel.where) ||
      sel.where.some(
        (w) =>
          typeof w?.column !== 'string' ||
          !Array.isArray(w.values) ||
          (w.values as unknown[]).some((v) => typeof v !== 'string'),
      )
    )
      throw new CodedError('bad-request', 'where must be a list of {column, values}')
    where = sel.where.map((w) => ({ column: w.column, values: [...w.values] }))
  }
  return {
    selection: {
      status,
      uncertainMax: max ?? null,
      ids,
      sample,
      ...(where ? { where } : {}),
      ...(scoreMax !== undefined ? { scoreMax } : {}),
    },
    profile,
    uncertainPolicy,
  }
}

/**
 * The pairs an export of `selection` would hold, with the count, for a live display and for
 * runExport. Excluded and listed (never silently dropped): named ids that are unknown or do not
 * match the filters, pairs without statistics when a fraction filter applies, pairs whose source
 * mask the scan found unusable (and that have no corrected mask), and — isic-challenge with
 * `refuse` — pairs whose mask holds uncertain pixels.
 */
export function planExport(workspace: Workspace, selection: ExportSelection): ExportPlan {
  return planWithStates(workspace, selection).plan
}

/** planExport, plus the review state read for each selected pair (runExport starts from it). */
export function planWithStates(
  workspace: Workspace,
  selection: ExportSelection,
): { plan: ExportPlan; states: Map<string, PairState> } {
  const norm = normalizeSelection(selection)
  const { status, uncertainMax, ids, sample, where, scoreMax } = norm.selection
  // The triage scores, read once (not one query per pair) when --score-max applies.
  const scores =
    scoreMax === undefined ? undefined : new Map(workspace.triageAll().map((t) => [t.id, t.score]))
  workspace.checkMetadataConditions(where)
  const statuses = status === 'any' ? undefined : new Set<PairStatus>(status)
  const metadataMatch = where === undefined ? undefined : new Set(workspace.listIds({ metadata: where }))
  const excluded: ExcludedPair[] = []
  const states: PairState[] = []
  if (ids !== null) {
    for (const id of ids) {
      const state = ID.test(id) ? stateOf(workspace, id) : undefined
      if (state === undefined) excluded.push({ id, reason: 'not-in-workspace' })
      else if (statuses !== undefined && !statuses.has(state.status))
        excluded.push({ id, reason: 'status', detail: state.status })
      else if (metadataMatch !== undefined && !metadataMatch.has(id))
        excluded.push({ id, reason: 'metadata' })
      else states.push(state)
    }
  } else {
    // One query for all of them (not one per pair: a plan can hold the whole dataset).
    const filter = statuses === undefined ? {} : { status: [...statuses] }
    for (const state of workspace.pairStates({ ...filter, metadata: where })) states.push(state)
  }
  const refuseUncertain = norm.profile === 'isic-challenge' && norm.uncertainPolicy === 'refuse'
  const eligible: string[] = []
  for (const s of states) {
    if (s.scanError !== null && !s.corrected) {
      excluded.push({ id: s.id, reason: 'mask-problem', detail: s.scanError })
      continue
    }
    if (uncertainMax !== null) {
      if (s.uncertainFraction === null) {
        excluded.push({ id: s.id, reason: 'not-scanned' })
        continue
      }
      if (s.uncertainFraction > uncertainMax) {
        if (ids !== null)
          excluded.push({ id: s.id, reason: 'uncertain-above-max', detail: String(s.uncertainFraction) })
        continue
      }
    }
    if (scores !== undefined && scoreMax !== undefined) {
      const score = scores.get(s.id)
      if (score === undefined) {
        excluded.push({ id: s.id, reason: 'not-scored' })
        continue
      }
      if (score > scoreMax) {
        if (ids !== null) excluded.push({ id: s.id, reason: 'score-above-max', detail: String(score) })
        continue
      }
    }
    if (refuseUncertain && s.stats !== null && s.stats.uncertain > 0) {
      excluded.push({ id: s.id, reason: 'uncertain-pixels', detail: `${s.stats.uncertain} uncertain pixels` })
      continue
    }
    eligible.push(s.id)
  }
  const chosen = sample === null ? eligible : samplePairs(eligible, sample.count, sample.seed)
  const chosenSet = new Set(chosen)
  const unscanned = states.filter((s) => s.stats === null && chosenSet.has(s.id)).length
  excluded.sort((a, b) => compare(a.id, b.id))
  const plan: ExportPlan = {
    count: chosen.length,
    ids: chosen,
    excluded,
    eligible: eligible.length,
    unscanned,
    selection: norm.selection,
    profile: norm.profile,
    uncertainPolicy: norm.uncertainPolicy,
  }
  const byId = new Map<string, PairState>()
  for (const st of states) if (chosenSet.has(st.id)) byId.set(st.id, st)
  return { plan, states: byId }
}

/**
 * `count` ids drawn from `sortedIds` (sorted by id): a partial Fisher–Yates shuffle driven by
 * mulberry32(seed), the result sorted by id. The same ids, count and seed always give the same sample.
 */
export function samplePairs(sortedIds: readonly string[], count: number, seed: number): string[] {
  const a = [...sortedIds]
  const k = Math.min(count, a.length)
  const rng = mulberry32(seed)
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rng() * (a.length - i))
    const t = a[i]
    a[i] = a[j]
    a[j] = t
  }
  return a.slice(0, k).sort(compare)
}

function stateOf(workspace: Workspace, id: string): PairState | undefined {
  try {
    return workspace.pairState(id)
  } catch (err) {
    if (err instanceof CodedError && err.code === 'not-found') return undefined
    throw err
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
