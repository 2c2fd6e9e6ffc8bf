/**
 * The model of the lead's merge editing in the adjudication view: one label map (the merge), the
 * two reviewers' final masks it is judged against, and an undo history. No Vue, no DOM.
 *
 * The merge starts from either review or from their union / intersection (mergeMasks); the lead
 * then paints with a round brush (the shared paintBrush: exact pixels, no anti-aliasing) writing
 * lesion (1) or background (0) only — never uncertain — by default only on the disputed pixels
 * (where the two reviews differ), so what both reviewers agreed on stays as they left it. Each
 * drag is one undo step (shared History); changing the starting point is one undo step too. Edits
 * that change nothing record nothing. The map holds only 0, 1 and the 255s both reviewers kept.
 */
import type { LabelMap } from '../../../shared/labels/codes'
import { History } from '../../../shared/labels/history'
import { applyPatch, PatchBuilder, type Patch, type Point, type Rect } from '../../../shared/labels/patch'
import { paintBrush } from '../../../shared/labels/tools/brush'
import {
  compareMasks,
  disputedIndices,
  mergeMasks,
  mergeRange,
  mergeTally,
  type MaskComparison,
  type MergeTally,
} from '../../../shared/labels/adjudication'

export type MergeStart = 'first' | 'second' | 'union' | 'intersection'

export interface MergeBrush {
  /** 1 lesion, 0 background: the only values the lead writes. */
  label: 0 | 1
  /** Integer diameter in pixels, ≥ 1. */
  diameter: number
  /** Paint only pixels where the two reviews differ (default true). */
  onlyDisputed?: boolean
}

export class MergeEditor {
  /** The merge being edited (outside any reactivity: the view redraws the rectangles it is told). */
  readonly map: LabelMap
  /** 1 where the two reviews' labels differ (compareMasks: uncertain vs anything else included). */
  readonly disputed: Uint8Array
  /** The indices of the disputed pixels (the merge's tally reads only these). */
  readonly disputedIndex: Uint32Array
  readonly comparison: MaskComparison
  private readonly history = new History()
  private brush: MergeBrush | null = null
  private last: Point | null = null
  private computing = false

  /**
   * `parts`: the comparison, disputed pixels and starting map already computed (off the UI thread,
   * adjudicationWorker.ts) for this pair and `start`; without it they are computed here.
   */
  constructor(
    readonly first: LabelMap,
    readonly second: LabelMap,
    start: MergeStart = 'union',
    parts?: { map: LabelMap; disputed: Uint8Array; disputedIndex: Uint32Array; comparison: MaskComparison },
  ) {
    if (parts) {
      this.map = parts.map
      this.disputed = parts.disputed
      this.disputedIndex = parts.disputedIndex
      this.comparison = parts.comparison
    } else {
      this.map = startMap(first, second, start)
      this.disputed = new Uint8Array(first.data.length)
      this.comparison = compareMasks(first, second, this.disputed)
      this.disputedIndex = disputedIndices(this.disputed, this.comparison.disputed)
    }
  }

  /** Pixels where the two reviews' labels differ (the disagreement line's total). */
  get disputedCount(): number {
    return this.comparison.disputed
  }

  get canUndo(): boolean {
    return this.history.canUndo
  }

  get canRedo(): boolean {
    return this.history.canRedo
  }

  get inStroke(): boolean {
    return this.brush !== null
  }

  /** Replaces the merge by a starting point, as one undo step; returns the dirty rectangle. */
  startFrom(start: MergeStart): Rect | null {
    const bands = this.startBands(start, Infinity)
    let step = bands.next()
    while (!step.done) step = bands.next()
    return step.value
  }

  /**
   * As startFrom, computed in bands of about `bandPixels` pixels with `pause()` (a new task) between
   * them, so a 3008×2000 merge never holds the UI thread long (one pass was a ~190 ms long task).
   * Meanwhile the editor is `busy`: strokes, undo and redo do nothing.
   */
  async startFromInBands(
    start: MergeStart,
    pause: () => Promise<void>,
    bandPixels = 1 << 19,
  ): Promise<Rect | null> {
    const bands = this.startBands(start, bandPixels)
    let step = bands.next()
    while (!step.done) {
      await pause()
      step = bands.next()
    }
    return step.value
  }

  /** True while a new start is computed in bands. */
  get busy(): boolean {
    return this.computing
  }

  private *startBands(start: MergeStart, bandPixels: number): Generator<void, Rect | null> {
    if (this.computing) return null
    this.commitStroke()
    this.computing = true
    try {
      const { width, height } = this.map
      const rows = Math.max(1, Math.floor(bandPixels / width))
      const out = new PatchBuilder(width, height)
      const target = new Uint8Array(width)
      const cur = this.map.data
      for (let y0 = 0; y0 < height; y0 += rows) {
        const y1 = Math.min(height, y0 + rows)
        for (let y = y0; y < y1; y++) {
          const row = y * width
          startRow(this.first.data, this.second.data, row, width, start, target)
          let x = 0
          while (x < width) {
            while (x < width && cur[row + x] === target[x]) x++
            if (x === width) break
            const s = x
            while (x < width && cur[row + x] !== target[x]) x++
            const o = out.add(s, y, x - s)
            out.before.set(cur.subarray(row + s, row + x), o)
            out.after.set(target.subarray(s, x), o)
          }
        }
        if (y1 < height) yield
      }
      const patch = out.finish()
      if (patch === null) return null
      const rect = applyPatch(this.map, patch, 'redo')
      this.history.record(patch)
      return rect
    } finally {
      this.computing = false
    }
  }

  /** Pointer-down: the first dab of a stroke. */
  beginStroke(at: Point, brush: MergeBrush): Rect | null {
    if (brush.label !== 0 && brush.label !== 1)
      throw new RangeError(`the merge brush writes 0 or 1, got ${String(brush.label)}`)
    if (this.computing) return null
    this.commitStroke()
    this.history.beginStroke()
    this.brush = brush
    this.last = at
    return this.paint(at, at)
  }

  /** Pointer-move during a stroke: the segment from the last position (no gaps on fast moves). */
  moveStroke(to: Point): Rect | null {
    if (this.brush === null || this.last === null) return null
    const from = this.last
    this.last = to
    return this.paint(from, to)
  }

  /** Pointer-up: the stroke becomes one undo step; false when it changed nothing. */
  commitStroke(): boolean {
    if (this.brush === null) return false
    this.brush = null
    this.last = null
    return this.history.commitStroke() !== null
  }

  /** Escape: the map gets back exactly its bytes from before the stroke. */
  abortStroke(): Rect | null {
    if (this.brush === null) return null
    this.brush = null
    this.last = null
    return this.history.abortStroke(this.map)
  }

  undo(): Rect | null {
    if (this.computing) return null
    this.commitStroke()
    return this.history.undo(this.map)
  }

  redo(): Rect | null {
    if (this.computing) return null
    this.commitStroke()
    return this.history.redo(this.map)
  }

  /** Disputed pixels the merge now marks lesion (the rest of the disputed ones are background or 255). */
  disputedLesion(): number {
    return this.tally().lesion
  }

  /** What the merge now says about the disputed pixels (reads only those). */
  tally(): MergeTally {
    return mergeTally(this.map, this.disputedIndex)
  }

  private paint(from: Point, to: Point): Rect | null {
    const brush = this.brush
    if (brush === null) return null
    let patch = paintBrush(
      this.map,
      { from, to },
      {
        label: brush.label,
        onlyUncertain: false,
        diameter: brush.diameter,
      },
    )
    if (patch !== null && (brush.onlyDisputed ?? true)) patch = restrictPatch(patch, this.disputed)
    if (patch === null) return null
    const rect = applyPatch(this.map, patch, 'redo')
    this.history.stage(patch)
    return rect
  }
}

/** A fresh copy of the starting point. */
export function startMap(first: LabelMap, second: LabelMap, start: MergeStart): LabelMap {
  if (first.width !== second.width || first.height !== second.height)
    throw new RangeError('masks of different sizes')
  if (start === 'first' || start === 'second') {
    const m = start === 'first' ? first : second
    return { width: m.width, height: m.height, data: m.data.slice() }
  }
  return mergeMasks(first, second, start)
}

/** The patch keeping only the pixels where `allowed` is 1 (null when none is left). */
export function restrictPatch(patch: Patch, allowed: Uint8Array): Patch | null {
  const out = new PatchBuilder(patch.width, patch.rect.y + patch.rect.height)
  let off = 0
  for (let r = 0; r < patch.runs.length; r += 2) {
    const start = patch.runs[r]
    const len = patch.runs[r + 1]
    const y = Math.floor(start / patch.width)
    const x = start - y * patch.width
    let i = 0
    while (i < len) {
      while (i < len && allowed[start + i] !== 1) i++
      if (i === len) break
      const s = i
      while (i < len && allowed[start + i] === 1) i++
      const o = out.add(x + s, y, i - s)
      out.before.set(patch.before.subarray(off + s, off + i), o)
      out.after.set(patch.after.subarray(off + s, off + i), o)
    }
    off += len
  }
  return out.finish()
}

/** One row of a starting point (from `row`, `width` pixels) into `out`. */
function startRow(
  a: Uint8Array,
  b: Uint8Array,
  row: number,
  width: number,
  start: MergeStart,
  out: Uint8Array,
): void {
  if (start === 'first' || start === 'second') out.set((start === 'first' ? a : b).subarray(row, row + width))
  else mergeRange(a, b, start, row, row + width, out)
}

/** Merge colours (RGBA): lesion, uncertain, and the disputed pixels the merge leaves background. */
export const MERGE_LESION = [230, 60, 60, 130] as const
export const MERGE_UNCERTAIN = [240, 200, 40, 150] as const
export const MERGE_DISPUTED_BACKGROUND = [60, 200, 235, 70] as const

/**
 * The merge's pixels in `rect` as RGBA (row-major over the rectangle), for putImageData on the
 * dirty rectangle: lesion red, uncertain yellow, a disputed pixel left background faint cyan (so
 * the lead sees what is still in dispute), agreed background transparent.
 */
export function mergeRgba(map: LabelMap, disputed: Uint8Array, rect: Rect): Uint8ClampedArray {
  const out = new Uint8ClampedArray(rect.width * rect.height * 4)
  const words = new Uint32Array(out.buffer)
  const lesion = word(MERGE_LESION)
  const uncertain = word(MERGE_UNCERTAIN)
  const open = word(MERGE_DISPUTED_BACKGROUND)
  const d = map.data
  for (let y = 0; y < rect.height; y++) {
    let i = (rect.y + y) * map.width + rect.x
    let o = y * rect.width
    for (let x = 0; x < rect.width; x++, i++, o++) {
      const v = d[i]
      if (v === 1) words[o] = lesion
      else if (v === 255) words[o] = uncertain
      else if (disputed[i] === 1) words[o] = open
    }
  }
  return out
}

/** One RGBA colour as the 32-bit word a Uint32Array view of an RGBA buffer holds (any byte order). */
function word(c: readonly number[]): number {
  const px = new Uint8ClampedArray(4)
  px.set(c)
  return new Uint32Array(px.buffer)[0]
}
