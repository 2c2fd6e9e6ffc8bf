/**
 * Patches: the unit of every label edit, of undo/redo and of the overlay's dirty-rect redraw.
 *
 * A patch lists the pixels it changes as row runs (flat start index + length), with the values
 * before and after, concatenated run by run. Runs keep big strokes cheap: a 32-px brush dragged
 * corner to corner across a 6000×4000 mask changes ~0.23 Mpx, but its rectangle is the whole map,
 * so a dense before/after over the rectangle would take 46 MiB where the runs take ~0.5 MiB
 * (bench.ts, stroke_patch_kib).
 *
 * Coordinates: pixel (x, y) covers [x, x + 1) × [y, y + 1); its centre is (x + 0.5, y + 0.5).
 * Pointer positions are float image coordinates in the same frame.
 */
import type { LabelMap } from './codes'
import { copyBytes } from './scan'

/** Pixel rectangle: columns [x, x + width), rows [y, y + height). */
export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

/** A point in float image coordinates (see the module comment for the pixel-centre convention). */
export interface Point {
  x: number
  y: number
}

/**
 * One edit. Invariants (every producer in shared/labels keeps them; applyPatch relies only on the first two):
 * - `runs` holds pairs [start, length, …]; start = y * width + x; a run never crosses a row;
 *   runs are sorted by start and disjoint;
 * - `before` and `after` hold the values of the runs' pixels, run after run (length = Σ lengths);
 * - `rect` is the bounding box of the runs: the dirty rectangle to redraw;
 * - minimal: before[i] !== after[i] for every i, so `before.length` is the number of changed pixels;
 * - every value is a Label (0, 1 or 255).
 */
export interface Patch {
  /** Width of the map the patch was made for (the flat indices depend on it). */
  readonly width: number
  readonly rect: Rect
  readonly runs: Uint32Array
  readonly before: Uint8Array
  readonly after: Uint8Array
}

export type PatchDirection = 'undo' | 'redo'

/**
 * Writes the patch's `before` ('undo') or `after` ('redo') values into the map and returns the
 * dirty rectangle. Undo is exact only in stack order: undoing patch k requires the map to be in
 * the state right after patch k (History guarantees this).
 */
export function applyPatch(map: LabelMap, patch: Patch, direction: PatchDirection): Rect {
  const { rect, runs } = patch
  if (patch.width !== map.width || rect.x + rect.width > map.width || rect.y + rect.height > map.height) {
    throw new RangeError(
      `patch for width ${patch.width} (rect ${rectString(rect)}) does not fit a ${map.width}×${map.height} map`,
    )
  }
  const src = direction === 'undo' ? patch.before : patch.after
  const data = map.data
  let off = 0
  for (let k = 0; k < runs.length; k += 2) {
    const len = runs[k + 1]
    copyBytes(src, off, data, runs[k], len)
    off += len
  }
  return rect
}

/** Memory held by a patch, in bytes (what History's budget counts). */
export function patchBytes(patch: Patch): number {
  return patch.runs.byteLength + patch.before.byteLength + patch.after.byteLength
}

/** Number of pixels a patch covers (the changed pixels, for a minimal patch). */
export function patchPixels(patch: Patch): number {
  return patch.before.length
}

/**
 * Counts value transitions, keyed `"<before>→<after>"` (e.g. `{'255→1': 5120, '255→0': 3300}`);
 * pairs with equal values are not counted. For the audit trail: pass a patch's before and after.
 */
export function countTransitions(before: Uint8Array, after: Uint8Array): Record<string, number> {
  if (before.length !== after.length) throw new RangeError('before and after differ in length')
  // Labels map to 0..2 and anything else to 3, so the common case is a 16-bin histogram.
  const bins = new Float64Array(16)
  for (let i = 0; i < before.length; i++) bins[(LABEL_BIN[before[i]] << 2) | LABEL_BIN[after[i]]]++
  const out: Record<string, number> = {}
  let odd = 0
  for (let b = 0; b < 4; b++) {
    for (let a = 0; a < 4; a++) {
      const n = bins[(b << 2) | a]
      if (n === 0) continue
      if (b === 3 || a === 3) odd += n
      else if (a !== b) out[`${BIN_VALUE[b]}→${BIN_VALUE[a]}`] = n
    }
  }
  if (odd > 0) {
    // Values outside {0, 1, 255}: never produced by the tools, but counted exactly rather than hidden.
    for (let i = 0; i < before.length; i++) {
      const b = before[i]
      const a = after[i]
      if (b !== a && (LABEL_BIN[b] === 3 || LABEL_BIN[a] === 3)) {
        const key = `${b}→${a}`
        out[key] = (out[key] ?? 0) + 1
      }
    }
  }
  return out
}

const LABEL_BIN = new Uint8Array(256).fill(3)
LABEL_BIN[0] = 0
LABEL_BIN[1] = 1
LABEL_BIN[255] = 2
const BIN_VALUE = [0, 1, 255]

/** The whole map as a rectangle. */
export function mapRect(map: { width: number; height: number }): Rect {
  return { x: 0, y: 0, width: map.width, height: map.height }
}

function isEmpty(r: Rect | null): r is null {
  return r === null || r.width <= 0 || r.height <= 0
}

/** Smallest rectangle containing both; empty rectangles and null are ignored (null when both are). */
export function unionRect(a: Rect | null, b: Rect | null): Rect | null {
  if (isEmpty(a)) return isEmpty(b) ? null : { ...b }
  if (isEmpty(b)) return { ...a }
  const x = Math.min(a.x, b.x)
  const y = Math.min(a.y, b.y)
  return {
    x,
    y,
    width: Math.max(a.x + a.width, b.x + b.width) - x,
    height: Math.max(a.y + a.height, b.y + b.height) - y,
  }
}

/** Intersection of a rectangle with bounds (e.g. `mapRect(map)`); null when empty. */
export function clipRect(rect: Rect, bounds: Rect): Rect | null {
  const x0 = Math.max(rect.x, bounds.x)
  const y0 = Math.max(rect.y, bounds.y)
  const x1 = Math.min(rect.x + rect.width, bounds.x + bounds.width)
  const y1 = Math.min(rect.y + rect.height, bounds.y + bounds.height)
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : null
}

/** The rectangle grown by n pixels on every side (not clipped). */
export function expandRect(rect: Rect, n: number): Rect {
  return { x: rect.x - n, y: rect.y - n, width: rect.width + 2 * n, height: rect.height + 2 * n }
}

function rectString(r: Rect): string {
  return `${r.x},${r.y} ${r.width}×${r.height}`
}

/**
 * Accumulates runs into a Patch. Runs must come in increasing flat order without overlap (a run
 * touching the previous one in the same row is merged into it). The caller writes the run's values
 * at the returned offset into `before` and `after`, read AFTER `add` (the buffers grow by reallocation).
 */
export class PatchBuilder {
  before: Uint8Array
  after: Uint8Array
  private runs: Uint32Array
  private runCount = 0
  private size = 0
  private lastEnd = 0
  private lastY = -1
  private minX = Infinity
  private maxX = -Infinity
  private minY = Infinity
  private maxY = -Infinity

  constructor(
    readonly width: number,
    readonly height: number,
    capacity = 1024,
  ) {
    this.before = new Uint8Array(capacity)
    this.after = new Uint8Array(capacity)
    this.runs = new Uint32Array(64)
  }

  /** Number of pixels added so far. */
  get pixels(): number {
    return this.size
  }

  /** Appends pixels [x, x + length) of row y; returns the offset of the first one in before/after. */
  add(x: number, y: number, length: number): number {
    const start = y * this.width + x
    if (
      length <= 0 ||
      x < 0 ||
      x + length > this.width ||
      y < 0 ||
      y >= this.height ||
      start < this.lastEnd
    ) {
      throw new RangeError(`bad run ${x},${y} +${length} after flat index ${this.lastEnd}`)
    }
    const off = this.size
    const size = off + length
    if (size > this.before.length) {
      const cap = Math.max(size, this.before.length * 2)
      this.before = grow(this.before, cap, off)
      this.after = grow(this.after, cap, off)
    }
    this.size = size
    if (start === this.lastEnd && y === this.lastY) {
      this.runs[this.runCount * 2 - 1] += length
    } else {
      if (this.runCount * 2 === this.runs.length) {
        const runs = new Uint32Array(this.runs.length * 2)
        runs.set(this.runs)
        this.runs = runs
      }
      this.runs[this.runCount * 2] = start
      this.runs[this.runCount * 2 + 1] = length
      this.runCount++
    }
    this.lastEnd = start + length
    this.lastY = y
    if (x < this.minX) this.minX = x
    if (x + length - 1 > this.maxX) this.maxX = x + length - 1
    if (y < this.minY) this.minY = y
    this.maxY = y
    return off
  }

  /**
   * The patch (null when no run was added). Ends the builder: the patch takes over the buffers
   * when they are exactly full (a capacity given up front), else gets compact copies.
   */
  finish(): Patch | null {
    if (this.runCount === 0) return null
    const exact = this.size === this.before.length
    return {
      width: this.width,
      rect: {
        x: this.minX,
        y: this.minY,
        width: this.maxX - this.minX + 1,
        height: this.maxY - this.minY + 1,
      },
      runs: this.runs.slice(0, this.runCount * 2),
      before: exact ? this.before : this.before.slice(0, this.size),
      after: exact ? this.after : this.after.slice(0, this.size),
    }
  }
}

function grow(a: Uint8Array, capacity: number, used: number): Uint8Array {
  const b = new Uint8Array(capacity)
  b.set(a.subarray(0, used))
  return b
}
