/**
 * Review vocabulary of a curation workspace, shared by the main process (which stores it) and the
 * renderer (which shows it): pair statuses, mask statistics, label transitions and audit events.
 */
import { LABELS, type Label } from '../labels/codes'

/** Where a pair stands. `corrected` always means a corrected mask file exists in the workspace. */
export const PAIR_STATUSES = [
  'unreviewed',
  'accepted',
  'corrected',
  'rejected',
  'flagged',
  'skipped',
] as const

export type PairStatus = (typeof PAIR_STATUSES)[number]

export function isPairStatus(value: unknown): value is PairStatus {
  return typeof value === 'string' && (PAIR_STATUSES as readonly string[]).includes(value)
}

/** Statistics of one mask (the current one: the corrected mask if any, else the source). */
export interface MaskStats {
  width: number
  height: number
  /** Pixel counts per label. */
  background: number
  lesion: number
  uncertain: number
  /** 4-connected components of lesion (1) and of uncertain (255) pixels. */
  lesionComponents: number
  uncertainComponents: number
}

/** Fractions of the pixels: `uncertain / (width × height)` etc. */
export function maskFractions(s: MaskStats): { background: number; lesion: number; uncertain: number } {
  const n = s.width * s.height
  return { background: s.background / n, lesion: s.lesion / n, uncertain: s.uncertain / n }
}

/** Pixels that changed from one label to another in a save (only `from !== to`, only non-zero). */
export interface Transition {
  from: Label
  to: Label
  pixels: number
}

/** `255→1: 5120, 255→0: 3300` (largest first), or `no pixel changed`. */
export function formatTransitions(transitions: readonly Transition[]): string {
  if (transitions.length === 0) return 'no pixel changed'
  return transitions.map((t) => `${t.from}→${t.to}: ${t.pixels}`).join(', ')
}

/** Every ordered pair of distinct labels, in a fixed order (for tables). */
export const TRANSITION_KINDS: readonly (readonly [Label, Label])[] = LABELS.flatMap((from) =>
  LABELS.filter((to) => to !== from).map((to) => [from, to] as const),
)

/**
 * What an audit event records.
 * - `status`: a status change (or a note change) by the curator;
 * - `save`: a corrected mask saved (in the app or by `import-mask`), with its pixel transitions;
 * - `adopted`: a mask file found in `masks/` that the database did not know (e.g. after a rebuild);
 * - `mask-changed`: a corrected mask file edited outside the app;
 * - `mask-missing`: a corrected mask file that disappeared (the pair is flagged).
 */
export const EVENT_KINDS = ['status', 'save', 'adopted', 'mask-changed', 'mask-missing'] as const

export type EventKind = (typeof EVENT_KINDS)[number]

/** One entry of the append-only audit trail. */
export interface WorkspaceEvent {
  /** Increasing sequence number (the order of events). */
  seq: number
  /** ISO 8601 time. */
  at: string
  curator: string
  id: string
  kind: EventKind
  from: PairStatus
  to: PairStatus
  note: string | null
  /** Pixel transitions against the previous current mask (saves only; empty otherwise). */
  transitions: Transition[]
  /** SHA-256 of the mask file written (saves, adoptions), else null. */
  maskSha256: string | null
  /** True when the event was completed while reopening the workspace after a crash. */
  recovered: boolean
}

/** The review state of one pair, as the workspace stores it and the renderer shows it. */
export interface PairState {
  index: number
  id: string
  status: PairStatus
  note: string | null
  /** Who made the last decision, and when (ISO 8601); null before any. */
  curator: string | null
  updatedAt: string | null
  /** A corrected mask exists in masks/. */
  corrected: boolean
  /** Statistics of the current mask; null until scanned (or when the source mask is unreadable). */
  stats: MaskStats | null
  uncertainFraction: number | null
  /** The problem the scan found in this pair's source mask (`png-corrupt`, `challenge-convention`…), if any. */
  scanError: string | null
}

/** How far the review has come. */
export interface ReviewProgress {
  total: number
  /** Pairs with a decision: accepted, corrected, rejected or flagged (not unreviewed, not skipped). */
  reviewed: number
  byStatus: Record<PairStatus, number>
}
