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
 * 3. Per pixel (resolutionTerms): the geometry from exact full-resolution distances (up to 13 Mpx
 *    of region), its sign the nearest certain label's with distance.ts's tie rule, and the cell's
 *    image term; beyond that region size (two transforms would cost too much memory), the nearest
 *    label from one full-resolution transform and the cells' geometry and image terms interpolated
 *    bilinearly, still apart — so imageWeight 0 gives the nearest label exactly at any size.
 * 4. Combination (combinedLabel): z = imageWeight·z_image + z_geometry; the label is the sign of z
 *    — the nearest label where z = 0 or where the confidence |f| = |tanh(z/2)| is below
 *    params.abstainBelow (the safety net; imageWeight 0 gives the nearest label exactly). The
 *    confidence is |f| (0–255).
 *
 * Pure TypeScript on typed arrays; deterministic (no randomness, fixed iteration orders).
 */
import { LABEL_BACKGROUND, LABEL_LESION, LABEL_UNCERTAIN } from '../codes'
import type { LabelMap } from '../codes'
import { decideGrid, geometricMagnitude } from './decide'
import type { GridDecision } from './decide'
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
 * Nearest certain lesion and background pixel of every pixel of the grid's region, from exact
 * full-resolution transforms (null when a side has none in the region).
 */
function fullResSites(map: LabelMap, grid: WorkGrid): { nl: Int32Array; nb: Int32Array } | null {
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
  return { nl: nearestSite(rw, rh, siteL), nb: nearestSite(rw, rh, siteB) }
}

/** Whether the grid's region holds any certain lesion pixel (at full resolution). */
function regionHasLesion(map: LabelMap, grid: WorkGrid): boolean {
  const { rx0, ry0, rw, rh } = grid
  for (let y = ry0; y < ry0 + rh; y++) {
    const row = map.data.subarray(y * map.width + rx0, y * map.width + rx0 + rw)
    if (row.includes(LABEL_LESION)) return true
  }
  return false
}

/**
 * The nearest certain pixel of every pixel of the grid's region from one exact full-resolution
 * transform (-1 everywhere when the region has none), with the region's sites coded 2 = lesion,
 * 1 = background, 0 = uncertain: `site[near[r]] === 2` is exactly resolveNearestLabel's answer,
 * ties included (the same transform over the same candidates — every candidate lies inside the
 * region, see nearestIsLesion). One transform instead of fullResSites' two, for regions too large
 * for those.
 */
function fullResNearest(map: LabelMap, grid: WorkGrid): { site: Uint8Array; near: Int32Array } {
  const { rx0, ry0, rw, rh } = grid
  const W = map.width
  const code = new Uint8Array(256).fill(1)
  code[LABEL_UNCERTAIN] = 0
  code[LABEL_LESION] = 2
  const src = map.data
  const site = new Uint8Array(rw * rh)
  for (let y = 0; y < rh; y++) {
    for (let x = 0, i = (ry0 + y) * W + rx0, r = y * rw; x < rw; x++, i++, r++) site[r] = code[src[i]]
  }
  return { site, near: nearestSite(rw, rh, site) }
}

/**
 * The cells' terms to interpolate where the region is too large for full-resolution geometry: the
 * geometry's decision 2·P − 1 (certain cells ±1; band cells from the band coordinate, its sign the
 * cell's nearest side; other uncertain cells their fixed answer, 0 for stray blobs taken as lesion
 * by their colour) and the image's log-odds (band cells, and those stray blobs), kept apart so the
 * image weight scales the image alone.
 */
function cellTerms(
  grid: WorkGrid,
  dec: GridDecision,
  params: ResolveParams,
  stray: number,
): { geo: Float32Array; img: Float32Array } {
  const n = grid.cw * grid.ch
  const geo = new Float32Array(n)
  const img = new Float32Array(n)
  for (let c = 0; c < n; c++) {
    const v = grid.lab[c]
    if (v === LABEL_LESION) geo[c] = 1
    else if (v === LABEL_BACKGROUND) geo[c] = -1
    else if (dec.band[c] !== 0) {
      const t = dec.t[c]
      const mag = geometricMagnitude(params, t, dec.contrast[c])
      geo[c] = Math.tanh((t > 0.5 ? mag : -mag) / 2)
      img[c] = dec.zImage[c]
    } else if (dec.strayLesion[c] !== 0) img[c] = stray
    else geo[c] = dec.f[c]
  }
  return { geo, img }
}

/**
 * Whether the nearest certain pixel of region pixel r is lesion, given its nearest lesion pixel ql
 * and background pixel qb (region indices, `rw` wide): exactly resolveNearestLabel's answer
 * (baselines.ts), ties included — distance.ts breaks them towards the smaller column, then the
 * smaller row, and every candidate lies inside the region (the ring just outside the uncertain
 * pixels' box is certain and nearer than anything beyond it).
 */
export function nearestIsLesion(rw: number, r: number, ql: number, qb: number): boolean {
  const dl = indexDistance2(rw, r, ql)
  const db = indexDistance2(rw, r, qb)
  if (dl !== db) return dl < db
  const yl = Math.floor(ql / rw)
  const yb = Math.floor(qb / rw)
  const xl = ql - yl * rw
  const xb = qb - yb * rw
  return xl !== xb ? xl < xb : yl < yb
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
 * The two parts of the log-odds of every uncertain pixel, before they are combined: what the image
 * says and what the band's geometry says. Combining them (combineTerms) needs no recomputation, so
 * the fit tries image weights and abstention thresholds on the same terms.
 */
export interface ResolutionTerms {
  rect: AssistRect
  /** Row-major indices of the uncertain pixels, row by row (the order of the arrays below). */
  index: Int32Array
  /** The image's log-odds (bias, colour and pigment terms), not yet scaled by the image weight. */
  zImage: Float32Array
  /** The geometry's log-odds: its sign is the nearest certain label's (0: no preference). */
  zGeo: Float32Array
  /** The nearest certain label (resolveNearestLabel's answer), 0 or 1. */
  nearest: Uint8Array
  stats: ResolveStats
}

/** 2·atanh(v): the log-odds of a fixed decision f = v. */
const logOdds = (v: number): number => Math.log((1 + v) / (1 - v))

/**
 * The terms of a region too large for full-resolution geometry (resolutionTerms): the nearest label
 * from one full-resolution transform; the cells' geometry (its magnitude kept where it agrees with
 * that label, 0 where it does not) and image terms, interpolated bilinearly. The image term stays
 * apart, so image weight 0 gives the nearest label exactly.
 */
function interpolatedTerms(
  map: LabelMap,
  grid: WorkGrid,
  dec: GridDecision,
  params: ResolveParams,
  stray: number,
  terms: ResolutionTerms,
): void {
  const { rect, index, zImage, zGeo, nearest } = terms
  const { s, rx0, ry0, cw, ch, rw } = grid
  const W = map.width
  const src = map.data
  const { site, near } = fullResNearest(map, grid)
  const { geo, img } = cellTerms(grid, dec, params, stray)
  const uncertain = LABEL_UNCERTAIN
  // Per column of rect: its two cells and weight.
  const cx0 = new Int32Array(rect.width)
  const cx1 = new Int32Array(rect.width)
  const cax = new Float32Array(rect.width)
  for (let x = 0; x < rect.width; x++) {
    const gx = (rect.x + x - rx0 + 0.5) / s - 0.5
    const x0 = Math.max(0, Math.min(cw - 1, Math.floor(gx)))
    cx0[x] = x0
    cx1[x] = Math.min(cw - 1, x0 + 1)
    cax[x] = Math.max(0, Math.min(1, gx - x0))
  }
  let j = 0
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    const gy = (y - ry0 + 0.5) / s - 0.5
    const y0 = Math.max(0, Math.min(ch - 1, Math.floor(gy)))
    const row0 = y0 * cw
    const row1 = Math.min(ch - 1, y0 + 1) * cw
    const ay = Math.max(0, Math.min(1, gy - y0))
    for (let x = 0, i = y * W + rect.x, r = (y - ry0) * rw + rect.x - rx0; x < rect.width; x++, i++, r++) {
      if (src[i] !== uncertain) continue
      index[j] = i
      const q = near[r]
      const lesion = q >= 0 && site[q] === 2
      const x0 = cx0[x]
      const x1 = cx1[x]
      const ax = cax[x]
      const g0 = geo[row0 + x0] + (geo[row0 + x1] - geo[row0 + x0]) * ax
      const g1 = geo[row1 + x0] + (geo[row1 + x1] - geo[row1 + x0]) * ax
      const g = g0 + (g1 - g0) * ay
      const i0 = img[row0 + x0] + (img[row0 + x1] - img[row0 + x0]) * ax
      const i1 = img[row1 + x0] + (img[row1 + x1] - img[row1 + x0]) * ax
      const v = Math.min(0.999, lesion ? g : -g)
      const mag = v > 0 ? logOdds(v) : 0
      nearest[j] = lesion ? 1 : 0
      zGeo[j] = lesion ? mag : -mag
      zImage[j] = i0 + (i1 - i0) * ay
      j++
    }
  }
}

/**
 * The image and geometry terms of every uncertain pixel of `map` (resolve.ts steps 1–2 and the
 * per-pixel geometry). Throws RangeError when the image and the map do not match. `geometryOnly`
 * (for an image weight of 0): zGeo, nearest and stats exactly as otherwise, but the image's own
 * log-odds are not computed (zImage holds 0 except on stray blobs taken as lesion by their colour).
 */
export function resolutionTerms(
  image: AssistImage,
  map: LabelMap,
  opts: ResolveOptions = {},
  params: ResolveParams = RESOLVE_PARAMS,
  geometryOnly = false,
): ResolutionTerms {
  const t0 = performance.now()
  validate(image, map)
  const { width: W } = map
  const src = map.data
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
  const index = new Int32Array(count)
  const zImage = new Float32Array(count)
  const zGeo = new Float32Array(count)
  const nearest = new Uint8Array(count)
  const terms: ResolutionTerms = { rect, index, zImage, zGeo, nearest, stats }
  if (count === 0) return terms
  const work = workGrid(image, map, rect, opts)
  const { grid } = work
  const { s, rx0, ry0, cw, rw } = grid
  stats.scale = s
  const t1 = performance.now()
  stats.ms.grid = t1 - t0

  const dec = decideGrid(
    grid,
    params,
    work.hairCells,
    work.ringCells,
    work.unitCells,
    undefined,
    geometryOnly,
  )
  stats.hairCells = dec.hairCells
  stats.bandWidth = dec.bandWidth * s
  stats.ms.evidence = dec.evidenceMs

  // Per pixel: the nearest lesion and background pixels of the region at full resolution (at s = 1
  // the grid's own). Beyond fullGeometryMaxPixels of region (memory: two transforms), the nearest
  // label from one full-resolution transform and the cells' geometry and image terms interpolated,
  // the geometry's magnitude kept where it agrees with that label (0 where it does not).
  // (A coarse grid may see one side only where the pixels see both, and the other way round.)
  const full = s === 1 || rw * grid.rh <= option(opts.fullGeometryMaxPixels, FULL_GEOMETRY_MAX_PIXELS, 0)
  const sites =
    s === 1
      ? dec.nl !== null && dec.nb !== null
        ? { nl: dec.nl, nb: dec.nb }
        : null
      : full
        ? fullResSites(map, grid)
        : null
  const stray = logOdds(0.25)
  if (!full) {
    interpolatedTerms(map, grid, dec, params, stray, terms)
    stats.ms.write = performance.now() - t1 - dec.evidenceMs
    return terms
  }
  const oneSide = sites === null
  const onlyLesion = oneSide && regionHasLesion(map, grid)
  const sure = logOdds(0.5)
  let j = 0
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    const cellRow = Math.floor((y - ry0) / s) * cw
    for (let x = rect.x, i = y * W + rect.x; x < rect.x + rect.width; x++, i++) {
      if (src[i] !== LABEL_UNCERTAIN) continue
      index[j] = i
      const cell = cellRow + Math.floor((x - rx0) / s)
      const r = (y - ry0) * rw + (x - rx0)
      if (oneSide) {
        // One side only in the region: everything to it (background when there is none).
        const l = onlyLesion ? 1 : 0
        nearest[j] = l
        zGeo[j] = l === 1 ? sure : -sure
      } else if (sites !== null) {
        const ql = sites.nl[r]
        const qb = sites.nb[r]
        const lesion = nearestIsLesion(rw, r, ql, qb)
        nearest[j] = lesion ? 1 : 0
        if (dec.band[cell] !== 0) {
          const dL = Math.sqrt(indexDistance2(rw, r, ql))
          const dB = Math.sqrt(indexDistance2(rw, r, qb))
          const mag = geometricMagnitude(params, dB / (dB + dL), dec.contrast[cell])
          zGeo[j] = lesion ? mag : -mag
          zImage[j] = dec.zImage[cell]
        } else if (dec.strayLesion[cell] !== 0) {
          // A stray blob on the skin that is clearly lesion-coloured: the image's call.
          zImage[j] = stray
        } else {
          zGeo[j] = lesion ? sure : -sure
        }
      }
      j++
    }
  }
  stats.ms.write = performance.now() - t1 - dec.evidenceMs
  return terms
}

/**
 * The label of uncertain pixel j of `terms` with the image weighted by `k`, abstaining (the
 * nearest label) below confidence `abstain`; writes its decision f = 2·P(lesion) − 1 to `out[0]`.
 * With k = 0 and no abstention the label is the nearest certain label, always.
 */
export function combinedLabel(
  terms: ResolutionTerms,
  j: number,
  k: number,
  abstain: number,
  out: Float64Array,
): 0 | 1 {
  const z = k * terms.zImage[j] + terms.zGeo[j]
  const v = Math.tanh(z / 2)
  out[0] = v
  if (z === 0 || Math.abs(v) < abstain) return terms.nearest[j] === 1 ? 1 : 0
  return z > 0 ? 1 : 0
}

/**
 * Proposes a label for every uncertain pixel of `map` from `image`. Certain pixels are copied
 * unchanged; the result holds only 0 and 1 where the map held 255. Throws RangeError when the
 * image and the map do not match. `params` overrides the fitted parameters (for fitting them).
 * With `imageWeight: 0` the labels are exactly resolveNearestLabel's, whatever the region's size.
 */
export function proposeResolution(
  image: AssistImage,
  map: LabelMap,
  opts: ResolveOptions = {},
  params: ResolveParams = RESOLVE_PARAMS,
): Proposal {
  const t0 = performance.now()
  const k = Math.min(1, option(opts.imageWeight, 1, 0)) * params.imageWeight
  // With the image weighed 0 its log-odds cannot change a label or a confidence: not computed.
  const terms = resolutionTerms(image, map, opts, params, k === 0 && opts.imageTerms !== 'always')
  const { rect, stats, index } = terms
  const labels = map.data.slice()
  const confidence = new Uint8Array(rect.width * rect.height).fill(255)
  const decision = new Int8Array(rect.width * rect.height)
  const t1 = performance.now()
  const W = map.width
  const out = new Float64Array(1)
  let toLesion = 0
  let unsure = 0
  for (let j = 0; j < index.length; j++) {
    const i = index[j]
    const l = combinedLabel(terms, j, k, params.abstainBelow, out)
    labels[i] = l
    toLesion += l
    const y = Math.floor(i / W)
    const at = (y - rect.y) * rect.width + (i - y * W - rect.x)
    const c = Math.min(255, Math.round(Math.abs(out[0]) * 255))
    confidence[at] = c
    // From the confidence, so that the two agree exactly: sign = label, |d| < 64 ⇔ c < 128.
    decision[at] = l === 1 ? Math.max(1, c >> 1) : -(c >> 1)
    if (c < UNSURE_BELOW) unsure++
  }
  stats.toLesion = toLesion
  stats.toBackground = stats.uncertain - toLesion
  stats.unsure = unsure
  const t2 = performance.now()
  stats.ms.write += t2 - t1
  stats.ms.total = t2 - t0
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
