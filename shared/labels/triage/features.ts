/**
 * The raw measurements behind the triage reasons, on a label grid (grid.ts) and optionally the
 * image on the same grid. Each is a plain number whose meaning is stated where it is computed;
 * score.ts turns them into sub-scores in [0, 1].
 */
import { indexDistance2, nearestSite } from '../assist/distance'
import { LABEL_BACKGROUND, LABEL_LESION, LABEL_UNCERTAIN } from '../codes'
import { components } from './components'
import type { LabelGrid } from './grid'
import { boxBlur3, colourStats, mahalanobis2, SKIN_D2 } from './colour'
import { boundarySector, edgeOffset } from './edgeOffset'
import { ringProfile, type RingProfile } from './ringProfile'
import { rectOf, type CellRect, type Region } from './maskMeasures'
import type { TriageImage } from './types'

// The mask measures live in maskMeasures.ts (one implementation for this score and the scan's).
export { lesionRegion, maskMeasures, type CellRect, type MaskMeasures, type Region } from './maskMeasures'

export interface ImageMeasures {
  /**
   * Mean luminance of the certain lesion core minus that of the skin around it, over the image's
   * luminance standard deviation: clearly negative for a right mask (lesions are darker).
   */
  lesionLighter: number
  /**
   * Share of the lesion region's area that the image contradicts near the boundary: certain lesion
   * cells coloured like the skin around, plus certain background cells coloured like the lesion
   * core (on the line between the two mean colours, the nearer end).
   */
  disagreement: number
  /**
   * Per sector of the boundary, how much stronger the strongest colour transition along the
   * normal is than the transition at the mask's edge (in units of the lesion/skin contrast);
   * the mean over sectors weighted by boundary length.
   */
  offEdge: number
  /** Mean over sectors of 1 − (the step within the band / the strongest step near it). */
  edgeRatioLow: number
  /** Share of the boundary whose steepest step lies inside the band's inner side (dilated masks). */
  edgeInside: number
  /** Share of the boundary whose steepest step lies beyond the band's outer side (eroded masks). */
  edgeOutside: number
  /** Mean depth of those steps beyond the band, over the lesion's radius. */
  edgeInDepth: number
  edgeOutDepth: number
  /** Lesion core vs skin contrast over the image's spread along that colour direction. */
  separation: number
  /** Share of the certain lesion just inside the band whose colour is that of the skin around. */
  skinInside: number
  /** Share of the certain background just outside the band whose colour is not the farther skin's. */
  notSkinOutside: number
  /**
   * Mean over sectors of 1 − (inner ring − outer ring) / (core − skin), at least 0: high where the
   * band separates nothing (both sides skin, or both lesion).
   */
  bandLow: number
  /** The same with rings 2 cells wide right at the band. */
  bandLowNarrow: number
  /** Share of the boundary where the contrast across the band is below 0.35 of core − skin. */
  lowShare: number
  /** Mean over sectors of how lesion-like the ring just outside the band is (0 skin, 1 core). */
  outerRing: number
  /** Mean over sectors of how skin-like the ring just inside the band is (0 core, 1 skin). */
  innerRing: number
  /** Share of the boundary whose outer ring is more lesion than skin. */
  outerHigh: number
  /** Share of the boundary whose inner ring is more skin than lesion. */
  innerHigh: number
  /** Lesion-like background cells connected to the edge, over the region's area. */
  attachedLike: number
  /** Skin-like certain lesion cells connected to the edge, over the region's area. */
  attachedSkin: number
  /** The image's lesion→skin transition relative to the boundary / rEq, negative inside (edgeOffset.ts). */
  edgeShift: number
  /** Share of the region whose colour is lesion at all (edgeOffset.ts). */
  lesionFill: number
  /** Thin rings across the boundary, normalised per image and summarised over sectors (ringProfile.ts). */
  ring: RingProfile
  /** Half width of the band in cells (uncertain cells over boundary cells, halved; the virtual band's when band-free). */
  bandHalfWidth: number
  /** Band-free: measured with a virtual band (BAND_FREE_HALF_WIDTH). */
  bandFree: boolean
  regions: { disagreement?: CellRect; offEdge?: CellRect }
}

const SECTORS = 12

/**
 * A map whose uncertain cells number under this share of its boundary's cells (a band under half a
 * cell wide on average) is band-free: it is measured with a virtual band (imageMeasures).
 */
const BAND_FREE_BELOW = 0.5

/**
 * The virtual band's half width, over the grid's longer side: the median half width of the weak maps'
 * bands the model was fitted on (bench/triage/weakMaps.ts draws it uniformly in 0.006–0.03 of the
 * mask's longer side; `bandHalfWidth` on the dev set's right weak maps: median 0.021, stray blobs
 * and stair steps included). Held out, band-free right maps then score like weak ones (median 0.22
 * against 0.24; without the virtual band 0.31–0.39 against 0.22: bench/README.md).
 */
const BAND_FREE_HALF_WIDTH = 0.018

/**
 * Image measures, or null when the region is empty or fills the grid (no boundary to compare).
 * `image` is on the grid (same width and height).
 */
export function imageMeasures(grid: LabelGrid, region: Region, image: TriageImage): ImageMeasures | null {
  const { width, height } = grid
  let label = grid.label
  const n = width * height
  if (image.width !== width || image.height !== height || image.data.length !== n * 3) {
    throw new RangeError(`image ${image.width}×${image.height} is not on the ${width}×${height} grid`)
  }
  if (region.area === 0 || region.area === n) return null
  const inside = region.inside
  const outside = new Uint8Array(n)
  for (let i = 0; i < n; i++) outside[i] = inside[i] ? 0 : 1

  // Signed distance to the region's edge (negative inside; ±0.5 next to it) and the nearest cell
  // across the edge, whose position gives the boundary sector.
  const nearIn = nearestSite(width, height, inside)
  const nearOut = nearestSite(width, height, outside)
  const sd = new Float32Array(n)
  const across = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    if (inside[i]) {
      sd[i] = 0.5 - Math.sqrt(indexDistance2(width, i, nearOut[i]))
      across[i] = nearOut[i]
    } else {
      sd[i] = Math.sqrt(indexDistance2(width, i, nearIn[i])) - 0.5
      across[i] = nearIn[i]
    }
  }
  // Boundary length (region cells with a 4-neighbour outside) and the band's half width.
  let edge = 0
  let band = 0
  const edgeCells = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    if (label[i] === LABEL_UNCERTAIN) band++
    if (!inside[i]) continue
    const y = (i / width) | 0
    const x = i - y * width
    if (
      (x > 0 && !inside[i - 1]) ||
      (x < width - 1 && !inside[i + 1]) ||
      (y > 0 && !inside[i - width]) ||
      (y < height - 1 && !inside[i + width])
    ) {
      edge++
      edgeCells[i] = 1
    }
  }
  const rEq = Math.sqrt(region.area / Math.PI)
  // A band-free map (corrected, resolved, or a converted challenge mask) is measured as if it had a
  // weak map's band: its certain cells next to the edge are what a band would have hidden, and
  // without one every measure taken just beyond the band reads them (BAND_FREE_HALF_WIDTH).
  const virtualBand = band < edge * BAND_FREE_BELOW
  if (virtualBand) {
    const virtual = BAND_FREE_HALF_WIDTH * Math.max(width, height)
    label = label.slice()
    for (let i = 0; i < n; i++) {
      if (label[i] !== LABEL_UNCERTAIN && Math.abs(sd[i]) <= virtual) {
        label[i] = LABEL_UNCERTAIN
        band++
      }
    }
  }
  const hw = Math.min(12, Math.max(0.5, band / Math.max(1, edge) / 2))
  // Rings just inside and just outside the band, `ringW` cells wide, `ringA` cells from the edge.
  const ringA = Math.ceil(hw) + 1
  const ringW = Math.max(2, Math.round(0.15 * rEq))
  const T = Math.max(ringA + 2 * ringW + 1, Math.min(40, Math.round(0.6 * rEq)))

  // Smoothed colour (3×3 box): hairs and JPEG noise matter less.
  const rgb = boxBlur3(image.data, width, height)
  // Mean colours of the lesion core and of the skin around it, each from the first non-empty of:
  // certain cells away from the band, any certain cells, the region (its complement).
  const meanOf = (take: Array<(i: number) => boolean>): { mean: number[]; count: number } => {
    for (const t of take) {
      const mean = [0, 0, 0]
      let count = 0
      for (let i = 0; i < n; i++) {
        if (!t(i)) continue
        mean[0] += rgb[i * 3]
        mean[1] += rgb[i * 3 + 1]
        mean[2] += rgb[i * 3 + 2]
        count++
      }
      if (count > 0) return { mean: mean.map((v) => v / count), count }
    }
    return { mean: [0, 0, 0], count: 0 }
  }
  const core = hw + 1
  const meanIn = meanOf([
    (i) => label[i] === LABEL_LESION && sd[i] < -core,
    (i) => label[i] === LABEL_LESION,
    (i) => inside[i] === 1,
  ]).mean
  const meanOut = meanOf([
    (i) => label[i] === LABEL_BACKGROUND && sd[i] > core && sd[i] <= 2 * T,
    (i) => label[i] === LABEL_BACKGROUND,
    (i) => inside[i] === 0,
  ]).mean
  const luma = (v: number[]): number => 0.299 * v[0] + 0.587 * v[1] + 0.114 * v[2]
  let ySum = 0
  let yy = 0
  for (let i = 0; i < n; i++) {
    const y = 0.299 * rgb[i * 3] + 0.587 * rgb[i * 3 + 1] + 0.114 * rgb[i * 3 + 2]
    ySum += y
    yy += y * y
  }
  const yStd = Math.sqrt(Math.max(0, yy / n - (ySum / n) ** 2))
  const lesionLighter = (luma(meanIn) - luma(meanOut)) / Math.max(4, yStd)

  // f: 0 at the skin's mean colour, 1 at the lesion core's, along the line between them.
  let d0 = meanIn[0] - meanOut[0]
  let d1 = meanIn[1] - meanOut[1]
  let d2 = meanIn[2] - meanOut[2]
  let dd = d0 * d0 + d1 * d1 + d2 * d2
  const dn = Math.sqrt(dd)
  if (dn < 4) {
    // No contrast to speak of: measure against a darkening of 4 levels instead.
    d0 = d1 = d2 = -4 / Math.sqrt(3)
    dd = 16
  }
  const f = new Float32Array(n)
  let fs = 0
  let ff = 0
  for (let i = 0; i < n; i++) {
    const v =
      ((rgb[i * 3] - meanOut[0]) * d0 +
        (rgb[i * 3 + 1] - meanOut[1]) * d1 +
        (rgb[i * 3 + 2] - meanOut[2]) * d2) /
      dd
    f[i] = v
    fs += v
    ff += v * v
  }
  const fStd = Math.sqrt(Math.max(1e-9, ff / n - (fs / n) ** 2))
  const separation = dn < 4 ? 0 : 1 / fStd

  // Disagreement near the boundary.
  const bad = new Uint8Array(n)
  let badCount = 0
  for (let i = 0; i < n; i++) {
    const l = label[i]
    if (l === LABEL_LESION && f[i] < 0.5) bad[i] = 1
    else if (l === LABEL_BACKGROUND && sd[i] <= T && f[i] > 0.5) bad[i] = 1
    badCount += bad[i]
  }
  const badComp = components(width, height, bad).list[0]

  // Profiles of f along the signed distance, per sector of the boundary.
  const bins = 2 * T
  const sums = new Float64Array((SECTORS + 1) * bins)
  const counts = new Float64Array((SECTORS + 1) * bins)
  const weight = new Float64Array(SECTORS)
  const main = region.list[0]
  const cx = main.sx / main.area
  const cy = main.sy / main.area
  const sectorOf = new Int8Array(n).fill(-1)
  for (let i = 0; i < n; i++) {
    const k = Math.floor(sd[i]) + T
    if (k < 0 || k >= bins) continue
    const s = boundarySector(across[i], width, cx, cy, SECTORS)
    sectorOf[i] = s
    sums[s * bins + k] += f[i]
    counts[s * bins + k]++
    sums[SECTORS * bins + k] += f[i]
    counts[SECTORS * bins + k]++
    if (k === T - 1) weight[s]++
  }
  const h = Math.max(2, Math.round(hw) + 1)
  const near = Math.ceil(hw) + 1
  const offEdgeOf = (s: number): number => {
    const base = s * bins
    let e0 = -Infinity
    let emax = -Infinity
    for (let k = h; k <= bins - h; k++) {
      // Edge between bins k-1 and k, i.e. at signed distance k - T.
      let a = 0
      let ca = 0
      let b = 0
      let cb = 0
      for (let q = k - h; q < k; q++) {
        a += sums[base + q]
        ca += counts[base + q]
      }
      for (let q = k; q < k + h; q++) {
        b += sums[base + q]
        cb += counts[base + q]
      }
      if (ca < 3 || cb < 3) continue
      const e = a / ca - b / cb
      if (e > emax) emax = e
      if (Math.abs(k - T) <= near && e > e0) e0 = e
    }
    if (emax === -Infinity) return 0
    if (e0 === -Infinity) return Math.max(0, emax)
    return Math.max(0, emax - Math.max(0, e0))
  }
  // Where the steepest lesion-to-skin step lies per sector, near the edge (rings included).
  const edgeAt = (s: number): { at: number; ratio: number } | null => {
    const base = s * bins
    let best = -Infinity
    let atBand = -Infinity
    let at: number | null = null
    for (let k = Math.max(2, T - ringA - 2 * ringW); k <= Math.min(bins - 2, T + ringA + 2 * ringW); k++) {
      const ca = counts[base + k - 2] + counts[base + k - 1]
      const cb = counts[base + k] + counts[base + k + 1]
      if (ca < 2 || cb < 2) continue
      const e = (sums[base + k - 2] + sums[base + k - 1]) / ca - (sums[base + k] + sums[base + k + 1]) / cb
      if (e > best) {
        best = e
        at = k - T
      }
      if (Math.abs(k - T) <= ringA && e > atBand) atBand = e
    }
    if (at === null) return null
    // How much of the strongest step the band's own step reaches (1: the band holds the strongest).
    const ratio = best > 0 ? Math.max(0, Math.min(1, atBand / best)) : 1
    return { at, ratio }
  }
  let edgeRatioLow = 0
  let edgeInside = 0
  let edgeOutside = 0
  let edgeInDepth = 0
  let edgeOutDepth = 0
  let edgeWeight = 0
  for (let sct = 0; sct < SECTORS; sct++) {
    const found = weight[sct] > 0 ? edgeAt(sct) : null
    if (found === null) continue
    const at = found.at
    const w = weight[sct]
    edgeWeight += w
    edgeRatioLow += w * (1 - found.ratio)
    if (at < -ringA) {
      edgeInside += w
      edgeInDepth += (w * (-ringA - at)) / rEq
    }
    if (at > ringA) {
      edgeOutside += w
      edgeOutDepth += (w * (at - ringA)) / rEq
    }
  }
  if (edgeWeight > 0) {
    edgeRatioLow /= edgeWeight
    edgeInside /= edgeWeight
    edgeOutside /= edgeWeight
    edgeInDepth /= edgeWeight
    edgeOutDepth /= edgeWeight
  }
  let offEdge = 0
  let wsum = 0
  let worst = -1
  let worstValue = -1
  for (let s = 0; s < SECTORS; s++) {
    if (weight[s] === 0) continue
    const v = offEdgeOf(s)
    offEdge += v * weight[s]
    wsum += weight[s]
    if (v > worstValue) {
      worstValue = v
      worst = s
    }
  }
  offEdge = wsum > 0 ? offEdge / wsum : 0
  let offRect: CellRect | undefined
  if (worst >= 0) {
    let x0 = width
    let y0 = height
    let x1 = -1
    let y1 = -1
    for (let i = 0; i < n; i++) {
      if (sectorOf[i] !== worst || Math.abs(sd[i]) > 1) continue
      const y = (i / width) | 0
      const x = i - y * width
      if (x < x0) x0 = x
      if (x > x1) x1 = x
      if (y < y0) y0 = y
      if (y > y1) y1 = y
    }
    if (x1 >= 0) offRect = { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 }
  }
  // Ring contrasts per sector, against the deep core (1 by construction, about) and the far skin.
  const poolMean = (s: number, k0: number, k1: number): { mean: number; count: number } => {
    let a = 0
    let c = 0
    for (let k = Math.max(0, k0); k < Math.min(bins, k1); k++) {
      a += sums[s * bins + k]
      c += counts[s * bins + k]
    }
    return { mean: c > 0 ? a / c : NaN, count: c }
  }
  const deep = poolMean(SECTORS, 0, T - ringA - ringW)
  const far = poolMean(SECTORS, T + ringA + ringW, bins)
  const fDeep = deep.count > 0 ? deep.mean : 1
  const fFar = far.count > 0 ? far.mean : 0
  const span = Math.max(0.25, fDeep - fFar)
  // Contrast across the band per sector (inner ring minus outer ring), wide and narrow rings.
  let bandLow = 0
  let bandLowNarrow = 0
  let lowShare = 0
  let outerMean = 0
  let innerMean = 0
  let outerHigh = 0
  let innerHigh = 0
  let ringWeight = 0
  for (let sct = 0; sct < SECTORS; sct++) {
    const w = weight[sct]
    if (w === 0) continue
    const inner = poolMean(sct, T - ringA - ringW, T - ringA)
    const outer = poolMean(sct, T + ringA, T + ringA + ringW)
    const o = outer.count > 0 ? (outer.mean - fFar) / span : 0
    const i = inner.count > 0 ? (fDeep - inner.mean) / span : 0
    const innerN = poolMean(sct, T - ringA - 2, T - ringA)
    const outerN = poolMean(sct, T + ringA, T + ringA + 2)
    if (inner.count > 0 && outer.count > 0) {
      const c = (inner.mean - outer.mean) / span
      bandLow += w * Math.max(0, 1 - c)
      if (c < 0.35) lowShare += w
    }
    if (innerN.count > 0 && outerN.count > 0)
      bandLowNarrow += w * Math.max(0, 1 - (innerN.mean - outerN.mean) / span)
    outerMean += o * w
    innerMean += i * w
    if (o > 0.5) outerHigh += w
    if (i > 0.5) innerHigh += w
    ringWeight += w
  }
  if (ringWeight > 0) {
    bandLow /= ringWeight
    bandLowNarrow /= ringWeight
    lowShare /= ringWeight
    outerMean /= ringWeight
    innerMean /= ringWeight
    outerHigh /= ringWeight
    innerHigh /= ringWeight
  }

  // The skin's colour distribution (mean, covariance) just outside the band and farther out; the
  // share of certain lesion just inside the band that is skin by it (dilated masks), and of certain
  // background just outside the band that is not skin by the farther skin (eroded masks).
  const near0 = ringA
  const near1 = ringA + ringW
  const skinNear = colourStats(
    rgb,
    n,
    (i) => label[i] === LABEL_BACKGROUND && sd[i] > near0 && sd[i] <= near1,
  )
  const skinFar =
    colourStats(rgb, n, (i) => label[i] === LABEL_BACKGROUND && sd[i] > near1 + ringW && sd[i] <= 2 * T) ??
    skinNear
  let skinInside = 0
  let insideCount = 0

  let notSkinOutside = 0
  let outsideCount = 0
  for (let i = 0; i < n; i++) {
    const d = sd[i]
    if (skinNear && label[i] === LABEL_LESION && d < -near0 && d >= -near1) {
      insideCount++
      if (mahalanobis2(skinNear, rgb, i) < SKIN_D2) skinInside++
    } else if (skinFar && label[i] === LABEL_BACKGROUND && d > near0 && d <= near1) {
      outsideCount++
      if (mahalanobis2(skinFar, rgb, i) > SKIN_D2) notSkinOutside++
    }
  }

  // Cells of one side that look like the other side, in components touching the edge, over the
  // region's area.
  const attachedShare = (pick: (i: number) => boolean, nearEdge: (i: number) => boolean): number => {
    const set = new Uint8Array(n)
    for (let i = 0; i < n; i++) if (pick(i)) set[i] = 1
    const comp = components(width, height, set)
    const touches = new Uint8Array(comp.list.length)
    for (let i = 0; i < n; i++) {
      const c = comp.id[i]
      if (c >= 0 && nearEdge(i)) touches[c] = 1
    }
    let sum = 0
    comp.list.forEach((c, k) => {
      if (touches[k]) sum += c.area
    })
    return sum / Math.max(1, region.area)
  }
  const outsideNear = (i: number): boolean => sd[i] < ringA + 1
  const insideNear = (i: number): boolean => sd[i] > -(ringA + 1)
  const attached = attachedShare((i) => !inside[i] && sd[i] <= T && f[i] > 0.5, outsideNear)
  const attachedSkin = attachedShare(
    (i) => inside[i] === 1 && label[i] === LABEL_LESION && f[i] < 0.5,
    insideNear,
  )

  const offset = edgeOffset({
    width,
    height,
    inside,
    area: region.area,
    sd,
    across,
    f,
    edge: edgeCells,
    cx,
    cy,
    rEq,
    T,
  })

  const ring = ringProfile({ width, height, sd, across, f, edge: edgeCells, cx, cy, rEq })

  return {
    ring,
    edgeShift: offset.shift,
    lesionFill: offset.fill,
    skinInside: insideCount > 0 ? skinInside / insideCount : 0,
    notSkinOutside: outsideCount > 0 ? notSkinOutside / outsideCount : 0,
    bandLow,
    bandLowNarrow,
    lowShare,
    outerRing: outerMean,
    innerRing: innerMean,
    outerHigh,
    innerHigh,
    attachedLike: attached,
    attachedSkin,
    lesionLighter,
    disagreement: badCount / Math.max(1, region.area),
    edgeRatioLow,
    edgeInside,
    edgeOutside,
    edgeInDepth,
    edgeOutDepth,
    offEdge,
    separation,
    bandHalfWidth: hw,
    bandFree: virtualBand,
    regions: { disagreement: badComp ? rectOf(badComp) : undefined, offEdge: offRect },
  }
}
