/**
 * Undo/redo for one label map (the editor keeps one History per pair id).
 *
 * The editor applies every patch to the map itself, then hands it to the history:
 * - a drag: beginStroke() on pointer-down, stage(patch) per move, commitStroke() on pointer-up
 *   (the staged patches become ONE undo step) or abortStroke(map) on Escape (the map gets back
 *   exactly the bytes it had at beginStroke);
 * - a one-shot edit (fill, polygon, resolve): record(patch).
 * Edits that change nothing record nothing and leave the redo steps alone; a recorded step clears
 * them. Steps are dropped oldest first once their bytes exceed the budget; the newest step is always
 * kept, whatever its size.
 */
import type { LabelMap } from './codes'
import { applyPatch, PatchBuilder, patchBytes, unionRect, type Patch, type Rect } from './patch'
import { copyBytes } from './scan'

export interface HistoryOptions {
  /** Byte budget for the undo and redo steps (patchBytes); default 256 MiB. */
  maxBytes?: number
  /**
   * Called after the bytes the history holds may have grown (a step recorded, a patch staged in a
   * stroke): an owner keeping several histories under one budget (the editor's HistoryCache)
   * checks it there. It may clear other histories, never this one.
   */
  onGrow?: (history: History) => void
}

export const DEFAULT_HISTORY_BYTES = 256 * 1024 * 1024

export class History {
  readonly maxBytes: number
  private undoSteps: Patch[] = []
  private redoSteps: Patch[] = []
  private staged: Patch[] | null = null
  private stepBytes = 0
  /** Bytes of the open stroke's staged patches (patchBytes). */
  private stagedBytes = 0
  private readonly onGrow: ((history: History) => void) | undefined

  constructor(opts: HistoryOptions = {}) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_HISTORY_BYTES
    this.onGrow = opts.onGrow
  }

  get canUndo(): boolean {
    return this.undoSteps.length > 0 || (this.staged !== null && this.staged.length > 0)
  }

  get canRedo(): boolean {
    return this.redoSteps.length > 0
  }

  /** True between beginStroke() and commitStroke()/abortStroke(). */
  get inStroke(): boolean {
    return this.staged !== null
  }

  /** Bytes held by the undo and redo steps (not counting a stroke in progress). */
  get bytes(): number {
    return this.stepBytes
  }

  /** Bytes the history holds: its steps and the patches staged in an open stroke. */
  get heldBytes(): number {
    return this.stepBytes + this.stagedBytes
  }

  get undoDepth(): number {
    return this.undoSteps.length
  }

  get redoDepth(): number {
    return this.redoSteps.length
  }

  /** The step undo() undoes next (after an open stroke is committed), null when none: read, never changed. */
  get nextUndo(): Patch | null {
    return this.undoSteps.at(-1) ?? null
  }

  /** The step redo() redoes next, null when none: read, never changed. */
  get nextRedo(): Patch | null {
    return this.redoSteps.at(-1) ?? null
  }

  /** Starts a stroke; a stroke still open (a lost pointer-up) is committed first. */
  beginStroke(): void {
    if (this.staged !== null) this.commitStroke()
    this.staged = []
  }

  /**
   * Adds a patch the editor has just applied to the map to the open stroke. Without an open
   * stroke the patch is recorded as a step of its own.
   */
  stage(patch: Patch): void {
    if (this.staged === null) {
      this.record(patch)
      return
    }
    this.staged.push(patch)
    this.stagedBytes += patchBytes(patch)
    this.onGrow?.(this)
  }

  /**
   * Ends the stroke: its patches merged into one step, which is returned (for the audit trail:
   * countTransitions(step.before, step.after)); null when the stroke changed nothing in the end.
   */
  commitStroke(): Patch | null {
    const staged = this.staged
    this.staged = null
    this.stagedBytes = 0
    if (staged === null || staged.length === 0) return null
    const merged = mergePatches(staged)
    if (merged !== null) this.push(merged)
    return merged
  }

  /** Ends the stroke by restoring the map's bytes from before it; returns the dirty rectangle. */
  abortStroke(map: LabelMap): Rect | null {
    const staged = this.staged
    this.staged = null
    this.stagedBytes = 0
    if (staged === null) return null
    let dirty: Rect | null = null
    for (let i = staged.length - 1; i >= 0; i--) dirty = unionRect(dirty, applyPatch(map, staged[i], 'undo'))
    return dirty
  }

  /**
   * Records an applied one-shot edit as one step (without its unchanged pixels, if a hand-made
   * patch has any); returns false, recording nothing, when it changes nothing.
   */
  record(patch: Patch | null): boolean {
    const step = patch === null ? null : compactPatch(patch)
    if (step === null) return false
    this.push(step)
    return true
  }

  /** Undoes the last step (committing an open stroke first); returns the dirty rectangle. */
  undo(map: LabelMap): Rect | null {
    if (this.staged !== null) this.commitStroke()
    const step = this.undoSteps.pop()
    if (step === undefined) return null
    this.redoSteps.push(step)
    return applyPatch(map, step, 'undo')
  }

  /** Redoes the last undone step (committing an open stroke first); returns the dirty rectangle. */
  redo(map: LabelMap): Rect | null {
    if (this.staged !== null) this.commitStroke()
    const step = this.redoSteps.pop()
    if (step === undefined) return null
    this.undoSteps.push(step)
    return applyPatch(map, step, 'redo')
  }

  /** Forgets everything, including an open stroke (the map is not touched). */
  clear(): void {
    this.undoSteps = []
    this.redoSteps = []
    this.staged = null
    this.stepBytes = 0
    this.stagedBytes = 0
  }

  private push(step: Patch): void {
    for (const s of this.redoSteps) this.stepBytes -= patchBytes(s)
    this.redoSteps = []
    this.undoSteps.push(step)
    this.stepBytes += patchBytes(step)
    let drop = 0
    while (this.stepBytes > this.maxBytes && drop < this.undoSteps.length - 1) {
      this.stepBytes -= patchBytes(this.undoSteps[drop++])
    }
    if (drop > 0) this.undoSteps.splice(0, drop)
    this.onGrow?.(this)
  }
}

/**
 * Merges patches applied one after the other into one equivalent patch: each pixel keeps the
 * `before` of the FIRST patch that touched it and the `after` of the LAST; pixels that end where
 * they started are dropped. Null when nothing changes overall. Cost O(pixels + runs · log runs).
 */
export function mergePatches(patches: readonly Patch[]): Patch | null {
  if (patches.length === 0) return null
  if (patches.length === 1) return compactPatch(patches[0])
  const width = patches[0].width
  let height = 0
  let runCount = 0
  for (const p of patches) {
    if (p.width !== width) throw new RangeError('cannot merge patches made for different widths')
    height = Math.max(height, p.rect.y + p.rect.height)
    runCount += p.runs.length / 2
  }
  // Every run: its start, end, patch index and offset in that patch's before/after.
  const starts = new Float64Array(runCount)
  const ends = new Float64Array(runCount)
  const owner = new Uint32Array(runCount)
  const offsets = new Float64Array(runCount)
  let k = 0
  patches.forEach((p, pi) => {
    let off = 0
    for (let r = 0; r < p.runs.length; r += 2) {
      starts[k] = p.runs[r]
      ends[k] = p.runs[r] + p.runs[r + 1]
      owner[k] = pi
      offsets[k] = off
      off += p.runs[r + 1]
      k++
    }
  })
  const order = sortedByStart(starts)

  const out = new PatchBuilder(width, height)
  let before = new Uint8Array(1024)
  let after = new Uint8Array(1024)
  let g = 0
  while (g < runCount) {
    // A group: runs of one row overlapping or touching one another, covering [gStart, gEnd) without holes.
    const first = order[g]
    const gStart = starts[first]
    const row = Math.floor(gStart / width)
    let gEnd = ends[first]
    let h = g + 1
    while (h < runCount && starts[order[h]] <= gEnd && Math.floor(starts[order[h]] / width) === row) {
      gEnd = Math.max(gEnd, ends[order[h]])
      h++
    }
    const n = gEnd - gStart
    if (h === g + 1) {
      const p = patches[owner[first]]
      addChanged(out, width, gStart, p.before, p.after, offsets[first], n)
      g = h
      continue
    }
    if (n > before.length) {
      before = new Uint8Array(Math.max(n, before.length * 2))
      after = new Uint8Array(before.length)
    }
    const members = order.slice(g, h)
    // Into patch order: insertion sort, groups are small (a row's worth of consecutive segments).
    for (let i = 1; i < members.length; i++) {
      const m = members[i]
      let j = i - 1
      while (j >= 0 && owner[members[j]] > owner[m]) {
        members[j + 1] = members[j]
        j--
      }
      members[j + 1] = m
    }
    // after: the last patch wins, so write in patch order; before: the first wins, so write in reverse.
    for (let i = 0; i < members.length; i++) {
      const m = members[i]
      copyBytes(patches[owner[m]].after, offsets[m], after, starts[m] - gStart, ends[m] - starts[m])
    }
    for (let i = members.length - 1; i >= 0; i--) {
      const m = members[i]
      copyBytes(patches[owner[m]].before, offsets[m], before, starts[m] - gStart, ends[m] - starts[m])
    }
    addChanged(out, width, gStart, before, after, 0, n)
    g = h
  }
  return out.finish()
}

/** The same patch without its unchanged pixels (the patch itself when it has none). */
export function compactPatch(patch: Patch): Patch | null {
  const { before, after } = patch
  let unchanged = false
  for (let i = 0; i < before.length; i++) {
    if (before[i] === after[i]) {
      unchanged = true
      break
    }
  }
  if (!unchanged) return before.length > 0 ? patch : null
  const out = new PatchBuilder(patch.width, patch.rect.y + patch.rect.height)
  let off = 0
  for (let r = 0; r < patch.runs.length; r += 2) {
    const len = patch.runs[r + 1]
    addChanged(out, patch.width, patch.runs[r], before, after, off, len)
    off += len
  }
  return out.finish()
}

/**
 * Adds the pixels of the one-row span at flat index `start`, n pixels long, whose values in
 * before[from…] and after[from…] differ.
 */
function addChanged(
  out: PatchBuilder,
  width: number,
  start: number,
  before: Uint8Array,
  after: Uint8Array,
  from: number,
  n: number,
): void {
  const y = Math.floor(start / width)
  const x = start - y * width
  let i = 0
  while (i < n) {
    while (i < n && before[from + i] === after[from + i]) i++
    if (i === n) return
    const s = i
    while (i < n && before[from + i] !== after[from + i]) i++
    const off = out.add(x + s, y, i - s)
    copyBytes(before, from + s, out.before, off, i - s)
    copyBytes(after, from + s, out.after, off, i - s)
  }
}

/** Indices 0..n−1 ordered by starts[i]; ties in index order (= patch order). */
function sortedByStart(starts: Float64Array): Uint32Array {
  const n = starts.length
  const order = new Uint32Array(n)
  if (n * 2 ** 32 < 2 ** 53) {
    // Pack (start, index) into one exact double and sort natively: starts are below 2^32.
    const keys = new Float64Array(n)
    for (let i = 0; i < n; i++) keys[i] = starts[i] * n + i
    keys.sort()
    for (let i = 0; i < n; i++) order[i] = keys[i] % n
  } else {
    for (let i = 0; i < n; i++) order[i] = i
    order.sort((a, b) => starts[a] - starts[b] || a - b)
  }
  return order
}
