/**
 * Round brush (and eraser: the brush with label 0).
 *
 * Disc of diameter d (integer ≥ 1), r = d / 2. The stamp's centre c is snapped to a lattice that
 * makes the disc the same shape wherever it lands:
 * - odd d: c is the centre of the pixel containing the point, (⌊x⌋ + ½, ⌊y⌋ + ½);
 * - even d: c is the nearest pixel corner, (⌊x + ½⌋, ⌊y + ½⌋).
 * The disc is the set of pixels whose centre lies within r of c: |centre − c|² ≤ r². Its box is
 * exactly d×d (top-left pixel c − d/2), it is symmetric under both mirrorings and the transpose, and
 * no pixel centre ever lies exactly at distance r (so ≤ and < agree). d = 1 is one pixel, d = 2 a
 * 2×2 square, d = 3 a 3×3 square, d = 4 a 4×4 square without its corners: counts 1, 4, 9, 12, 21, 32.
 *
 * A segment from → to paints the swept disc (the capsule): every pixel whose centre lies within r
 * of the segment between the two snapped centres. It contains the discs at both ends and every disc
 * in between, so fast moves leave no gaps, and consecutive segments share their end disc. The
 * capsule is rasterized directly, row by row (it is convex: one interval per row), so the cost is
 * proportional to the pixels covered, not to the number of stamps.
 */
import type { LabelMap } from '../codes'
import { PatchBuilder, type Patch, type Point } from '../patch'
import { ByteRuns } from '../scan'
import {
  checkMap,
  checkPaintOptions,
  checkPoint,
  paintRowSpan,
  paintsNothing,
  type PaintOptions,
} from './paint'

export interface BrushOptions extends PaintOptions {
  /** Integer diameter in pixels, ≥ 1. */
  diameter: number
}

/** One pointer move: the previous and current pointer positions (equal for the first dab). */
export interface BrushInput {
  from: Point
  to: Point
}

/**
 * Slack for floating-point rounding: a pixel centre within 1e-9 px of the capsule's edge counts as
 * inside. (For a single disc there are no such centres: (2i + 1 − d)² + (2j + 1 − d)² ≠ d² always.)
 */
const EPS = 1e-9

/** Paints the capsule from `input.from` to `input.to`; null when no pixel changes. */
export function paintBrush(map: LabelMap, input: BrushInput, opts: BrushOptions): Patch | null {
  checkMap(map)
  checkPaintOptions(opts)
  checkDiameter(opts.diameter)
  checkPoint(input.from, 'brush from')
  checkPoint(input.to, 'brush to')
  if (paintsNothing(opts)) return null
  const { width, height, data } = map
  const r = opts.diameter / 2
  const r2 = r * r
  // Canonical order (by y, then x) so a segment paints the same pixels in both directions.
  let a = brushCentre(input.from, opts.diameter)
  let b = brushCentre(input.to, opts.diameter)
  if (b.y < a.y || (b.y === a.y && b.x < a.x)) [a, b] = [b, a]
  const ux = b.x - a.x
  const uy = b.y - a.y // ≥ 0; uy === 0 implies ux ≥ 0
  const len2 = ux * ux + uy * uy
  const rLen = r * Math.sqrt(len2)

  const y0 = Math.max(0, Math.ceil(a.y - r - 0.5 - EPS))
  const y1 = Math.min(height - 1, Math.floor(b.y + r - 0.5 + EPS))
  if (y0 > y1 || Math.max(a.x, b.x) + r < 0 || Math.min(a.x, b.x) - r > width) return null
  const estimate = Math.min((y1 - y0 + 1) * (opts.diameter + Math.abs(ux) + 1), 1 << 20)
  const runs = new ByteRuns(data)
  const builder = new PatchBuilder(width, height, estimate)

  for (let y = y0; y <= y1; y++) {
    const yc = y + 0.5
    let lo = Infinity
    let hi = -Infinity
    let dy = yc - a.y
    if (dy * dy <= r2) {
      const h = Math.sqrt(r2 - dy * dy)
      lo = a.x - h
      hi = a.x + h
    }
    dy = yc - b.y
    if (dy * dy <= r2) {
      const h = Math.sqrt(r2 - dy * dy)
      if (b.x - h < lo) lo = b.x - h
      if (b.x + h > hi) hi = b.x + h
    }
    if (len2 > 0) {
      // The band between the end discs, for q = (x, yc) and w = q − a:
      // |cross(w, u)| ≤ r·|u| (distance to the line) and 0 ≤ dot(w, u) ≤ |u|² (projects inside).
      const wy = yc - a.y
      let blo = -Infinity
      let bhi = Infinity
      if (uy > 0) {
        blo = a.x + (wy * ux - rLen) / uy
        bhi = a.x + (wy * ux + rLen) / uy
      } else if (Math.abs(wy) > r) {
        blo = Infinity
      }
      if (ux !== 0) {
        const t0 = a.x - (wy * uy) / ux
        const t1 = a.x + (len2 - wy * uy) / ux
        if (ux > 0) {
          if (t0 > blo) blo = t0
          if (t1 < bhi) bhi = t1
        } else {
          if (t1 > blo) blo = t1
          if (t0 < bhi) bhi = t0
        }
      } else if (wy < 0 || wy > uy) {
        blo = Infinity
      }
      if (blo <= bhi) {
        if (blo < lo) lo = blo
        if (bhi > hi) hi = bhi
      }
    }
    if (lo > hi) continue
    const x0 = Math.max(0, Math.ceil(lo - 0.5 - EPS))
    const x1 = Math.min(width - 1, Math.floor(hi - 0.5 + EPS))
    if (x0 <= x1) paintRowSpan(builder, runs, y, x0, x1, opts)
  }
  return builder.finish()
}

/** The snapped centre of a stamp of diameter d at point p (see the module comment). */
export function brushCentre(p: Point, diameter: number): Point {
  return diameter % 2 === 1
    ? { x: Math.floor(p.x) + 0.5, y: Math.floor(p.y) + 0.5 }
    : { x: Math.floor(p.x + 0.5), y: Math.floor(p.y + 0.5) }
}

/**
 * The stamp as a d×d mask (1 inside, row-major), e.g. for the cursor. Its top-left pixel sits at
 * brushCentre(p, d) − d/2. Exact integer test: (2i + 1 − d)² + (2j + 1 − d)² ≤ d².
 */
export function brushDisc(diameter: number): Uint8Array {
  checkDiameter(diameter)
  const d = diameter
  const mask = new Uint8Array(d * d)
  for (let j = 0; j < d; j++) {
    const dy = 2 * j + 1 - d
    for (let i = 0; i < d; i++) {
      const dx = 2 * i + 1 - d
      if (dx * dx + dy * dy <= d * d) mask[j * d + i] = 1
    }
  }
  return mask
}

function checkDiameter(d: number): void {
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`brush diameter must be an integer ≥ 1, got ${d}`)
}
