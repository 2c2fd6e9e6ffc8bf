/** Connected components on a small grid (8-connected), with area, bounding box and frame contact. */
import { findRoot } from '../analysis'
import { Scratch } from './scratch'

const scratch = new Scratch()

export interface Component {
  area: number
  x0: number
  y0: number
  x1: number
  y1: number
  /** Cells on the grid's outer frame. */
  borderCells: number
  /** Sum of x and y, for the centroid. */
  sx: number
  sy: number
}

/**
 * Labels the 8-connected components of cells where `inside[i] !== 0`. Returns the component index
 * per cell (-1 outside) and the components, largest first (ties: the one whose first cell comes
 * first in row-major order).
 *
 * By runs, as analysis.ts does for pixels: each row's maximal runs of inside cells are joined by
 * union-find to the runs of the row above that touch them (overlapping or diagonal), the root of a
 * set being its earliest run; the components' measures are summed per run, and ids filled per run.
 * The cost follows the runs, not a flood fill's eight neighbour tests per cell (the triage score
 * labels a few grids per pair, inside the statistics scan).
 */
export function components(
  width: number,
  height: number,
  inside: Uint8Array,
): { id: Int32Array; list: Component[] } {
  return label(width, height, inside, true)
}

/** The components of `components`, without the id per cell (one allocation less). */
export function componentList(width: number, height: number, inside: Uint8Array): Component[] {
  return label(width, height, inside, false).list
}

function label(
  width: number,
  height: number,
  inside: Uint8Array,
  withIds: boolean,
): { id: Int32Array; list: Component[] } {
  const n = width * height
  // At most one run per two cells in a row, plus one.
  const maxRuns = height * ((width + 1) >> 1)
  const work = scratch.i32(6 * maxRuns)
  const rx0 = work.subarray(0, maxRuns)
  const rx1 = work.subarray(maxRuns, 2 * maxRuns)
  const ry = work.subarray(2 * maxRuns, 3 * maxRuns)
  const parent = work.subarray(3 * maxRuns, 4 * maxRuns)
  let runs = 0
  let prevStart = 0
  let prevEnd = 0
  for (let y = 0; y < height; y++) {
    const base = y * width
    const rowStart = runs
    let p = prevStart
    let x = 0
    while (x < width) {
      if (inside[base + x] === 0) {
        x++
        continue
      }
      const x0 = x
      while (x < width && inside[base + x] !== 0) x++
      const r = runs++
      rx0[r] = x0
      rx1[r] = x // exclusive
      ry[r] = y
      parent[r] = r
      // Runs above touching [x0 − 1, x]: they start at or before x and end after x0 − 1.
      while (p < prevEnd && rx1[p] < x0) p++
      for (let q = p; q < prevEnd && rx0[q] <= x; q++) {
        const a = findRoot(parent, q)
        const b = findRoot(parent, r)
        if (a !== b) {
          if (a < b) parent[b] = a
          else parent[a] = b
        }
      }
    }
    prevStart = rowStart
    prevEnd = runs
  }
  // Measures per root (the earliest run of its set, so roots come in first-cell order).
  const slot = work.subarray(4 * maxRuns, 4 * maxRuns + runs).fill(-1)
  const raw: Component[] = []
  const root = work.subarray(5 * maxRuns, 5 * maxRuns + runs)
  for (let r = 0; r < runs; r++) {
    const k0 = findRoot(parent, r)
    root[r] = k0
    let k = slot[k0]
    if (k < 0) {
      k = slot[k0] = raw.length
      raw.push({ area: 0, x0: width, y0: height, x1: -1, y1: -1, borderCells: 0, sx: 0, sy: 0 })
    }
    const c = raw[k]
    const a = rx0[r]
    const b = rx1[r] - 1 // inclusive
    const y = ry[r]
    const len = b - a + 1
    c.area += len
    c.sx += ((a + b) * len) / 2
    c.sy += y * len
    if (a < c.x0) c.x0 = a
    if (b > c.x1) c.x1 = b
    if (y < c.y0) c.y0 = y
    if (y > c.y1) c.y1 = y
    if (y === 0 || y === height - 1) c.borderCells += len
    // The first and the last column (one cell when the grid is one column wide).
    else c.borderCells += (a === 0 ? 1 : 0) + (b === width - 1 && width > 1 ? 1 : 0)
  }
  const order = raw.map((_, k) => k).sort((a, b) => raw[b].area - raw[a].area || a - b)
  const rank: number[] = new Array<number>(raw.length)
  order.forEach((k, r) => (rank[k] = r))
  const id = new Int32Array(withIds ? n : 0).fill(-1)
  for (let r = 0; withIds && r < runs; r++) {
    const base = ry[r] * width
    id.fill(rank[slot[root[r]]], base + rx0[r], base + rx1[r])
  }
  return { id, list: order.map((k) => raw[k]) }
}
