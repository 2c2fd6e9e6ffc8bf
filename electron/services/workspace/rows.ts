/**
 * The workspace's rows and constants: the layout of its folder, the limits of its inputs, the shapes
 * of its SQLite rows, and the pure conversions between rows and the review types. No I/O besides
 * `exists`.
 */
import { promises as fsp } from 'node:fs'
import os from 'node:os'
import { CodedError } from '../../../shared/api/errors'
import {
  PAIR_STATUSES,
  type EventKind,
  type MaskStats,
  type PairState,
  type PairStatus,
  type Transition,
} from '../../../shared/workspace/review'

export const DATABASE_FILE = 'workspace.sqlite'
export const MASKS_DIR = 'masks'
export const CACHE_DIR = 'cache'
export const QUARANTINE_DIR = 'quarantine'
/** A corrected mask's file name. */
export const MASK_FILE = /^(ISIC_\d{7})\.png$/
export const NOTE_MAX = 10_000
export const CURATOR_MAX = 100
export const UI_VALUE_MAX = 64 * 1024
export const HISTOGRAM_BINS = 10

export interface PairRow {
  id: string
  idx: number | null
  status: PairStatus
  note: string | null
  curator: string | null
  updated_at: number | null
  mask_sha256: string | null
  mask_size: number | null
  mask_mtime: number | null
  width: number | null
  height: number | null
  background: number | null
  lesion: number | null
  uncertain: number | null
  lesion_components: number | null
  uncertain_components: number | null
  uncertain_fraction: number | null
  scan_fp: string | null
  scan_error: string | null
}

export interface ListRow {
  id: string
  status: PairStatus
  uncertain_fraction: number | null
  corrected: number
}

export interface EventRow {
  seq: number
  at: number
  curator: string
  pair_id: string
  kind: EventKind
  from_status: PairStatus
  to_status: PairStatus
  note: string | null
  transitions: string | null
  mask_sha256: string | null
  recovered: number
}

/** What a pending save records, to be completed after a crash. */
export interface PendingPayload {
  at: number
  curator: string
  note?: string | null
  kind: 'save' | 'adopted'
  transitions: Transition[]
  stats: MaskStats
  bytes: number
}

export interface NewEvent {
  at: number
  curator: string
  id: string
  kind: EventKind
  from: PairStatus
  to: PairStatus
  note?: string | null
  transitions?: readonly Transition[]
  maskSha256?: string | null
  recovered?: boolean
}

export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}

export function checkCurator(name: string): string {
  const c = name.trim()
  if (c === '' || c.length > CURATOR_MAX || [...c].some((ch) => ch.charCodeAt(0) < 0x20)) {
    throw new CodedError('bad-request', `curator name must be 1–${CURATOR_MAX} printable characters`)
  }
  return c
}

export function defaultCurator(): string {
  try {
    return os.userInfo().username || 'unknown'
  } catch {
    return 'unknown'
  }
}

export function checkNote(note: string | null | undefined): string | null | undefined {
  if (note === undefined || note === null) return note
  if (typeof note !== 'string' || note.length > NOTE_MAX) {
    throw new CodedError('bad-request', `a note is a string of at most ${NOTE_MAX} characters`)
  }
  return note.trim() === '' ? null : note
}

export function statsOf(row: PairRow): MaskStats | null {
  if (row.width === null || row.height === null || row.uncertain === null) return null
  return {
    width: row.width,
    height: row.height,
    background: row.background ?? 0,
    lesion: row.lesion ?? 0,
    uncertain: row.uncertain,
    lesionComponents: row.lesion_components ?? 0,
    uncertainComponents: row.uncertain_components ?? 0,
  }
}

/** A pair's review state from its row (the defaults when it has none). */
export function stateOf(index: number, id: string, row: PairRow | undefined): PairState {
  if (!row) {
    return {
      index,
      id,
      status: 'unreviewed',
      note: null,
      curator: null,
      updatedAt: null,
      corrected: false,
      stats: null,
      uncertainFraction: null,
      scanError: null,
    }
  }
  return {
    index,
    id,
    status: row.status,
    note: row.note,
    curator: row.curator,
    updatedAt: iso(row.updated_at),
    corrected: row.mask_sha256 !== null,
    stats: statsOf(row),
    uncertainFraction: row.uncertain_fraction,
    scanError: row.scan_error,
  }
}

export function statsParams(s: MaskStats): unknown[] {
  return [
    s.width,
    s.height,
    s.background,
    s.lesion,
    s.uncertain,
    s.lesionComponents,
    s.uncertainComponents,
    s.uncertain / (s.width * s.height),
  ]
}

export function emptyByStatus(): Record<PairStatus, number> {
  return Object.fromEntries(PAIR_STATUSES.map((s) => [s, 0])) as Record<PairStatus, number>
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fsp.lstat(file)
    return true
  } catch {
    return false
  }
}
