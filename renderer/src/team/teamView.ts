/**
 * Pure helpers of the team view and the adjudication view: the Jaccard histogram, the badge's
 * text, the disagreement overlay and the merges the lead can start from. No Vue, no DOM.
 */
import type { LabelMap } from '../../../shared/labels/codes'
import type { TeamSyncState } from '../../../shared/api/team'
export { unscoredLine } from '../../../shared/api/team'
import { compareMasks, mergeMasks, type MaskComparison } from '../../../shared/labels/adjudication'

/** Counts of Jaccard values in `bins` equal bins over [0, 1] (1 falls in the last). */
export function jaccardHistogram(values: readonly number[], bins = 10): number[] {
  const out = new Array<number>(bins).fill(0)
  for (const v of values) out[Math.min(bins - 1, Math.max(0, Math.floor(v * bins)))]++
  return out
}

/** `3 min ago`, `2 h ago`, `just now`… from an ISO time. */
export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000))
  if (s < 45) return 'just now'
  if (s < 3600) return `${Math.round(s / 60)} min ago`
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`
  return `${Math.round(s / 86_400)} d ago`
}

/** The sync badge's one line. */
export function badgeText(s: TeamSyncState, now = Date.now()): string {
  if (!s.joined) return ''
  const last = s.lastSync?.ok
    ? `synced ${ago(s.lastSync.at, now)}`
    : s.lastSync
      ? 'last sync failed'
      : 'never synced'
  const pending = s.pending > 0 ? ` · ${s.pending} to push` : ''
  const assigned = s.assigned.length > 0 ? ` · ${s.assigned.length} assigned` : ''
  switch (s.state) {
    case 'syncing':
      return `team: syncing…${pending}`
    case 'offline':
      return `team: offline (${last})${pending}`
    case 'error':
      return `team: sync failed${pending}`
    default:
      return `team: ${last}${pending}${assigned}`
  }
}

/** Overlay colours (RGBA): lesion in both, lesion in the first only, in the second only, uncertain vs background. */
export const AGREE = [80, 200, 120, 90] as const
export const FIRST_ONLY = [235, 70, 200, 230] as const
export const SECOND_ONLY = [60, 200, 235, 230] as const
export const UNCERTAIN_ONLY = [250, 170, 30, 230] as const

/** One RGBA colour as the 32-bit word a Uint32Array view of an RGBA buffer holds (any byte order). */
function word(c: readonly number[]): number {
  const px = new Uint8ClampedArray(4)
  px.set(c)
  return new Uint32Array(px.buffer)[0]
}

/**
 * One RGBA image of the two masks' agreement, with its counts (compareMasks: one definition of a
 * disputed pixel for every line of the view): lesion both marked muted, every disputed pixel in a
 * strong colour by kind — lesion in the first only, in the second only, uncertain vs background.
 */
export function disagreementOverlay(a: LabelMap, b: LabelMap): MaskComparison & { rgba: Uint8ClampedArray } {
  const counts = compareMasks(a, b)
  const rgba = new Uint8ClampedArray(a.width * a.height * 4)
  const out = new Uint32Array(rgba.buffer)
  const agree = word(AGREE)
  const first = word(FIRST_ONLY)
  const second = word(SECOND_ONLY)
  const uncertain = word(UNCERTAIN_ONLY)
  const x = a.data
  const y = b.data
  for (let i = 0; i < x.length; i++) {
    const p = x[i]
    const q = y[i]
    if (p === q) {
      if (p === 1) out[i] = agree
    } else out[i] = p === 1 ? first : q === 1 ? second : uncertain
  }
  return { ...counts, rgba }
}

/** Mask colours (RGBA): lesion red, uncertain yellow (background transparent). */
export const MASK_LESION = [230, 60, 60, 120] as const
export const MASK_UNCERTAIN = [240, 200, 40, 150] as const

/** A label map as RGBA for a canvas: lesion red, uncertain yellow, background transparent. */
export function maskRgba(m: LabelMap): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(m.width * m.height * 4)
  const out = new Uint32Array(rgba.buffer)
  const lesion = word(MASK_LESION)
  const uncertain = word(MASK_UNCERTAIN)
  const d = m.data
  for (let i = 0; i < d.length; i++) {
    const v = d[i]
    if (v === 1) out[i] = lesion
    else if (v === 255) out[i] = uncertain
  }
  return rgba
}

/** The merges the lead can start from: defined once, in shared/labels/adjudication.ts. */
export { mergeMasks }

/**
 * True when a database URL as typed carries a password (`user:secret@` or `?password=`): the join
 * form refuses it before anything leaves the renderer. Not a URL (yet): false (the main process
 * answers with a clear error).
 */
export function urlCarriesPassword(text: string): boolean {
  const t = text.trim()
  if (t === '') return false
  try {
    const u = new URL(t)
    return u.password !== '' || u.searchParams.has('password')
  } catch {
    // Half-typed: a colon in the credentials part is a password on the way.
    return /^[a-z]+:\/\/[^/@]*:[^/@]*@/i.test(t)
  }
}
