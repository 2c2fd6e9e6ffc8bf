/**
 * Assisted resolution of the uncertain pixels (255) of a weak map from the image: every uncertain
 * pixel gets 0 or 1 and a confidence; certain pixels never change.
 *
 * 1. Working grid (grid.ts): the bounding box of the uncertain pixels plus a margin, averaged into
 *    cells of s×s pixels (s = 1 up to `maxWorkPixels`; a 6000×4000 pair works at s ≈ 5).
 * 2. Decision on the grid (decide.ts): a logistic classifier per cell on the band coordinate t
 *    between the two certain sides (the geometric prior: t > 0.5 is the nearest certain label) and
 *    the cell's colour against the two sides' local colours and its distance to the pigment;
 *    weights fitted on real dermoscopy (params.ts, by bench/assist/fit.ts on folds by image).
 * 3. Write-back: each uncertain pixel takes the sign of f = 2·P(lesion) − 1: on a coarse grid,
 *    the band's geometry redone per pixel from exact full-resolution distances (up to 13 Mpx of
 *    region), the cell's image term kept; otherwise f interpolated bilinearly from the cells. Its
 *    confidence is |f| (0–255).
 *
 * Pure TypeScript on typed arrays; deterministic (no randomness, fixed iteration orders).
 */
import { LABEL_BACKGROUND, LABEL_LESION, LABEL_UNCERTAIN } from '../codes'
import type { LabelMap } from '../codes'
import { decideGrid, GEOMETRY_FROM, geometricLogOdds } from './decide'
import { indexDistance2, nearestSite } from './distance'
import { buildGrid, uncertainBox } from './grid'
import type { WorkGrid } from './grid'
import { RESOLVE_PARAMS } from './params'
import type { ResolveParams } from './params'
import { UNSURE_BELOW } from './types'
import type { AssistImage, AssistPatch, AssistRect, Proposal, ResolveOptions, ResolveStats } from './types'

export type { AssistImage, AssistPatch, AssistRect, Proposal, ResolveOptions, ResolveStats } from './types'
export { UNSURE_BELOW } from './types'

const DEFAULT_MAX_WORK_PIXELS = 1_100_000
/** Largest region (pixels) whose band geometry is redone at full resolution when s > 1. */
const FULL_GEOMETRY_MAX_PIXELS = 13_000_000

/**
 * Band coordinate t = d_bg / (d_bg + d_lesion) of the pixels of the grid's region from exact
 * full-resolution distances to the certain pixels of each side (null when a side has none).
 */
function fullResDistances(map: LabelMap, grid: WorkGrid): { t: (r: number) => number } | null {
  const { rx0, ry0, rw, rh } = grid
  const W = map.width
  const siteL = new Uint8Array(rw * rh)
  const siteB = new Uint8Array(rw * rh)
  let anyL = false
  let anyB = false
  for (let y = 0; y < rh; y++) {
    for (let x = 0, i = (ry0 + y) * W + rx0, r = y * rw; x < rw; x++, i++, r++) {
      const v = map.data[i]
      if (v === LABEL_LESION) {
        siteL[r] = 1
        anyL = true
      } else if (v === LABEL_BACKGROUND) {
        siteB[r] = 1
        anyB = true
      }
    }
  }
  if (!anyL || !anyB) return null
  const nl = nearestSite(rw, rh, siteL)
  const nb = nearestSite(rw, rh, siteB)
  return {
    t: (r: number): number => {
      const dL = Math.sqrt(indexDistance2(rw, r, nl[r]))
      const dB = Math.sqrt(indexDistance2(rw, r, nb[r]))
      return dB / (dB + dL)
    },
  }
}

/** An option's value when it is a finite number ≥ min, else the default. */
function option(v: number | undefined, fallback: number, min: number): number {
  return v !== undefined && Number.isFinite(v) && v >= min ? v : fallback
}

/** Checks sizes; throws RangeError on a mismatch. */
function validate(image: AssistImage, map: LabelMap): void {
  const { width, height } = map
  if (map.data.length !== width * height) {
    throw new RangeError(`map has ${map.data.length} bytes, expected ${width * height}`)
  }
  if (image.width !== width || image.height !== height) {
    throw new RangeError(`image is ${image.width}×${image.height}, map is ${width}×${height}`)
  }
  if (image.channels !== 3 && image.channels !== 4)
    throw new RangeError(`image has ${image.channels} channels`)
  if (image.data.length !== width * height * image.channels) {
    throw new RangeError(`image has ${image.data.length} bytes, expected ${width * height * image.channels}`)
  }
}

/**
 * The working grid of a map whose uncertain pixels lie in `rect`: that box plus a margin (the side
 * colours' ring and room for the level windows), in cells small enough for `maxWorkPixels`; with
 * the hair width and ring width in cells.
 */
export function workGrid(
  image: AssistImage,
  map: LabelMap,
  rect: AssistRect,
  opts: ResolveOptions = {},
): { grid: WorkGrid; hairCells: number; ringCells: number; unitCells: number } {
  const { width: W, height: H } = map
  const S = Math.min(W, H)
  const hairWidth = option(opts.hairWidth, Math.max(4, 0.006 * S), 0)
  const ringWidth = option(opts.ringWidth, Math.max(6, 0.012 * S), 1)
  const maxWork = option(opts.maxWorkPixels, DEFAULT_MAX_WORK_PIXELS, 1)
  const margin = Math.ceil(2 * ringWidth + hairWidth)
  const rx0 = Math.max(0, rect.x - margin)
  const ry0 = Math.max(0, rect.y - margin)
  const rw = Math.min(W, rect.x + rect.width + margin) - rx0
  const rh = Math.min(H, rect.y + rect.height + margin) - ry0
  const s = Math.floor(option(opts.scale, Math.ceil(Math.sqrt((rw * rh) / maxWork)), 1))
  return {
    grid: buildGrid(image, map, rx0, ry0, rw, rh, s),
    hairCells: hairWidth / s,
    ringCells: Math.max(1, Math.round(ringWidth / s)),
    unitCells: S / 750 / s,
  }
}

/**
 * Proposes a label for every uncertain pixel of `map` from `image`. Certain pixels are copied
 * unchanged; the result holds only 0 and 1 where the map held 255. Throws RangeError when the
 * image and the map do not match. `params` overrides the fitted parameters (for fitting them).
 */
export function proposeResolution(
  image: AssistImage,
  map: LabelMap,
  opts: ResolveOptions = {},
  params: ResolveParams = RESOLVE_PARAMS,
): Proposal {
  const t0 = performance.now()
  validate(image, map)
  const { width: W } = map
  const src = map.data
  const labels = src.slice()
  const { rect, count } = uncertainBox(map)
  const stats: ResolveStats = {
    uncertain: count,
    toLesion: 0,
    toBackground: 0,
    unsure: 0,
    scale: 1,
    hairCells: 0,
    bandWidth: 0,
    ms: { total: 0, grid: 0, evidence: 0, write: 0 },
  }
  const confidence = new Uint8Array(rect.width * rect.height).fill(255)
  const decision = new Int8Array(rect.width * rect.height)
  if (count === 0) {
    stats.ms.total = performance.now() - t0
    return { labels, rect, confidence, decision, stats }
  }
  const k = Math.min(1, option(opts.imageWeight, 1, 0))
  const p: ResolveParams = {
    ...params,
    weights: params.weights.map((w, j) => (j < GEOMETRY_FROM ? w * k : w)),
  }
  const work = workGrid(image, map, rect, opts)
  const { grid } = work
  const { s, rx0, ry0 } = grid
  stats.scale = s
  const t1 = performance.now()
  stats.ms.grid = t1 - t0

  const dec = decideGrid(grid, p, work.hairCells, work.ringCells, work.unitCells)
  stats.hairCells = dec.hairCells
  stats.bandWidth = dec.bandWidth * s
  stats.ms.evidence = dec.evidenceMs
  const t2 = performance.now()

  // Write-back: the sign of f, bilinear between cell centres when s > 1. On a coarse grid the band
  // cells' geometry is redone per pixel from full-resolution distances when the region is small
  // enough (a narrow band is only a cell or two wide on the grid).
  const { f } = dec
  const { cw, ch, rw } = grid
  const geo = s > 1 && grid.rw * grid.rh <= FULL_GEOMETRY_MAX_PIXELS ? fullResDistances(map, grid) : null
  let toLesion = 0
  let unsure = 0
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    const gy = (y - ry0 + 0.5) / s - 0.5
    const y0 = Math.max(0, Math.min(ch - 1, Math.floor(gy)))
    const y1 = Math.min(ch - 1, y0 + 1)
    const ay = Math.max(0, Math.min(1, gy - y0))
    const crow = (y - rect.y) * rect.width - rect.x
    const cellRow = Math.floor((y - ry0) / s) * cw
    for (let x = rect.x, i = y * W + rect.x; x < rect.x + rect.width; x++, i++) {
      if (src[i] !== LABEL_UNCERTAIN) continue
      let v: number
      const cell = cellRow + Math.floor((x - rx0) / s)
      if (s === 1) v = f[(y - ry0) * cw + (x - rx0)]
      else if (geo !== null && dec.band[cell] !== 0) {
        const r = (y - ry0) * rw + (x - rx0)
        const t = geo.t(r)
        v = Math.tanh((dec.zImage[cell] + geometricLogOdds(p, t, dec.contrast[cell])) / 2)
      } else {
        const gx = (x - rx0 + 0.5) / s - 0.5
        const x0 = Math.max(0, Math.min(cw - 1, Math.floor(gx)))
        const x1 = Math.min(cw - 1, x0 + 1)
        const ax = Math.max(0, Math.min(1, gx - x0))
        const a = f[y0 * cw + x0] * (1 - ax) + f[y0 * cw + x1] * ax
        const b = f[y1 * cw + x0] * (1 - ax) + f[y1 * cw + x1] * ax
        v = a * (1 - ay) + b * ay
      }
      const l = v > 0 ? 1 : 0
      labels[i] = l
      toLesion += l
      const c = Math.min(255, Math.round(Math.abs(v) * 255))
      confidence[crow + x] = c
      // From the confidence, so that the two agree exactly: sign = label, |d| < 64 ⇔ c < 128.
      decision[crow + x] = l === 1 ? Math.max(1, c >> 1) : -(c >> 1)
      if (c < UNSURE_BELOW) unsure++
    }
  }
  stats.toLesion = toLesion
  stats.toBackground = count - toLesion
  stats.unsure = unsure
  const t3 = performance.now()
  stats.ms.write = t3 - t2
  stats.ms.total = t3 - t0
  return { labels, rect, confidence, decision, stats }
}

/**
 * The proposal as one undoable patch over its rectangle: `before` from the current map, `after`
 * from the proposal (both row-major, rect.width × rect.height).
 */
export function proposalPatch(map: LabelMap, proposal: Proposal): AssistPatch {
  const { rect, labels } = proposal
  const size = rect.width * rect.height
  const before = new Uint8Array(size)
  const after = new Uint8Array(size)
  for (let y = 0; y < rect.height; y++) {
    const from = (rect.y + y) * map.width + rect.x
    before.set(map.data.subarray(from, from + rect.width), y * rect.width)
    after.set(labels.subarray(from, from + rect.width), y * rect.width)
  }
  return { rect: { ...rect }, before, after }
}

/**
 * The proposal as a run-length patch: `runs` holds [start, length, …] (start = y·width + x, one row
 * per run, sorted, disjoint) over exactly the formerly uncertain pixels, with their values before
 * (all 255) and after (0 or 1), run after run. Every listed pixel changes, so the patch is minimal;
 * `rect` is the runs' bounding box. Structurally the editor's Patch of shared/labels/patch.ts.
 * `unsure` holds 1 for each listed pixel whose confidence is below UNSURE_BELOW, `decision` its
 * signed decision (both in the same order as after), for re-thresholding (level.ts).
 */
export function proposalRunPatch(
  map: LabelMap,
  proposal: Proposal,
): {
  width: number
  rect: AssistRect
  runs: Uint32Array
  before: Uint8Array
  after: Uint8Array
  unsure: Uint8Array
  decision: Int8Array
} {
  const { width, data } = map
  const { rect, labels, confidence } = proposal
  const decision = new Int8Array(proposal.stats.uncertain)
  const runs: number[] = []
  const before = new Uint8Array(proposal.stats.uncertain).fill(LABEL_UNCERTAIN)
  const after = new Uint8Array(proposal.stats.uncertain)
  const unsure = new Uint8Array(proposal.stats.uncertain)
  let k = 0
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    const row = y * width
    const crow = (y - rect.y) * rect.width - rect.x
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      if (data[row + x] !== LABEL_UNCERTAIN) continue
      const x0 = x
      while (x + 1 < rect.x + rect.width && data[row + x + 1] === LABEL_UNCERTAIN) x++
      const start = row + x0
      const end = row + x + 1
      runs.push(start, end - start)
      after.set(labels.subarray(start, end), k)
      for (let xx = x0; xx <= x; xx++, k++) {
        unsure[k] = confidence[crow + xx] < UNSURE_BELOW ? 1 : 0
        decision[k] = proposal.decision[crow + xx]
      }
    }
  }
  return { width, rect: { ...rect }, runs: Uint32Array.from(runs), before, after, unsure, decision }
}
