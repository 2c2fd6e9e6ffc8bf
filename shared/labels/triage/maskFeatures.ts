/**
 * The mask-only part of the triage score, cheap enough to run inside the statistics scan (issue
 * #13): the scan already has the mask's runs (analysis.ts), so the map is reduced to a small grid
 * from them (grid.ts `reduceRunsToGrid`, no pixel read again) and measured here.
 *
 * `maskOnlyMeasures` gives exactly what features.ts's `lesionRegion` + `maskMeasures` give on the
 * same grid (a unit test holds them equal on random grids), with fewer passes: the opening behind
 * `thinLesion` (radius 1.5 cells = the 3×3 square, since 1 and √2 ≤ 1.5 < 2) is two 3×3 passes
 * instead of two distance transforms, the region's nearest-side test searches a few rings around
 * each uncertain cell (exact distances; two distance transforms only past a budget), the frame box
 * reads the frame only, and working arrays come from a pool (scratch.ts). If features.ts changes a
 * mask measure or the region, that test fails until this file follows.
 */
import type { LabelRuns } from '../analysis'
import { LABEL_BACKGROUND, LABEL_LESION, LABEL_UNCERTAIN } from '../codes'
import { componentList, type Component } from './components'
import type { CellRect, MaskMeasures } from './features'
import { gridSizeFor, reduceRunsToGrid, type LabelGrid } from './grid'
import { TRIAGE_MODEL } from './model'
import { EVIDENCE, triageResult, type TriageModel } from './score'
import { Scratch } from './scratch'
import type { TriageResult } from './types'

const scratch = new Scratch()
/** The region's memory apart: it is still in use while the measures take theirs. */
const regionPool = new Scratch()

/**
 * Longer side of the grid of the in-scan score. On the real dev set (44 images; 10 right and 20
 * corrupted weak maps each, the bench's corruptions), the mask-only score's ROC AUC is 0.721 at 32
 * cells, 0.727 at 40, 0.730 at 48, 0.744 at 64 and 0.740 at features.ts's 256, while its cost grows
 * with the cells: at 40 the whole 43,885-mask scan measured +20 % and +24 % CPU per mask (bench
 * `scale_triage_in_scan_added_us_per_mask`, two runs on a loaded 2-core machine), too near the
 * budget of 25 %. 32 costs a third fewer cells for 0.006 of AUC, and the image pass replaces this
 * score anyway.
 */
export const SCAN_GRID_SIDE = 32

const rectOf = (c: Component): CellRect => ({ x: c.x0, y: c.y0, w: c.x1 - c.x0 + 1, h: c.y1 - c.y0 + 1 })

/** lesionRegion + maskMeasures of features.ts, the same values (see the file's comment). */
export function maskOnlyMeasures(grid: LabelGrid): { region: MaskRegion; mask: MaskMeasures } {
  const region = regionOf(grid)
  const { width, height, lesion, uncertain, label } = grid
  const inside = region.inside
  const n = width * height
  let sl = 0
  let su = 0
  for (let i = 0; i < n; i++) {
    sl += lesion[i]
    su += uncertain[i]
  }
  const frame = width > 1 && height > 1 ? 2 * (width + height) - 4 : n
  const list = region.list
  const main = list[0]
  const minArea = main ? Math.max(3, 0.02 * main.area) : Infinity
  let otherArea = 0
  let otherComponents = 0
  let otherBorder = 0
  let otherRect: CellRect | undefined
  for (let k = 1; k < list.length; k++) {
    const c = list[k]
    otherArea += c.area
    otherBorder += c.borderCells
    if (c.area >= minArea) {
      otherComponents++
      if (!otherRect) otherRect = rectOf(c)
    }
  }
  let border: CellRect | undefined
  if (main && (main.borderCells > 0 || otherBorder > 0)) border = frameBox(width, height, inside)
  // Holes: components of the complement that do not reach the frame.
  const bytes = scratch.u8(4 * n)
  const outside = bytes.subarray(0, n)
  const certain = bytes.subarray(n, 2 * n)
  const possible = bytes.subarray(2 * n, 3 * n)
  for (let i = 0; i < n; i++) {
    outside[i] = inside[i] ? 0 : 1
    certain[i] = label[i] === LABEL_LESION ? 1 : 0
    possible[i] = label[i] === LABEL_BACKGROUND ? 0 : 1
  }
  let holeArea = 0
  let hole: CellRect | undefined
  for (const c of componentList(width, height, outside)) {
    if (c.borderCells > 0) continue
    holeArea += c.area
    if (!hole) hole = rectOf(c)
  }
  const pc = componentList(width, height, possible)
  let otherPossible = 0
  let thinOther = 0
  for (let k = 1; k < pc.length; k++) {
    const c = pc[k]
    otherPossible += c.area
    const bw = c.x1 - c.x0 + 1
    const bh = c.y1 - c.y0 + 1
    if (c.area >= 4) thinOther = Math.max(thinOther, 1 - c.area / (bw * bh))
  }
  const area = Math.max(1, region.area)
  return {
    region,
    mask: {
      thinLesion: openedAway3x3(width, height, certain, bytes.subarray(3 * n)),
      otherPossibleShare: pc.length > 0 ? otherPossible / pc[0].area : 0,
      thinOther,
      lesionShare: (sl + su / 2) / n,
      uncertainShare: sl + su > 0 ? su / (sl + su) : 0,
      otherComponentShare: otherArea / area,
      otherComponents,
      mainBorderShare: main ? main.borderCells / frame : 0,
      otherBorderShare: otherBorder / frame,
      holeShare: holeArea / area,
      regions: { otherComponent: otherRect ?? (pc.length > 1 ? rectOf(pc[1]) : undefined), border, hole },
    },
  }
}

/** features.ts `Region` without the id per cell (nothing here reads it). */
export interface MaskRegion {
  inside: Uint8Array
  area: number
  /** Its 8-connected components, largest first. */
  list: Component[]
}

/**
 * features.ts `lesionRegion`: certain lesion cells, and the uncertain cells at least as near to
 * certain lesion as to certain background (squared Euclidean distances, exact); with no lesion
 * cell the uncertain ones, with no background cell everything but background. `inside` is pooled
 * (valid until the next call).
 *
 * The nearer side of an uncertain cell is found by searching rings around it (a weak map's band is
 * a few cells wide, so a few rings decide); past a budget of cells read — a wide uncertain area —
 * the rest are decided by two exact distance transforms. Either way the comparison is exact.
 */
function regionOf(grid: LabelGrid): MaskRegion {
  const { width, height, label } = grid
  const n = width * height
  let nl = 0
  let nb = 0
  for (let i = 0; i < n; i++) {
    if (label[i] === LABEL_LESION) nl++
    else if (label[i] === LABEL_BACKGROUND) nb++
  }
  const inside = regionPool.u8(n)
  if (nl === 0) {
    for (let i = 0; i < n; i++) inside[i] = label[i] === LABEL_UNCERTAIN ? 1 : 0
  } else if (nb === 0) {
    for (let i = 0; i < n; i++) inside[i] = label[i] === LABEL_BACKGROUND ? 0 : 1
  } else {
    let budget = 8 * n
    let toLesion: Float64Array | null = null
    let toBackground: Float64Array | null = null
    for (let i = 0; i < n; i++) {
      const v = label[i]
      if (v === LABEL_LESION) inside[i] = 1
      else if (v !== LABEL_UNCERTAIN) continue
      else if (toLesion && toBackground) inside[i] = toLesion[i] <= toBackground[i] ? 1 : 0
      else {
        const y = (i / width) | 0
        const r = nearerLesion(width, height, label, i - y * width, y, budget)
        if (r.decided) {
          inside[i] = r.lesion ? 1 : 0
          budget -= r.read
          continue
        }
        const d = regionPool.f64(2 * n + 3 * width + 1)
        toLesion = squaredDistances(width, height, label, LABEL_LESION, d.subarray(0, n), d.subarray(2 * n))
        toBackground = squaredDistances(
          width,
          height,
          label,
          LABEL_BACKGROUND,
          d.subarray(n, 2 * n),
          d.subarray(2 * n),
        )
        inside[i] = toLesion[i] <= toBackground[i] ? 1 : 0
      }
    }
  }
  let area = 0
  for (let i = 0; i < n; i++) area += inside[i]
  return { inside, area, list: componentList(width, height, inside) }
}

const ring = { decided: false, lesion: false, read: 0 }

/**
 * Whether the nearest certain lesion cell to (x, y) is at most as far as the nearest certain
 * background cell, by rings of Chebyshev radius r = 1, 2, …: a cell beyond ring r is at least
 * (r + 1)² away, so a side found within that is final. Gives up (decided false) past `budget`
 * cells read. Both labels exist on the grid.
 */
function nearerLesion(
  width: number,
  height: number,
  label: Uint8Array,
  x: number,
  y: number,
  budget: number,
): typeof ring {
  let bestL = Infinity
  let bestB = Infinity
  let read = 0
  const visit = (xx: number, yy: number) => {
    const v = label[yy * width + xx]
    read++
    if (v === LABEL_UNCERTAIN) return
    const d = (xx - x) * (xx - x) + (yy - y) * (yy - y)
    if (v === LABEL_LESION) {
      if (d < bestL) bestL = d
    } else if (d < bestB) bestB = d
  }
  const rMax = Math.max(width, height)
  for (let r = 1; r <= rMax; r++) {
    const x0 = Math.max(0, x - r)
    const x1 = Math.min(width - 1, x + r)
    if (y - r >= 0) for (let xx = x0; xx <= x1; xx++) visit(xx, y - r)
    if (y + r < height) for (let xx = x0; xx <= x1; xx++) visit(xx, y + r)
    const y0 = Math.max(0, y - r + 1)
    const y1 = Math.min(height - 1, y + r - 1)
    if (x - r >= 0) for (let yy = y0; yy <= y1; yy++) visit(x - r, yy)
    if (x + r < width) for (let yy = y0; yy <= y1; yy++) visit(x + r, yy)
    // Unread cells are at least `beyond` away: a side within it is final.
    const beyond = (r + 1) * (r + 1)
    // Lower bounds of the two distances; a best within `beyond` is the distance itself.
    const lowL = Math.min(bestL, beyond)
    const lowB = Math.min(bestB, beyond)
    if (bestL <= beyond && bestL <= lowB) return done(true, read)
    if (bestB <= beyond && bestB < lowL) return done(false, read)
    if (read > budget) break
  }
  if (bestL < Infinity && bestB < Infinity && read <= budget) return done(bestL <= bestB, read)
  ring.decided = false
  ring.read = read
  return ring
}

function done(lesion: boolean, read: number): typeof ring {
  ring.decided = true
  ring.lesion = lesion
  ring.read = read
  return ring
}

/**
 * Squared Euclidean distance from each cell to the nearest cell labelled `site` (at least one
 * exists), into `out`: Felzenszwalb & Huttenlocher's two passes, as shared/labels/assist/distance.ts
 * (per column the nearest site's row, then the lower envelope of parabolas along each row), all in
 * integers held exactly by doubles. `work` holds 3·width + 1 doubles.
 */
function squaredDistances(
  width: number,
  height: number,
  label: Uint8Array,
  site: number,
  out: Float64Array,
  work: Float64Array,
): Float64Array {
  const INF = Infinity
  // Pass 1, per column: squared distance to the nearest site in the column (INF when none).
  for (let x = 0; x < width; x++) {
    let last = -1
    for (let y = 0, i = x; y < height; y++, i += width) {
      if (label[i] === site) last = y
      out[i] = last < 0 ? INF : y - last
    }
    let below = -1
    for (let y = height - 1, i = x + (height - 1) * width; y >= 0; y--, i -= width) {
      if (label[i] === site) below = y
      let dy = out[i]
      if (below >= 0 && below - y < dy) dy = below - y
      out[i] = dy === INF ? INF : dy * dy
    }
  }
  // Pass 2, per row: the lower envelope of g(q) + (x − q)² over the columns q with a finite g.
  const f = work.subarray(0, width)
  const v = work.subarray(width, 2 * width)
  const z = work.subarray(2 * width, 3 * width + 1)
  for (let y = 0; y < height; y++) {
    const row = y * width
    let k = -1
    for (let q = 0; q < width; q++) {
      const g = out[row + q]
      if (g === INF) continue
      f[q] = g
      if (k < 0) {
        k = 0
        v[0] = q
        z[0] = -INF
        z[1] = INF
        continue
      }
      let s = (g + q * q - (f[v[k]] + v[k] * v[k])) / (2 * (q - v[k]))
      while (s <= z[k]) {
        k--
        s = (g + q * q - (f[v[k]] + v[k] * v[k])) / (2 * (q - v[k]))
      }
      k++
      v[k] = q
      z[k] = s
      z[k + 1] = INF
    }
    k = 0
    for (let x = 0; x < width; x++) {
      while (z[k + 1] < x) k++
      const q = v[k]
      out[row + x] = (x - q) * (x - q) + f[q]
    }
  }
  return out
}

/** The bounding box of the inside cells on the grid's frame (some exist: the caller checked). */
function frameBox(width: number, height: number, inside: Uint8Array): CellRect {
  let x0 = width
  let y0 = height
  let x1 = -1
  let y1 = -1
  const take = (x: number, y: number) => {
    if (!inside[y * width + x]) return
    if (x < x0) x0 = x
    if (x > x1) x1 = x
    if (y < y0) y0 = y
    if (y > y1) y1 = y
  }
  for (let x = 0; x < width; x++) {
    take(x, 0)
    take(x, height - 1)
  }
  for (let y = 1; y < height - 1; y++) {
    take(0, y)
    take(width - 1, y)
  }
  return { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 }
}

/**
 * Share of `set` an opening with the disc of radius 1.5 removes (features.ts `thinShare(…, 1.5)`):
 * erosion keeps the cells whose 3×3 neighbourhood inside the grid is all set, dilation brings back
 * the set cells with an eroded cell in theirs. Nothing eroded: 1; an empty or full set: 0.
 * `eroded` is zeroed working memory of the grid's size.
 */
function openedAway3x3(width: number, height: number, set: Uint8Array, eroded: Uint8Array): number {
  const n = width * height
  let total = 0
  for (let i = 0; i < n; i++) total += set[i]
  if (total === 0 || total === n) return 0
  let any = 0
  for (let y = 0; y < height; y++) {
    const ya = y > 0 ? y - 1 : y
    const yb = y < height - 1 ? y + 1 : y
    for (let x = 0; x < width; x++) {
      if (!set[y * width + x]) continue
      const xa = x > 0 ? x - 1 : x
      const xb = x < width - 1 ? x + 1 : x
      let all = 1
      for (let yy = ya; yy <= yb && all; yy++)
        for (let xx = xa; xx <= xb; xx++) {
          if (!set[yy * width + xx]) {
            all = 0
            break
          }
        }
      if (all) {
        eroded[y * width + x] = 1
        any = 1
      }
    }
  }
  if (!any) return 1
  let kept = 0
  for (let y = 0; y < height; y++) {
    const ya = y > 0 ? y - 1 : y
    const yb = y < height - 1 ? y + 1 : y
    for (let x = 0; x < width; x++) {
      if (!set[y * width + x]) continue
      const xa = x > 0 ? x - 1 : x
      const xb = x < width - 1 ? x + 1 : x
      let near = 0
      for (let yy = ya; yy <= yb && !near; yy++)
        for (let xx = xa; xx <= xb; xx++) {
          if (eroded[yy * width + xx]) {
            near = 1
            break
          }
        }
      kept += near
    }
  }
  return 1 - kept / total
}

/** The mask-only evidence of measures (score.ts EVIDENCE without the image's). */
function maskEvidence(mask: MaskMeasures): Record<string, number> {
  const evidence: Record<string, number> = {}
  for (const e of EVIDENCE) if (!e.image) evidence[e.name] = e.get(mask, null)
  return evidence
}

/**
 * The mask-only score of a map given as its runs, on a grid of `side` cells (default
 * SCAN_GRID_SIDE): what the statistics scan stores for each pair until the image pass refines it.
 * The same model as score.ts `scoreMask`; regions in mask pixels.
 */
export function scoreMaskRuns(
  runs: LabelRuns,
  side = SCAN_GRID_SIDE,
  model: TriageModel = TRIAGE_MODEL,
): TriageResult {
  const size = gridSizeFor(runs.width, runs.height, side)
  const grid = reduceRunsToGrid(runs, size.width, size.height)
  const { mask } = maskOnlyMeasures(grid)
  return triageResult({ grid, mask, image: null, evidence: maskEvidence(mask) }, model)
}
