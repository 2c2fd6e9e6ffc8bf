/**
 * Team QA vocabulary shared by the main process (electron/services/team) and the renderer's team
 * view, adjudication view and sync badge.
 */
import type { LabelMap } from '../labels/codes'
import type { ErrorCode } from './errors'

/** A decision's meaning for agreement: keep (accepted or corrected), rejected, flagged. */
export type DecisionCategory = 'keep' | 'rejected' | 'flagged'

export interface AgreementSummary {
  pairs: number
  jaccardMedian: number | null
  jaccardQ1: number | null
  jaccardQ3: number | null
  shareBelow065: number | null
  kappa: number | null
}

/** One double-reviewed pair, as the summaries need it. */
export interface PairAgreement {
  pairId: string
  firstCurator: string
  secondCurator: string
  firstCategory: DecisionCategory
  secondCategory: DecisionCategory
  jaccard: number
}

export interface CuratorStatus {
  name: string
  decided: number
  secondReviews: number
  /** Decided pairs per UTC day (YYYY-MM-DD), first and second reviews together. */
  perDay: Record<string, number>
  /** Assigned and not decided yet. */
  pending: number
  agreement: AgreementSummary
}

export interface TeamStatus {
  pairs: number
  decided: number
  doubleReviewed: number
  curators: CuratorStatus[]
  agreement: AgreementSummary
  adjudicationPending: number
  /** Every scored pair (for the team view's histogram and the adjudication queue). */
  scored: (PairAgreement & { needsAdjudication: boolean; adjudicated: boolean })[]
  /** Double reviews the lead's workspace could not score this run (only with it at hand), with why. */
  unscored?: UnscoredPair[]
}

/** A double review left unscored (e.g. its source mask does not read and one final mask is that source). */
export interface UnscoredPair {
  pairId: string
  code: ErrorCode
  message: string
}

/**
 * The line naming the double reviews left unscored — "N double reviews could not be scored: ISIC_…
 * [code], …" (the first `shown`), with " and were left out" for an export — or null when there are
 * none. One wording for `team status`, `team export` and the Team view.
 */
export function unscoredLine(
  unscored: readonly UnscoredPair[] | undefined,
  opts: { shown?: number; leftOut?: boolean } = {},
): string | null {
  if (!unscored || unscored.length === 0) return null
  const shown = opts.shown ?? 5
  const n = unscored.length
  const ids = unscored
    .slice(0, shown)
    .map((u) => `${u.pairId} [${u.code}]`)
    .join(', ')
  const leftOut = opts.leftOut ? ` and ${n === 1 ? 'was' : 'were'} left out` : ''
  return `${n} double review${n === 1 ? '' : 's'} could not be scored${leftOut}: ${ids}${n > shown ? ', …' : ''}`
}

export interface Assignment {
  id: string
  role: 'first' | 'second'
}

export interface SyncResult {
  pushed: number
  pulled: number
  assigned: Assignment[]
  elapsedMs: number
}

export interface LastSync {
  at: string
  ok: boolean
  /** `[code] message` of a failed sync. */
  error: string | null
  pushed: number
  pulled: number
}

/** What the sync badge shows. */
export interface TeamSyncState {
  joined: boolean
  curator: string | null
  role: 'lead' | 'curator' | null
  /** The server's URL, password never included. */
  server: string | null
  /** 'offline' after a failed attempt to reach the server; 'syncing' while a sync runs. */
  state: 'not-joined' | 'idle' | 'syncing' | 'offline' | 'error'
  lastSync: LastSync | null
  /** Pairs changed here since the last successful push. */
  pending: number
  assigned: Assignment[]
}

export interface AdjudicationQueueItem {
  pairId: string
  firstCurator: string
  secondCurator: string
  firstStatus: string
  secondStatus: string
  jaccard: number
  jaccardUncertain: number | null
  decisionsAgree: boolean
}

export interface AdjudicationSide {
  curator: string
  status: string
  /** The curator's final mask (the source when they did not edit it). */
  map: LabelMap
  /** SHA-256 of the curator's corrected mask on the server; null when they kept the source. */
  sha256: string | null
}

export interface AdjudicationCaseView {
  pairId: string
  source: LabelMap
  first: AdjudicationSide
  second: AdjudicationSide
}
