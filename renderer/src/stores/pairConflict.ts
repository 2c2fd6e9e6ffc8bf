import type { PairState } from '../../../shared/api/contract'
import type { Patch } from '../../../shared/labels/patch'
import { api } from '../api'
import type { EditorSession } from '../editor/editorSession'
import { invalidateThumbnail } from '../thumbnails'
import type { SaveState } from './pair'
import { useQueueStore } from './queue'
import { useWorkspaceStore } from './workspace'

/*
 * The pair store's way out of a save conflict (a save or decision refused with `conflict`: the
 * pair was saved elsewhere since it was opened): "Keep mine" and "Load the saved version". The
 * store's actions call these with themselves and the parts outside reactivity they need; setting
 * the conflict when a save or decision is refused stays where that save or decision is made.
 */

/** The pair store's state and actions a conflict's resolution reads and sets. */
export interface ConflictStore {
  conflict: string
  conflictOf: 'save' | 'decision'
  resolving: boolean
  notice: string
  saveError: string
  saveState: SaveState
  state: PairState | null
  origin: 'source' | 'corrected'
  endPreview(apply: boolean, text?: string): void
  refusedInPreview(what: string): boolean
  writeMask(opts?: { rebase?: boolean }): Promise<boolean>
}

/** The open pair as a resolution needs it (the store's `LoadedPair`). */
interface ShownPair {
  id: string
  session: EditorSession
  base: string
}

/** The pair store's parts outside reactivity that a resolution reads or moves on. */
export interface ConflictParts {
  /** The pair on screen now (read again after every wait). */
  shown(): ShownPair | null
  /** Settles once this window's saves in flight have (their answers name versions too). */
  savesSettled(): Promise<unknown>
  /** The version the pair's kept undo history leads to now. */
  historyBase(id: string, base: string): void
  /** Drops the pair read ahead: it holds the version replaced. */
  dropReadAhead(id: string): void
}

/** Maps of fewer pixels are compared byte by byte (and never copied). */
const WORDS_FROM = 64

/**
 * The patch that turns `from` into `target` (two maps of the same size and `width`): row runs of
 * the pixels that differ, minimal as every patch; null when they are equal. One pass, equal
 * stretches compared four bytes at a time; a map from the wire is a view at any offset, so
 * `target` is first copied to `from`'s alignment when it has another one. The 44 real 5–12 MP
 * masks of isic-dev with an 8 px band changed, load ~7.7 on 2 cores: median 4.5 ms (2.3–38), 5.7
 * ms (4.5–39) with the copy; byte by byte it was 78 ms (27–261, load ~10).
 */
function diffPatch(width: number, from: Uint8Array, target: Uint8Array): Patch | null {
  const runs: number[] = []
  let changed = 0
  let x0 = width
  let x1 = -1
  let y0 = -1
  let y1 = -1
  const n = from.length
  const align = from.byteOffset & 3
  let to = target
  if ((to.byteOffset & 3) !== align && n >= WORDS_FROM) {
    to = new Uint8Array(n + 4).subarray(align, align + n)
    to.set(target)
  }
  // Words [head, wordsEnd): both views start a 4-byte word at `head`.
  const byWords = (to.byteOffset & 3) === align && n >= WORDS_FROM
  const head = byWords ? (4 - align) & 3 : n
  const words = byWords ? (n - head) >> 2 : 0
  const fromWords = new Uint32Array(from.buffer, byWords ? from.byteOffset + head : 0, words)
  const toWords = new Uint32Array(to.buffer, byWords ? to.byteOffset + head : 0, words)
  const wordsEnd = head + words * 4
  for (let i = 0; i < n;) {
    if (i >= head && i < wordsEnd && ((i - head) & 3) === 0) {
      let k = (i - head) >> 2
      while (k < words && fromWords[k] === toWords[k]) k++
      const next = head + k * 4
      if (next !== i) {
        i = next
        continue
      }
    }
    if (from[i] === to[i]) {
      i++
      continue
    }
    const y = Math.floor(i / width)
    const rowEnd = (y + 1) * width
    const start = i
    while (i < rowEnd && from[i] !== to[i]) i++
    runs.push(start, i - start)
    changed += i - start
    x0 = Math.min(x0, start - y * width)
    x1 = Math.max(x1, i - y * width)
    if (y0 < 0) y0 = y
    y1 = y
  }
  if (changed === 0) return null
  const before = new Uint8Array(changed)
  const after = new Uint8Array(changed)
  for (let r = 0, k = 0; r < runs.length; r += 2) {
    const start = runs[r]
    const end = start + runs[r + 1]
    before.set(from.subarray(start, end), k)
    after.set(to.subarray(start, end), k)
    k += end - start
  }
  return {
    width,
    rect: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 + 1 },
    runs: Uint32Array.from(runs),
    before,
    after,
  }
}

/**
 * "Keep mine" after a conflict: saves the edit on screen over the version saved elsewhere (read
 * now, then named as the save's base; the audit records the save as any other). Changed again
 * in between: refused again, the conflict shown again. Refused while a proposal is on preview.
 */
export async function keepMineIn(store: ConflictStore, parts: ConflictParts): Promise<boolean> {
  const pair = parts.shown()
  if (!pair || store.conflict !== pair.id || store.conflictOf !== 'save' || store.resolving) return false
  // Nothing unsaved (never edited, or undone back to the opened state): "mine" is the stale
  // version opened here, which must not go over the newer one.
  if (!pair.session.isDirty) {
    store.notice = `${pair.id}: nothing here is unsaved, nothing to keep; load the saved version`
    return false
  }
  if (store.refusedInPreview('keeping yours')) return false
  store.resolving = true
  try {
    return await store.writeMask({ rebase: true })
  } finally {
    store.resolving = false
  }
}

/**
 * "Load the saved version" after a conflict: the map becomes the mask saved now, as ONE undo
 * step over the curator's edit, so the map is clean (it is what the file holds) and Ctrl+Z
 * brings the edit back, unsaved (a save of it then names the version loaded). The same session
 * and history go on: the history's steps stay exact for the bytes on screen, which opening the
 * pair afresh with its kept history would not be. A proposal on preview is discarded.
 */
export async function loadSavedIn(store: ConflictStore, parts: ConflictParts): Promise<boolean> {
  const pair = parts.shown()
  if (!pair || store.conflict !== pair.id || store.resolving) return false
  store.resolving = true
  try {
    // This window's saves in flight first: their answers name versions too.
    await parts.savesSettled()
    // The mask alone (no image): a pair whose image no longer reads can still be resolved.
    const r = await api.call('pair:version', { id: pair.id, mask: true })
    const { session } = pair
    if (parts.shown()?.session !== session) return false
    // A failed Load is said as such (a notice): the save state still says what the map is.
    const unsaved = session.isDirty ? '; the edit here stays unsaved' : ''
    if (!r.ok) {
      store.notice = `${pair.id}: the saved version did not load: [${r.error.code}] ${r.error.message}${unsaved}`
      return false
    }
    const saved = r.value.mask
    if (!saved) {
      store.notice = `${pair.id}: the saved version did not load: [internal] no mask in the answer${unsaved}`
      return false
    }
    if (saved.width !== session.map.width || saved.height !== session.map.height) {
      store.notice = `${pair.id}: the saved version did not load: [mask-size] it is ${saved.width}×${saved.height}, the map here ${session.map.width}×${session.map.height}${unsaved}`
      return false
    }
    if (session.inPreview) store.endPreview(false, '')
    const edited = session.isDirty
    const patch = diffPatch(session.map.width, session.map.data, saved.data)
    // A ready-made patch enters the history as the proposal does: staged, then one step.
    if (patch && session.previewProposal(patch)) session.acceptPreview()
    session.markSaved()
    pair.base = r.value.base
    parts.historyBase(pair.id, r.value.base)
    store.state = r.value.state
    store.origin = saved.origin
    store.conflict = ''
    store.saveError = ''
    store.saveState = session.isDirty ? 'dirty' : 'clean'
    store.notice = !edited
      ? `${pair.id}: the saved version is shown${patch ? '' : ' (the same mask)'}; decide again on what you see`
      : patch
        ? `${pair.id}: the saved version is shown; Ctrl+Z brings your edit back (unsaved)`
        : `${pair.id}: the saved version is the same as your edit`
    parts.dropReadAhead(pair.id)
    invalidateThumbnail(pair.id)
    // As after a save: the progress and the queue row (status, uncertain fraction) as they are now.
    useWorkspaceStore().progress = r.value.progress
    useQueueStore().patchItem(pair.id, {
      status: r.value.state.status,
      corrected: r.value.state.corrected,
      uncertainFraction: r.value.state.uncertainFraction,
      ...(r.value.state.corrected ? { problem: null } : {}),
    })
    return true
  } finally {
    store.resolving = false
  }
}
