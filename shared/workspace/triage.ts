/**
 * A pair's stored triage score (issue #13), as the app and the CLI read it: the suspicion score of
 * its current mask (shared/labels/triage) with its reasons.
 */
import type { TriageReason } from '../labels/triage/types'

export type { TriageReason, TriageReasonCode, TriageRegion } from '../labels/triage/types'
export { TRIAGE_REASON_CODES } from '../labels/triage/types'

export interface PairTriage {
  id: string
  /** In [0, 1], higher = more likely wrong. */
  score: number
  /** Strongest first; regions in mask pixels. */
  reasons: TriageReason[]
  /** False when the image could not be read (the score is then the mask-only one). */
  withImage: boolean
}

/** A pass of the triage score over the pairs whose score is missing or stale. */
export interface TriagePassProgress {
  /** Pairs scored in this run so far, and to score in this run. */
  done: number
  toScore: number
  /** Pairs skipped because their score is current (mask, image and model unchanged). */
  skipped: number
  /** Pairs whose mask could not be read (no score). */
  failed: number
}

export interface TriagePassResult extends TriagePassProgress {
  aborted: boolean
}
