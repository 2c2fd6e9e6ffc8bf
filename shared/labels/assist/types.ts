/** Types of the assisted resolution (shared/labels/assist/resolve.ts). */

/** An image in memory: row-major, 3 (RGB) or 4 (RGBA, alpha ignored) bytes per pixel. */
export interface AssistImage {
  width: number
  height: number
  data: Uint8Array | Uint8ClampedArray
  channels: 3 | 4
}

export interface ResolveOptions {
  /** Cell size of the working grid; default: the smallest that keeps it under maxWorkPixels. */
  scale?: number
  /** Largest working grid, in cells (default 1.1 M). */
  maxWorkPixels?: number
  /**
   * Largest region (pixels) whose band geometry is redone per pixel from two exact
   * full-resolution transforms when the grid is coarse (default 13 M); beyond it the grid's terms
   * are interpolated and the label's sign comes from one full-resolution transform. Lowering it
   * keeps tests of that path small.
   */
  fullGeometryMaxPixels?: number
  /** Widest dark line to ignore as hair, in image pixels (default max(4, 0.006·min side)). */
  hairWidth?: number
  /** How far from the band certain pixels teach the side colours (default max(6, 0.012·min side)). */
  ringWidth?: number
  /**
   * How much the image may pull the answer away from the band's geometry: 1 (default) = as fitted,
   * 0 = geometry alone (the nearest certain label, up to ties).
   */
  imageWeight?: number
  /**
   * Internal (tests, fitting): 'always' computes the image's log-odds even when their weight is 0,
   * where by default they are skipped (they cannot change the labels or the confidence then).
   */
  imageTerms?: 'auto' | 'always'
}

export interface AssistRect {
  x: number
  y: number
  width: number
  height: number
}

export interface ResolveStats {
  /** Uncertain pixels in the input, and how they were resolved. */
  uncertain: number
  toLesion: number
  toBackground: number
  /** Resolved pixels whose confidence is below UNSURE_BELOW. */
  unsure: number
  /** Working grid cell size (1 = full resolution). */
  scale: number
  /** Working-grid cells taken as hair. */
  hairCells: number
  /** Median band width in image pixels. */
  bandWidth: number
  /** Milliseconds: total, and the grid, the decision on it, the write-back. */
  ms: { total: number; grid: number; evidence: number; write: number }
}

export interface Proposal {
  /** The full map: certain pixels unchanged, every formerly uncertain pixel 0 or 1. */
  labels: Uint8Array
  /** Bounding box of the formerly uncertain pixels (empty when there were none). */
  rect: AssistRect
  /**
   * Confidence 0–255 of each pixel of `rect` (row-major, rect.width × rect.height): 255 for certain
   * pixels, |2·P(lesion) − 1| for resolved ones.
   */
  confidence: Uint8Array
  /**
   * The signed decision of each pixel of `rect` (row-major, like `confidence`), −127…127: f·127
   * where f = 2·P(lesion) − 1, so d > 0 ⇔ lesion and |d| < UNSURE_DECISION ⇔ unsure; 0 on certain
   * pixels. Re-thresholding it at another level needs no recomputation (level.ts).
   */
  decision: Int8Array
  stats: ResolveStats
}

/** A rectangle patch: the bytes of `rect` before and after, row-major. */
export interface AssistPatch {
  rect: AssistRect
  before: Uint8Array
  after: Uint8Array
}

/** A resolved pixel is "unsure" (shown apart in the editor, counted) below this confidence. */
export const UNSURE_BELOW = 128
/** The same bound on the decision scale: |decision| < UNSURE_DECISION ⇔ confidence < UNSURE_BELOW. */
export const UNSURE_DECISION = UNSURE_BELOW >> 1
