/**
 * The workspace's public types: options of opening, query and result shapes, the UI state store.
 * Callers import them through workspace.ts, which re-exports this file.
 */
import type { LabelCounts, LabelMap } from '../../../shared/labels/codes'
import type {
  MaskStats,
  PairState,
  PairStatus,
  ReviewProgress,
  Transition,
} from '../../../shared/workspace/review'
import type { AtomicFs } from '../fs/atomicWrite'
import type { MaskPngFormat } from '../mask/maskPng'
import type { PairFilter } from './pairQuery'
import type { MaskScanner } from './statsScan'

export type { PairState, ReviewProgress }

export interface CreateWorkspaceOptions {
  /** The masks source: the ISIC_WSM zip or a folder of PNGs. */
  masks: string
  /** Image sources: folders or zips. */
  images: string[]
  /** Default curator name (else the OS user name). */
  curator?: string
  nativeBinding?: string
}

export interface OpenWorkspaceOptions {
  /** Open without writing anything (no lock, no recovery); saving is refused with `read-only`. */
  readOnly?: boolean
  /** When another program holds the workspace: fail with `workspace-locked` (default) or open read-only. */
  ifLocked?: 'fail' | 'read-only'
  /** The curator for this session (default: the workspace's, else the OS user name). */
  curator?: string
  /** better-sqlite3 native binding for this runtime (Electron); default $WSM_CURATOR_SQLITE_BINDING. */
  nativeBinding?: string
  /** File operations for mask writes (tests inject failures, e.g. ENOSPC). */
  fs?: AtomicFs
  /** The mask scanner for statistics (default: the worker-thread scan of electron/services/scan). */
  scanner?: MaskScanner
  /**
   * A throwaway workspace (the team export's replay, removed afterwards): nothing is flushed to
   * the disk (SQLite `synchronous=OFF`, mask files and masks/ not fsynced; saves stay atomic and
   * checked), saved masks are not rescored for triage, and a pair's first save records no pixel
   * transitions (the source is not decoded for them). A crash or power cut may lose it whole:
   * never for a curator's workspace.
   */
  scratch?: boolean
}

/** Why a workspace is read-only. */
export type ReadOnlyReason = 'requested' | 'locked' | 'unwritable'

export interface PairQuery extends PairFilter {
  /**
   * Default 'id'. With 'uncertain' ('score'), pairs not yet scanned (scored) come last in both orders.
   */
  sort?: 'id' | 'uncertain' | 'score'
  order?: 'asc' | 'desc'
  offset?: number
  /** Default 100, at most 10,000. */
  limit?: number
}

export interface PairListItem {
  index: number
  id: string
  status: PairStatus
  uncertainFraction: number | null
  corrected: boolean
}

export interface PairListPage {
  total: number
  offset: number
  items: PairListItem[]
}

export interface SaveMaskResult {
  id: string
  index: number
  /** The corrected mask file. */
  file: string
  sha256: string
  bytes: number
  transitions: Transition[]
  stats: MaskStats
  status: 'corrected'
  /** The pair's review state as the save left it (no need to query it again). */
  state: PairState
}

export interface CurrentMask {
  map: LabelMap
  /** The map's label counts (counted as it was read). */
  counts: LabelCounts
  format: MaskPngFormat
  origin: 'corrected' | 'source'
  file: string
  /**
   * The SHA-256 of the corrected mask's bytes as read (its version: what a save records and checks
   * a `base` against), null for the source. Taken from the bytes, not the pair's row, so it names
   * them even when a save lands while they are read.
   */
  sha256: string | null
}

export interface WorkspaceStats extends ReviewProgress {
  /** Pairs with statistics (scanned source, or a corrected mask). */
  scanned: number
  /** Pairs whose source mask has a problem (unreadable, invalid values, challenge convention…). */
  scanProblems: number
  /** The same pairs by problem code, most frequent first. */
  scanProblemCodes: Record<string, number>
  /** Pairs whose source mask could not be analysed at all (no statistics). */
  scanFailed: number
  /** Pairs not analysed yet. */
  unscanned: number
  /** Counts of pairs per uncertain fraction: bin k holds [k/10, (k+1)/10), the last one includes 1. */
  uncertainHistogram: number[]
  /** Pairs with no uncertain pixel at all (also counted in bin 0). */
  noUncertain: number
  /** Uncertain pixels left in the current masks of all pairs, and in those still to decide. */
  uncertainPixels: number
  uncertainPixelsUndecided: number
}

export interface StatsScanOptions {
  onProgress?(progress: StatsScanProgress): void
  signal?: AbortSignal
  workers?: number
}

export interface StatsScanProgress {
  /** Pairs analysed in this run so far, and to analyse in total in this run. */
  done: number
  toScan: number
  /** Pairs skipped because their statistics are current (source unchanged, or corrected). */
  skipped: number
  /** Masks that could not be analysed (unreadable or invalid). */
  failed: number
  /** Masks with a problem code (`failed` ones included, and e.g. `challenge-convention`). */
  problems: number
}

export interface StatsScanResult extends StatsScanProgress {
  aborted: boolean
}

export interface EventQuery {
  /** At most this many, newest first (default 1000). */
  limit?: number
  /** Only events older than this sequence number (paging). */
  beforeSeq?: number
}

/** Small JSON values the UI restores when the workspace reopens: last pair, filter, sort… */
export interface UiState {
  get(key: string): unknown
  /** Stores a JSON value (null or undefined deletes). In a read-only workspace, kept in memory only. */
  set(key: string, value: unknown): void
  all(): Record<string, unknown>
}

/** Keys the app uses in UiState. */
export const UI_KEYS = { lastPair: 'lastPair', filter: 'filter', sort: 'sort' } as const
