/**
 * Pure helpers of the team view and the adjudication view: the Jaccard histogram, the badge's
 * text, the disagreement overlay and the merges the lead can start from. No Vue, no DOM.
 */
import type { LabelMap } from '../../../shared/labels/codes'
import type { TeamSyncState } from '../../../shared/api/team'

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

/** Overlay colours (RGBA): lesion in both masks, in the first only, in the second only. */
export const AGREE = [80, 200, 120, 150] as const
export const FIRST_ONLY = [235, 70, 200, 230] as const
export const SECOND_ONLY = [60, 200, 235, 230] as const

/**
 * One RGBA image where the two masks' lesion pixels show: agreed ones muted, those only one
 * curator marked in strong colours (the pixels they disagree on stand out). Also counts them.
 */
export function disagreementOverlay(
  a: LabelMap,
  b: LabelMap,
): { rgba: Uint8ClampedArray; agree: number; firstOnly: number; secondOnly: number } {
  if (a.width !== b.width || a.height !== b.height) throw new RangeError('masks of different sizes')
  const rgba = new Uint8ClampedArray(a.width * a.height * 4)
  let agree = 0
  let firstOnly = 0
  let secondOnly = 0
  for (let i = 0; i < a.data.length; i++) {
    const la = a.data[i] === 1
    const lb = b.data[i] === 1
    const c = la && lb ? AGREE : la ? FIRST_ONLY : lb ? SECOND_ONLY : null
    if (c === null) continue
    if (la && lb) agree++
    else if (la) firstOnly++
    else secondOnly++
    rgba.set(c, i * 4)
  }
  return { rgba, agree, firstOnly, secondOnly }
}

/** A label map as RGBA for a canvas: lesion red, uncertain yellow, background transparent. */
export function maskRgba(m: LabelMap): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(m.width * m.height * 4)
  for (let i = 0; i < m.data.length; i++) {
    const v = m.data[i]
    if (v === 1) rgba.set([230, 60, 60, 200], i * 4)
    else if (v === 255) rgba.set([240, 200, 40, 200], i * 4)
  }
  return rgba
}

/**
 * A merge of two final masks: where they agree, their label; where they differ, lesion for a
 * 'union', background for an 'intersection'. Only labels 0, 1, 255 come out.
 */
export function mergeMasks(a: LabelMap, b: LabelMap, rule: 'union' | 'intersection'): LabelMap {
  if (a.width !== b.width || a.height !== b.height) throw new RangeError('masks of different sizes')
  const data = new Uint8Array(a.data.length)
  for (let i = 0; i < data.length; i++) {
    const x = a.data[i]
    const y = b.data[i]
    data[i] = x === y ? x : rule === 'union' ? (x === 1 || y === 1 ? 1 : 0) : 0
  }
  return { width: a.width, height: a.height, data }
}

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
