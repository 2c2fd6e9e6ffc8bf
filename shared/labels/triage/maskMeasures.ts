/**
 * The mask measures of the triage score on a label grid (grid.ts): the lesion region and what it
 * and the map look like (components, frame contact, holes, thin parts, shares). The one
 * implementation, used by the image score (features.ts, score.ts) and by the mask-only score inside
 * the statistics scan (maskFeatures.ts, issue #13), so it is cheap: the opening behind `thinLesion`
 * (radius 1.5 cells = the 3×3 square, since 1 and √2 ≤ 1.5 < 2) is two 3×3 passes, the region's
 * nearer-side test searches a few rings around each uncertain cell (exact distances; two distance
 * transforms only past a budget), the frame box reads the frame only, and working arrays come from
 * a pool (scratch.ts).
 */
import { indexDistance2, nearestSite } from '../assist/distance'
import { LABEL_BACKGROUND, LABEL_LESION, LABEL_UNCERTAIN } from '../codes'
import { componentList, type Component } from './components'
import type { LabelGrid } from './grid'
import { Scratch } from './scratch'

const scratch = new Scratch()
/** The region's memory apart: it is still in use while the measures take theirs. */
const regionPool = new Scratch()

/** A rectangle in grid cells. */
export interface CellRect {
  x: number
  y: number
  w: number
  h: number
}

export interface MaskMeasures {
  /** (lesion + uncertain / 2) share of the image. */
  lesionShare: number
  /** Uncertain pixels / (lesion + uncertain pixels); 0 without either. */
  uncertainShare: number
  /** Area of the lesion region's components other than the largest, over the region's area. */
  otherComponentShare: number
  /** Significant components apart from the largest (at least 2 % of it and 3 cells). */
  otherComponents: number
  /** Frame cells of the largest component / frame cells of the grid. */
  mainBorderShare: number
  /** Frame cells of the other components / frame cells of the grid. */
  otherBorderShare: number
  /** Share of the certain lesion an opening of radius 1.5 cells removes: strokes, spikes, specks. */
  thinLesion: number
  /** Area of the non-background components other than the largest, over the largest's area. */
  otherPossibleShare: number
  /** Of the other non-background components of 4+ cells, the largest empty share of its bounding box. */
  thinOther: number
  /** Enclosed non-lesion area (not reaching the frame) over the lesion region's area. */
  holeShare: number
  regions: {
    otherComponent?: CellRect
    border?: CellRect
    hole?: CellRect
  }
}

/**
 * The lesion region: certain lesion plus the uncertain cells nearer to it than to certain
 * background. `inside` is pooled: valid until the next `lesionRegion` call.
 */
export interface Region {
  inside: Uint8Array
  area: number
  /** Its 8-connected components, largest first. */
  list: Component[]
}

export const rectOf = (c: Component): CellRect => ({
  x: c.x0,
  y: c.y0,
  w: c.x1 - c.x0 + 1,
  h: c.y1 - c.y0 + 1,
})

/**
 * Certain lesion cells, and the uncertain cells at least as near to certain lesion as to certain
 * background (squared Euclidean distances, exact); with no lesion cell the uncertain ones, with no
 * background cell everything but background.
 *
 * The nearer side of an uncertain cell is found by searching rings around it (a weak map's band is
 * a few cells wide, so a few rings decide); past a budget of cells read — a wide uncertain area —
 * the rest are decided by two exact distance transforms. Either way the comparison is exact.
 */
export function lesionRegion(grid: LabelGrid): Region {
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
    let nearL: Int32Array | null = null
    let nearB: Int32Array | null = null
    for (let i = 0; i < n; i++) {
      const v = label[i]
      if (v === LABEL_LESION) inside[i] = 1
      else if (v !== LABEL_UNCERTAIN) continue
      else {
        if (!nearL || !nearB) {
          const y = (i / width) | 0
          const r = nearerLesion(width, height, label, i - y * width, y, budget)
          if (r.decided) {
            inside[i] = r.lesion ? 1 : 0
            budget -= r.read
            continue
          }
          // Rare (a wide uncertain area), so the transforms may allocate.
          nearL = nearestSite(width, height, labelled(label, LABEL_LESION))
          nearB = nearestSite(width, height, labelled(label, LABEL_BACKGROUND))
        }
        inside[i] = indexDistance2(width, i, nearL[i]) <= indexDistance2(width, i, nearB[i]) ? 1 : 0
      }
    }
  }
  let area = 0
  for (let i = 0; i < n; i++) area += inside[i]
  return { inside, area, list: componentList(width, height, inside) }
}

const labelled = (label: Uint8Array, v: number): Uint8Array => label.map((l) => (l === v ? 1 : 0))

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

/** The mask measures of `grid`, given its lesion region (`lesionRegion` of the same grid). */
export function maskMeasures(grid: LabelGrid, region: Region): MaskMeasures {
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
  // Border cells of the region, for where.
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
  // Components of everything not background (lesion or uncertain): uncertain clutter counts too.
  const pc = componentList(width, height, possible)
  let otherPossible = 0
  let thinOther = 0
  for (let k = 1; k < pc.length; k++) {
    const c = pc[k]
    otherPossible += c.area
    const bw = c.x1 - c.x0 + 1
    const bh = c.y1 - c.y0 + 1
    // Thin: little area for its extent (a stroke, a ruler), counted when at least 4 cells.
    if (c.area >= 4) thinOther = Math.max(thinOther, 1 - c.area / (bw * bh))
  }
  const area = Math.max(1, region.area)
  return {
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
    // Where: the first sizeable lesion component apart from the main one, else the largest stray
    // component of lesion or uncertain (the clutter many-components also counts).
    regions: { otherComponent: otherRect ?? (pc.length > 1 ? rectOf(pc[1]) : undefined), border, hole },
  }
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
 * Share of `set` a morphological opening with the disc of radius 1.5 removes: erosion keeps the
 * cells whose 3×3 neighbourhood inside the grid is all set, dilation brings back the set cells with
 * an eroded cell in theirs. Nothing eroded: 1; an empty or full set: 0. `eroded` is zeroed working
 * memory of the grid's size.
 */
function openedAway3x3(width: number, height: number, set: Uint8Array, eroded: Uint8Array): number {
  const n = width * height
  let total = 0
  for (let i = 0; i < n; i++) total += set[i]
  if (total === 0 || total === n) return 0
  let any = 0
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      if (set[i] && !in3x3(width, height, set, x, y, 0)) {
        eroded[i] = 1
        any = 1
      }
    }
  }
  if (!any) return 1
  let kept = 0
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) if (set[i] && in3x3(width, height, eroded, x, y, 1)) kept++
  }
  return 1 - kept / total
}

/** Whether a cell of the 3×3 neighbourhood of (x, y), inside the grid, holds `v`. */
function in3x3(width: number, height: number, a: Uint8Array, x: number, y: number, v: number): boolean {
  const x0 = x > 0 ? x - 1 : x
  const x1 = x < width - 1 ? x + 1 : x
  const y1 = y < height - 1 ? y + 1 : y
  for (let yy = y > 0 ? y - 1 : y; yy <= y1; yy++) {
    for (let i = yy * width + x0, end = yy * width + x1; i <= end; i++) if (a[i] === v) return true
  }
  return false
}
