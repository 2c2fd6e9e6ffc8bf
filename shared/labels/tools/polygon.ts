/**
 * Polygon / lasso fill, sampled at pixel centres without anti-aliasing.
 *
 * Rule: NONZERO winding. Pixel (x, y) is inside when the polygon winds around its centre
 * (x + ½, y + ½) a nonzero number of times. For a lasso this means "everything encircled": a loop
 * drawn twice around an area, or the centre of a pentagram, is filled (even-odd would leave holes).
 * The polygon closes itself (last point → first point).
 *
 * Boundaries are half-open (the usual top-left rule): a centre exactly on a horizontal line through a
 * vertex counts with the edge below it, and a centre exactly on an edge counts on the edge's right
 * side only. So polygons that share an edge split the pixels along it without gap or overlap. Each
 * edge's intersection is computed from its upper endpoint, whichever way it was drawn, so a shared
 * edge rounds identically for both polygons.
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

export interface PolygonInput {
  /** Vertices in float image coordinates, at least 3; closed implicitly. */
  points: readonly Point[]
}

interface Edge {
  /** Upper endpoint and inverse slope: x at row centre yc is x0 + (yc − y0) · dxdy. */
  x0: number
  y0: number
  dxdy: number
  /** +1 for an edge drawn downwards (increasing y), −1 upwards. */
  dir: number
  /** First and last row whose centre the edge crosses: y0 ≤ yc < y1. */
  rowFirst: number
  rowLast: number
}

/** Fills the polygon's inside with opts.label; null when nothing changes. */
export function fillPolygon(map: LabelMap, input: PolygonInput, opts: PaintOptions): Patch | null {
  checkMap(map)
  checkPaintOptions(opts)
  const pts = input.points
  pts.forEach((p, i) => checkPoint(p, `polygon point ${i}`))
  if (pts.length < 3 || paintsNothing(opts)) return null
  const { width, height, data } = map

  const edges: Edge[] = []
  for (let i = 0; i < pts.length; i++) {
    const p = pts[i]
    const q = pts[(i + 1) % pts.length]
    if (p.y === q.y) continue // a horizontal edge crosses no row centre under the half-open rule
    const [u, l, dir] = p.y < q.y ? [p, q, 1] : [q, p, -1]
    const rowFirst = Math.max(0, Math.ceil(u.y - 0.5))
    const rowLast = Math.min(height - 1, Math.ceil(l.y - 0.5) - 1)
    if (rowFirst > rowLast) continue
    edges.push({ x0: u.x, y0: u.y, dxdy: (l.x - u.x) / (l.y - u.y), dir, rowFirst, rowLast })
  }
  if (edges.length === 0) return null
  edges.sort((e, f) => e.rowFirst - f.rowFirst)

  const runs = new ByteRuns(data)
  const builder = new PatchBuilder(width, height)
  let active: Edge[] = []
  let next = 0
  let xs = new Float64Array(16)
  let dirs = new Int8Array(16)
  for (let y = edges[0].rowFirst; y < height && (next < edges.length || active.length > 0); y++) {
    active = active.filter((e) => e.rowLast >= y)
    while (next < edges.length && edges[next].rowFirst === y) active.push(edges[next++])
    if (active.length === 0) {
      if (next < edges.length) y = edges[next].rowFirst - 1
      continue
    }
    const yc = y + 0.5
    const n = active.length
    if (n > xs.length) {
      xs = new Float64Array(n * 2)
      dirs = new Int8Array(n * 2)
    }
    for (let k = 0; k < n; k++) {
      const e = active[k]
      xs[k] = e.x0 + (yc - e.y0) * e.dxdy
      dirs[k] = e.dir
    }
    sortCrossings(xs, dirs, n)
    // Sweep left to right; inside wherever the winding number is nonzero.
    let wind = 0
    let start = 0
    for (let k = 0; k < n; k++) {
      const before = wind
      wind += dirs[k]
      if (before === 0 && wind !== 0) start = xs[k]
      else if (before !== 0 && wind === 0) {
        // Centres in [start, xs[k]): columns ⌈start − ½⌉ … ⌈end − ½⌉ − 1.
        const x0 = Math.max(0, Math.ceil(start - 0.5))
        const x1 = Math.min(width - 1, Math.ceil(xs[k] - 0.5) - 1)
        if (x0 <= x1) paintRowSpan(builder, runs, y, x0, x1, opts)
      }
    }
  }
  return builder.finish()
}

/** Sorts the first n crossings by x, carrying their directions (insertion sort for the usual few). */
function sortCrossings(xs: Float64Array, dirs: Int8Array, n: number): void {
  if (n > 64) {
    const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => xs[i] - xs[j])
    const x2 = order.map((i) => xs[i])
    const d2 = order.map((i) => dirs[i])
    xs.set(x2)
    dirs.set(d2)
    return
  }
  for (let i = 1; i < n; i++) {
    const x = xs[i]
    const d = dirs[i]
    let j = i - 1
    while (j >= 0 && xs[j] > x) {
      xs[j + 1] = xs[j]
      dirs[j + 1] = dirs[j]
      j--
    }
    xs[j + 1] = x
    dirs[j + 1] = d
  }
}
